"""End to end: `dagster dev` on loopback, a materialisation launched over GraphQL, checks seen."""

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from leo_assets.settings import PROJECT_DIR
from leo_assets_tests.helpers import (
    employment_rows,
    settings_for,
    stop_process_group,
    write_sources,
)

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _gql(port: int, query: str, variables: dict | None = None) -> dict:
    response = requests.post(
        f"http://127.0.0.1:{port}/graphql",
        json={"query": query, "variables": variables or {}},
        timeout=30,
    )
    response.raise_for_status()
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


@pytest.fixture
def dagster_dev(tmp_path):
    settings = settings_for(tmp_path)
    write_sources(settings, employment_rows("A", "B"))
    settings_file = tmp_path / "leo_settings.yml"
    settings_file.write_text(
        f"workspace_url: 'duckdb:///{tmp_path / 'ws.duckdb'}'\nsource_dir: "
        f"'{tmp_path / 'sources'}'\n"
    )
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(PROJECT_DIR / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    port = _free_port()
    env = dict(os.environ, DAGSTER_HOME=str(home), LEO_SETTINGS_FILE=str(settings_file))
    dagster = Path(sys.executable).parent / "dagster"
    log = open(tmp_path / "dagster_dev.log", "w")  # noqa: SIM115 - closed in the finally below
    proc = subprocess.Popen(
        [str(dagster), "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)],
        cwd=PROJECT_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                if requests.get(f"http://127.0.0.1:{port}/server_info", timeout=2).ok:
                    data = _gql(
                        port,
                        "{ repositoriesOrError { __typename ... on RepositoryConnection { nodes { "
                        "name } } } }",
                    )
                    if data["repositoriesOrError"].get("nodes"):
                        break
            except requests.RequestException:
                pass
            assert proc.poll() is None, (tmp_path / "dagster_dev.log").read_text()[-3000:]
            time.sleep(1)
        else:
            pytest.fail("dagster dev did not serve the code location within 120 s")
        yield port
    finally:
        stop_process_group(proc)
        log.close()


LAUNCH = """
mutation($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
    ... on InvalidSubsetError { message }
  }
}"""
RUN = "query($id: ID!) { runOrError(runId: $id) { __typename ... on Run { status } } }"
CHECKS = """
query($path: [String!]!) {
  assetNodes(assetKeys: [{path: $path}]) {
    assetKey { path }
    assetChecksOrError { __typename ... on AssetChecks { checks { name
    executionForLatestMaterialization { status } } } }
  }
}"""


def test_materialise_over_graphql(dagster_dev):
    port = dagster_dev
    params = {
        "selector": {
            "repositoryLocationName": "leo_assets",
            "repositoryName": "__repository__",
            "jobName": "build_all",
            # two assets and their checks: every asset in a Dagster run is test_cli's and
            # test_browser's (the demo); this test is about the launch over GraphQL
            "assetSelection": [
                {"path": ["reference", "ref_ks4_cohorts"]},
                {"path": ["staging", "stg_leo__employment"]},
            ],
        },
        "mode": "default",
    }
    launched = _gql(port, LAUNCH, {"params": params})["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    run_id = launched["run"]["runId"]
    deadline = time.time() + 240
    status = None
    while time.time() < deadline:
        status = _gql(port, RUN, {"id": run_id})["runOrError"]["status"]
        if status in ("SUCCESS", "FAILURE", "CANCELED"):
            break
        time.sleep(2)
    assert status == "SUCCESS"
    node = _gql(port, CHECKS, {"path": ["reference", "ref_ks4_cohorts"]})["assetNodes"][0]
    checks = {
        c["name"]: c["executionForLatestMaterialization"]["status"]
        for c in node["assetChecksOrError"]["checks"]
    }
    assert checks == {"grain_unique": "SUCCEEDED", "grain_not_null": "SUCCEEDED"}
