"""The UI in a real browser: Debian's headless Chromium, driven by Selenium through chromedriver.

A small synthetic build (recorded in a throwaway Dagster instance by the command line), then
`dagster dev` on a free loopback port, then the pages a researcher opens first: a mart's
description, columns and checks, check outcomes in the words of the README, a picture of an
output. Screenshots are kept in ``browser_screenshots/`` at the project root (gitignored) and the
folder is printed. Skipped, loudly, only where no Chromium or chromedriver is installed
(``scripts/system_packages.sh test`` installs both when run as root).
"""

import base64
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import requests

from leo_assets.settings import PROJECT_DIR
from leo_assets_tests.helpers import stop_process_group

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
SHOTS = PROJECT_DIR / "browser_screenshots"
PUPILS = 60  # per cohort: enough for every table, checks that warn, and pictures


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def browser():
    if not (CHROMIUM and CHROMEDRIVER):
        message = (
            "NO BROWSER: the real-browser UI test needs Debian's chromium and chromium-driver "
            "(scripts/system_packages.sh test installs them as root)"
        )
        print(f"\n*** {message} ***", file=sys.stderr)
        pytest.skip(message)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tempfile.mkdtemp(prefix="leo_chromium_")
    for arg in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-sync",
        "--window-size=1600,1000",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def ui(tmp_path_factory):
    """A small demo build recorded in a fresh instance, then `dagster dev` serving it."""
    root = tmp_path_factory.mktemp("ui")
    settings_file = root / "leo_settings.yml"
    settings_file.write_text(
        f"workspace_url: 'duckdb:///{root / 'ws.duckdb'}'\nsource_dir: '{root / 'sources'}'\n"
        "ks4_cohorts: [2013]\n"
    )
    home = root / "dagster_home"
    home.mkdir()
    shutil.copy(PROJECT_DIR / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    env = dict(os.environ, DAGSTER_HOME=str(home), LEO_SETTINGS_FILE=str(settings_file))
    exe = Path(sys.executable).parent
    started = time.monotonic()
    demo = subprocess.run(
        [str(exe / "leo-assets"), "demo", "--pupils", str(PUPILS), "--no-progress"],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    print(f"\ndemo build: {time.monotonic() - started:.0f} s", file=sys.stderr)
    assert demo.returncode == 0, demo.stdout[-3000:] + demo.stderr[-3000:]
    port = _free_port()
    log = open(root / "dagster_dev.log", "w")  # noqa: SIM115 (closed after the server stops)
    proc = subprocess.Popen(
        [str(exe / "dagster"), "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)],
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
                body = requests.post(
                    f"http://127.0.0.1:{port}/graphql",
                    json={
                        "query": "{ repositoriesOrError { ... on RepositoryConnection "
                        "{ nodes { name } } } }"
                    },
                    timeout=5,
                ).json()
                if body.get("data", {}).get("repositoriesOrError", {}).get("nodes"):
                    break
            except (requests.RequestException, ValueError):
                pass
            assert proc.poll() is None, (root / "dagster_dev.log").read_text()[-3000:]
            time.sleep(1)
        else:
            pytest.fail("dagster dev did not serve the code location within 120 s")
        yield f"http://127.0.0.1:{port}", demo.stdout
    finally:
        stop_process_group(proc)
        log.close()


def _shot(driver, name: str) -> Path:
    SHOTS.mkdir(exist_ok=True)
    path = SHOTS / f"{name}.png"
    # the whole page, not only the window: Chromium's DevTools capture beyond the viewport
    metrics = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
    size = metrics.get("cssContentSize") or metrics["contentSize"]
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot",
        {
            "format": "png",
            "captureBeyondViewport": True,
            "clip": {
                "x": 0,
                "y": 0,
                "width": min(size["width"], 1600),
                "height": min(size["height"], 4000),
                "scale": 1,
            },
        },
    )
    path.write_bytes(base64.b64decode(shot["data"]))
    print(f"screenshot: {path}", file=sys.stderr)
    return path


def _wait_text(driver, *texts: str, timeout: float = 60) -> str:
    """The page's visible text once every one of ``texts`` shows (fails naming the missing)."""
    from selenium.webdriver.common.by import By

    deadline = time.time() + timeout
    body = ""
    while time.time() < deadline:
        body = driver.find_element(By.TAG_NAME, "body").text
        if all(t in body for t in texts):
            return body
        time.sleep(0.5)
    missing = [t for t in texts if t not in body]
    raise AssertionError(
        f"not shown after {timeout:.0f} s: {missing}\n--- page text ---\n{body[:3000]}"
    )


def test_ui_shows_a_mart_its_checks_and_a_picture(ui, browser):
    from selenium.webdriver.common.by import By

    base, demo_out = ui
    assert demo_out.rstrip().splitlines()[-1].startswith("Build succeeded")
    started = time.monotonic()

    # a mart: its description, its columns (with their descriptions), its checks
    browser.get(f"{base}/assets/marts/person_lookup")
    # the description renders after the columns on a busy machine: wait for it too
    page = _wait_text(browser, "person_lookup", "Columns", "person_id", "One row per person")
    assert "Join the Dagster community" not in page  # nux disabled in dagster.yaml
    _shot(browser, "01_person_lookup_overview")

    browser.get(f"{base}/assets/marts/person_lookup?view=checks")
    page = _wait_text(browser, "has_an_identifier", "mq_pl_1_several_pmrs")
    _shot(browser, "02_person_lookup_checks")
    assert "Passed" in page
    # a diagnostic's outcome reads the same as on the command line: words, not a raw status
    browser.get(f"{base}/assets/marts/person_lookup?view=checks&checkDetail=mq_pl_1_several_pmrs")
    page = _wait_text(browser, "PL-1 linked persons", "by_scope")
    assert "; worst scope" not in page and "; status ok" not in page
    if "every scope within the thresholds: passed" in page:
        assert "Passed" in page
    else:  # a warning: Dagster's yellow "Failed" (it has no "Warning" label), named in words
        assert "WARNING: " in page or "ERROR: " in page
    # per-scope results are a table (status first), not pipe-separated text
    assert "gap_from_cohort" in page and "| measure |" not in page
    _shot(browser, "03_pl1_check_detail")

    # a data test described in words, not as a Python dict
    browser.get(f"{base}/assets/marts/ks4_cohort?view=checks")
    page = _wait_text(browser, "accepted_values__sex")
    assert "{'column'" not in page
    _shot(browser, "04_ks4_cohort_checks")

    # an output: its picture, in the asset's metadata. Dagster 1.13 shows a Markdown value inline
    # only under 1,000 characters: the picture opens from "[Show Markdown]" (README)
    browser.get(f"{base}/assets/outputs/out_state_distribution_safe")
    _wait_text(browser, "out_state_distribution_safe", "picture_state_distribution")
    link = browser.find_element(
        By.XPATH,
        "//tr[.//*[contains(text(), 'picture_state_distribution')]]"
        "//*[contains(text(), '[Show Markdown]')]",
    )
    link.click()
    deadline = time.time() + 30
    images = []
    while time.time() < deadline and not images:
        images = [
            img
            for img in browser.find_elements(By.CSS_SELECTOR, "img")
            if (img.get_attribute("src") or "").startswith("data:image/png")
            and browser.execute_script("return arguments[0].naturalWidth", img) > 300
        ]
        time.sleep(0.5)
    _shot(browser, "05_out_state_distribution_safe_picture")
    assert images, "no picture rendered on out_state_distribution_safe"

    # the lineage of the marts: the group alone (README: /asset-groups~group:"marts"/)
    browser.get(f"{base}/asset-groups~group%3A%22marts%22/")
    _wait_text(browser, "person_lookup", "ks4_cohort", "transitions")
    time.sleep(2)
    _shot(browser, "06_marts_lineage")

    # the overview a researcher lands on
    browser.get(f"{base}/overview/activity/timeline")
    time.sleep(3)
    _shot(browser, "07_overview")
    print(
        f"browser pages: {time.monotonic() - started:.0f} s; screenshots in {SHOTS}",
        file=sys.stderr,
    )
