"""The benchmark runner at a tiny size, so that it cannot rot (the benchmarks themselves are not
tests)."""

import json

import pytest

from benchmarks.run import main

# the benchmark runner end to end: started first (conftest.py)
pytestmark = pytest.mark.slow


@pytest.mark.timeout(360)
def test_runner_tiny_size(tmp_path):
    results_path, doc = tmp_path / "results.json", tmp_path / "benchmarks.md"
    main(
        [
            "--sizes",
            "300",
            "--pg-sizes",
            "",
            "--workdir",
            str(tmp_path / "work"),
            "--results",
            str(results_path),
            "--doc",
            str(doc),
        ],
        log=lambda *_: None,
    )

    results = json.loads(results_path.read_text())
    case = results["cases"]["duckdb-1x300"]
    assert case["pupils"] == 300
    for step in ("generate", "scan", "build"):
        assert case[step]["seconds"] > 0
        assert case[step]["peak_rss_mb"] > 0
    build = case["build"]
    assert build["success"]
    assert build["assets"], "no asset timings"
    for name, asset in build["assets"].items():
        assert asset["step_seconds"] is not None and asset["step_seconds"] >= 0, name
        assert asset["build_seconds"] is not None, name
    assert "marts/person_lookup" in build["assets"]
    assert case["scan"]["rows"] > 0 and case["scan"]["views"]
    assert case["build_over_scan"] == pytest.approx(
        build["seconds"] / case["scan"]["seconds"], rel=0.01
    )
    assert case["scan"]["copy_seconds"] > 0
    assert case["build_over_copy"] == pytest.approx(
        build["seconds"] / case["scan"]["copy_seconds"], rel=0.01
    )
    # the true floor: the scan plus one copy of every table the build wrote
    tables = case["floor"]["tables"]
    assert "marts/person_lookup" in tables and tables.keys() <= build["assets"].keys()
    assert case["floor_seconds"] == pytest.approx(
        case["scan"]["seconds"] + case["floor"]["seconds"], abs=0.01
    )
    assert case["build_over_floor"] == pytest.approx(
        build["seconds"] / case["floor_seconds"], rel=0.01
    )
    assert {"cpu_cores_logical", "ram_gib", "python", "duckdb"} <= set(results["machine"])

    text = doc.read_text()
    assert ".venv/bin/python -m benchmarks.run" in text
    assert "duckdb-1x300" in text and "build / scan" in text and "build / copy" in text
    assert "build / floor" in text and "Build against its floor, per table" in text
    # the scratch sources and workspace are removed after each case
    assert not (tmp_path / "work" / "duckdb-1x300" / "sources").exists()


def test_test_suite_figures_are_read_from_pytest_output():
    """--test-suite: the counts and the ten slowest come from pytest's own output, as printed."""
    from benchmarks.run import parse_pytest_output, render_test_suite

    output = """
........ [100%]
============================= slowest 10 durations =============================
89.70s call     leo_assets_tests/test_determinism.py::test_same[duckdb]
63.80s setup    leo_assets_tests/test_browser.py::test_ui
(8 durations < 0.005s hidden.  Use -vv to show these durations.)
=========== 630 passed, 2 skipped, 1 failed in 1034.21s (0:17:14) ===========
"""
    parsed = parse_pytest_output(output)
    assert parsed["counts"] == {"passed": 630, "skipped": 2, "failed": 1}
    assert parsed["slowest"] == [
        {
            "seconds": 89.7,
            "phase": "call",
            "test": "leo_assets_tests/test_determinism.py::test_same[duckdb]",
        },
        {"seconds": 63.8, "phase": "setup", "test": "leo_assets_tests/test_browser.py::test_ui"},
    ]
    suite = {
        "commit": "abc1234",
        "command": "pytest -n auto",
        "exit_code": 1,
        "wall_seconds": 1050.0,
        "busy_cores": 1.9,
        "measured_at": "2026-12-06T00:00:00",
        **parsed,
    }
    text = "\n".join(render_test_suite(suite))
    assert "| 89.7 | call | test_determinism.py::test_same[duckdb] |" in text
    assert "**not met**" in text and "1 failed, 630 passed, 2 skipped" in text


def test_a_step_over_its_budget_is_named_and_fails_the_run(tmp_path):
    """A step 1.5x and 2 s slower than the same case's previous measurement is over budget: the
    runner names it, writes it to the page and exits with status 1 (6 December's regressions went
    unseen for two weeks)."""
    from benchmarks.run import over_budget, render_budget

    def case(**steps):
        return {
            "case": "duckdb-1x10",
            "build": {"steps": {k: {"seconds": v} for k, v in steps.items()}},
        }

    before = case(slow=10.0, noisy=1.0, same=20.0)
    after = case(slow=95.0, noisy=2.9, same=21.0, new=50.0)
    assert over_budget(before, after) == [{"step": "slow", "before": 10.0, "now": 95.0}]
    assert over_budget(None, after) == []
    assert over_budget(before, before) == []
    after |= {"over_budget": over_budget(before, after), "budget_from": "2026-12-01T10:00:00"}
    page = "\n".join(render_budget([after]))
    assert "| duckdb-1x10 | slow | 95.0 | 10.0 | 2026-12-01T10:00:00 |" in page
    assert "None in the last" in "\n".join(render_budget([before | {"budget_from": "x"}]))


def test_issue_18_targets_are_met_missed_or_not_run():
    """Each target of issue 18 reads met, missed (naming the steps its time goes to) or not run."""
    from benchmarks.run import render_scale_targets

    def case(seconds, peak=1000.0, **extra):
        steps = {"marts__metrics_monthly": {"seconds": seconds / 2}, "observe": {"seconds": 1.0}}
        return {"build": {"seconds": seconds, "peak_rss_mb": peak, "steps": steps}, **extra}

    results = {
        "cases": {
            "duckdb-1x600000": case(712.0, 7092.0, pupils=600_000, build_over_floor=4.0),
            "duckdb-1x100000": case(100.0, pupils=100_000),
            "postgres-1x100000": case(400.0, pupils=100_000),
            "postgres-1x10000": case(40.0, pupils=10_000),
        }
    }
    page = "\n".join(render_scale_targets(results))
    assert "| DuckDB 600,000: build <= 150 s | 712 s | **no** | metrics_monthly 356 s;" in page
    assert "| DuckDB 600,000: build / floor <= 5x | 4.00x | yes |  |" in page
    assert "| DuckDB 3 x 600,000: build peak <= 12 GB | not run | - |  |" in page
    assert "| PostgreSQL / DuckDB at 100,000 <= 3x | 4.00x | **no** |" in page
    assert "| PostgreSQL 10,000 -> 100,000: growth exponent <= 1.05 | 1.00 | yes |" in page
    assert "| make test <= 10 min | not run | - |" in page

    # a growth exponent that misses names the steps that grew most beyond linear
    generate = {"peak_rss_mb": 4000.0}
    results["cases"]["duckdb-1x600000"]["generate"] = generate
    results["cases"]["duckdb-3x600000"] = case(2400.0, pupils=1_800_000, generate=generate)
    page = "\n".join(render_scale_targets(results))
    assert (
        "| DuckDB 1 -> 3 cohorts of 600,000: growth exponent <= 1.05 | 1.11 | **no** | above "
        "linear: metrics_monthly 1200 s (linear 1068 s) |"
    ) in page
    # the generate peak of several cohorts is judged against the largest of them alone
    label = "| DuckDB 3 x 600,000: generate peak / its largest cohort's alone <= 1.10 |"
    assert f"{label} not run |" in page
    results["cases"]["duckdb-3x600000"]["generate_alone"] = [
        {"cohort": 2012, "peak_rss_mb": 3900.0},
        {"cohort": 2013, "peak_rss_mb": 3500.0},
    ]
    assert f"{label} 1.03 | yes |  |" in "\n".join(render_scale_targets(results))
    results["cases"]["duckdb-3x600000"]["generate"] = {"peak_rss_mb": 4400.0}
    page = "\n".join(render_scale_targets(results))
    assert f"{label} 1.13 | **no** | alone: 2012 3,900 MB; 2013 3,500 MB |" in page

    # figures of two cases are set side by side only when both ran the same code
    at = {"measured_at": "2026-12-07T05:55:49"}
    results["cases"]["duckdb-1x100000"].update(code_version="aaa", **at)
    results["cases"]["postgres-1x100000"].update(code_version="bbb", **at)
    page = "\n".join(render_scale_targets(results))
    assert (
        "| PostgreSQL / DuckDB at 100,000 <= 3x | (4.00x) | - | not comparable: measured on "
        "different code (2026-12-07 05:55 and 2026-12-07 05:55); run both again |"
    ) in page
    results["cases"]["postgres-1x100000"]["code_version"] = "aaa"
    assert "| PostgreSQL / DuckDB at 100,000 <= 3x | 4.00x | **no** |" in "\n".join(
        render_scale_targets(results)
    )


def test_code_version_follows_the_sql_and_the_package(tmp_path):
    """The fingerprint each case records changes with any SQL or Python file the build runs, and
    with nothing else."""
    from benchmarks.run import code_version

    for folder in ("sql/marts", "leo_assets"):
        (tmp_path / folder).mkdir(parents=True)
    (tmp_path / "sql/marts/a.sql").write_text("select 1 as a")
    (tmp_path / "leo_assets/x.py").write_text("X = 1")
    first = code_version(tmp_path)
    (tmp_path / "README.md").write_text("words")
    (tmp_path / "leo_assets/notes.txt").write_text("not code")
    assert code_version(tmp_path) == first
    (tmp_path / "sql/marts/a.sql").write_text("select 2 as a")
    second = code_version(tmp_path)
    assert second != first
    (tmp_path / "leo_assets/x.py").write_text("X = 2")
    assert code_version(tmp_path) not in (first, second)


def test_a_case_whose_code_changed_while_it_ran_is_compared_with_nothing(tmp_path, monkeypatch):
    """The build reads each SQL file when it materialises the asset, so an edit during a case runs:
    the case then records both fingerprints, which match no other case's."""
    import benchmarks.run as runner

    step = {"wall_seconds": 1.0, "cpu_seconds": 1.0, "peak_rss_mb": 1.0, "other_load_cores": 0.0}
    step |= {"seconds": 1.0, "copy_seconds": 1.0}
    monkeypatch.setattr(runner, "run_step", lambda *args, **kwargs: dict(step))
    versions = iter(["aaa", "bbb", "ccc", "ccc"])
    monkeypatch.setattr(runner, "code_version", lambda *args: next(versions))
    logged: list[str] = []
    case = runner.Case("duckdb", 10, 1)
    changed = runner.run_case(case, tmp_path, None, log=logged.append)
    assert changed["code_version"] == "changed during the case: aaa -> bbb"
    assert any("code changed during the case" in line for line in logged)
    assert runner.run_case(case, tmp_path, None, log=logged.append)["code_version"] == "ccc"
    assert not runner._same_code(changed, {"code_version": "aaa"})


@pytest.mark.timeout(120)
def test_the_floor_of_a_failed_build_copies_what_it_wrote(tmp_path):
    # a build that stopped part-way (the three-cohort case ran out of memory on 7 December) left
    # tables missing, and the floor step's error then ended the whole run unrecorded: the floor
    # now copies the tables that exist and names the others, so the case is recorded as failed
    from benchmarks.run import Case, _settings, step_floor, step_generate
    from leo_assets.resources import WorkspaceDatabase

    case = Case("duckdb", 50, 1)
    step_generate(case, tmp_path, None)
    db = WorkspaceDatabase.from_settings(_settings(case, tmp_path, None))
    db.ensure_schema()
    lookup = db.target("person_lookup").sql("duckdb")
    db.execute([f"CREATE TABLE {lookup} AS SELECT 1 AS person_id"])
    db.dispose()

    floor = step_floor(case, tmp_path, None)
    assert list(floor["tables"]) == ["marts/person_lookup"]
    assert "marts/metrics_monthly" in floor["not_built"]
    assert "marts/person_lookup" not in floor["not_built"]


def test_each_cohort_of_a_several_cohort_case_is_generated_alone(tmp_path, monkeypatch):
    """The generate peak of several cohorts is compared with each cohort generated on its own,
    of the same years (an earlier cohort has more follow-up, so more rows, than the last). The
    generate step itself is run for real by test_runner_tiny_size."""
    import benchmarks.run as runner
    from benchmarks.run import Case, generate_alone

    calls = []

    def fake_step(step, case, workdir, pg_url):
        assert workdir.is_dir() and workdir.parent == tmp_path
        (workdir / "sources").mkdir()
        calls.append((step, case.ks4_cohorts, pg_url))
        return {"seconds": 1.0, "wall_seconds": 2.0, "peak_rss_mb": 100.0 + case.last_cohort}

    monkeypatch.setattr(runner, "run_step", fake_step)
    case = Case("duckdb", 300, 3)
    assert case.ks4_cohorts == [2012, 2013, 2014]
    alone = generate_alone(case, tmp_path, log=lambda *_: None)
    assert calls == [("generate", [c], None) for c in (2012, 2013, 2014)]
    assert alone == [
        {"cohort": c, "seconds": 1.0, "peak_rss_mb": 100.0 + c} for c in (2012, 2013, 2014)
    ]
    assert not list(tmp_path.iterdir()), "the scratch sources are removed"
