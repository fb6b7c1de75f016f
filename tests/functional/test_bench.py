"""`featurestore bench`: the real command at a tiny size (real generator, two real dbt builds, a real
redis-server started by the command with the project's `RedisServer` on a free port), the flat-cost experiment
at a tiny size, the one-line error of a failed step, and the merge of results across invocations.

Shapes and outcomes only: never timings (the machine is shared).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from featurestore.bench import report
from featurestore.bench.steps import SIZE_STEPS, STEP_LABELS
from tests.support.dbt import PROJECT_DIR

FEATURESTORE = str(Path(sys.executable).parent / "featurestore")
# 20 days, not 10: with under ~2 weeks of history the drift checks of the publish gate rightly fail
# (cumulative features still ramp up), and a build whose gate fails is a failed step.
TINY = ["--profiles", "300", "--days", "20"]
FLAT_TINY = ["--flat-cost", "--flat-cost-profiles", "100", "--flat-cost-repeats", "1"]
STEP_KEYS = {"label", "wall_s", "peak_rss_mb", "success", "details", "log"}


def run_bench(
    *args: str, env: dict[str, str] | None = None, timeout: int = 1200
) -> subprocess.CompletedProcess[str]:
    environment = {
        k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "RAW_DATA_DIR", "DUCKDB_PATH"}
    }
    environment["COLUMNS"] = "400"  # usage errors are boxed by the console width: keep long tmp paths on one line
    environment.update(env or {})
    return subprocess.run(
        [FEATURESTORE, "bench", *args],
        cwd=PROJECT_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _port_open(url: str) -> bool:
    parsed = urlparse(url)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((parsed.hostname or "127.0.0.1", parsed.port or 6379)) == 0


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path, Path]:
    root = tmp_path_factory.mktemp("bench")
    out, work = root / "out", root / "work"
    result = run_bench(*TINY, *FLAT_TINY, "--out", str(out), "--work-dir", str(work))
    return result, out, work


def test_tiny_run_succeeds_and_cleans_up(
    tiny_run: tuple[subprocess.CompletedProcess[str], Path, Path],
) -> None:
    result, out, work = tiny_run
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert {p.name for p in out.iterdir()} == {"bench.json", "bench.md", "bench.png"}
    assert (out / "bench.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not any(work.iterdir()), "work folders are removed without --keep"


def test_json_shape_every_step_succeeded(
    tiny_run: tuple[subprocess.CompletedProcess[str], Path, Path],
) -> None:
    _, out, _ = tiny_run
    data = json.loads((out / "bench.json").read_text())
    assert data["schema_version"] == report.SCHEMA_VERSION
    for key in ("cpu_count", "ram_gb", "python", "duckdb", "dbt_core", "date"):
        assert data["machine"][key] is not None, key
    [entry] = data["sizes"]
    assert (entry["profiles"], entry["days"], entry["success"], entry["error"]) == (300, 20, True, None)
    assert set(entry["duckdb_env"]) == {
        "DUCKDB_MEMORY_LIMIT", "DUCKDB_THREADS", "DUCKDB_TEMP_DIR", "DBT_THREADS",
    }
    assert entry["duckdb_effective"]["TimeZone"] == "UTC"
    # the floors ran with the build's DuckDB settings from profiles.yml (DuckDB's defaults: true, all cores)
    assert entry["duckdb_effective"]["preserve_insertion_order"].lower() == "false"
    assert entry["duckdb_effective"]["threads"] == os.environ.get("DUCKDB_THREADS", "2")
    assert list(entry["steps"]) == [name for name, _ in SIZE_STEPS]
    for name, step in entry["steps"].items():
        assert set(step) == STEP_KEYS, name
        assert step["success"] is True, (name, step)
        assert step["wall_s"] > 0 and step["peak_rss_mb"] > 0, name
    steps = entry["steps"]
    for build in ("full_build", "daily_build"):
        details = steps[build]["details"]
        assert details["returncode"] == 0 and details["failed"] == []
        assert details["top_models"] and {"model", "seconds", "status"} <= set(details["top_models"][0])
    data_facts = entry["data"]
    assert (
        data_facts["events"]
        == data_facts["gold_rows"]["viewing_events"] + data_facts["gold_rows"]["engagement_events"]
    )
    assert steps["scan_floor"]["details"]["events_read"] == data_facts["events"]
    # the write floor wrote exactly the shape of the built profile_features
    assert steps["write_floor"]["details"]["rows_written"] == data_facts["feature_log_rows"] > 0
    assert steps["write_floor"]["details"]["columns"] == data_facts["feature_columns"]
    assert steps["initial_sync"]["details"]["mode"] == "full"
    assert steps["initial_sync"]["details"]["profiles_written"] > 0
    assert steps["daily_sync"]["details"]["mode"] == "incremental"
    assert 0 < steps["daily_sync"]["details"]["profiles_written"] <= data_facts["live_profiles"]
    assert steps["daily_sync"]["details"]["feature_date"] > steps["initial_sync"]["details"]["feature_date"]
    # the command's own redis-server is gone afterwards
    assert entry["redis"]["url"].startswith("redis://127.0.0.1:")
    assert not _port_open(entry["redis"]["url"])
    assert set(entry["ratios"]) >= {"full_over_floors", "daily_over_full", "full_ms_per_profile", "floors_s"}
    assert all(value is not None for value in entry["ratios"].values())


def test_flat_cost_result(tiny_run: tuple[subprocess.CompletedProcess[str], Path, Path]) -> None:
    _, out, _ = tiny_run
    flat = json.loads((out / "bench.json").read_text())["flat_cost"]
    assert flat["success"] is True and flat["error"] is None
    assert (flat["profiles"], flat["dormant_profiles"], flat["repeats"]) == (100, 1000, 1)
    base, dormant = flat["scenarios"]
    assert (base["scenario"], dormant["scenario"]) == ("base", "dormant")
    assert dormant["live_profiles"] - base["live_profiles"] == 1000
    for scenario in (base, dormant):
        assert len(scenario["daily_runs_s"]) == 1 and scenario["daily_rows_written"] > 0
        assert scenario["daily_slowest_nodes"]
    assert isinstance(flat["met"], bool)
    for key in ("time_ratio", "rows_ratio", "daily_vs_full_base"):
        assert flat[key] > 0


def test_markdown_lists_every_step(tiny_run: tuple[subprocess.CompletedProcess[str], Path, Path]) -> None:
    _, out, _ = tiny_run
    md = (out / "bench.md").read_text()
    assert "| 300 x 20 |" in md
    for label in STEP_LABELS.values():
        assert f"| 300 x 20 | {label} |" in md, label
    assert "## Flat cost" in md and "| base |" in md and "| dormant |" in md
    assert "](bench.png)" in md


def test_failed_step_is_one_line_naming_step_and_log(tmp_path: Path) -> None:
    no_profiles = tmp_path / "no-profiles"
    no_profiles.mkdir()
    out = tmp_path / "out"
    result = run_bench(
        "--profiles",
        "200",
        "--days",
        "2",
        "--out",
        str(out),
        "--work-dir",
        str(tmp_path / "work"),
        env={"DBT_PROFILES_DIR": str(no_profiles)},
    )
    assert result.returncode == 1
    [line] = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert "full dbt build" in line and "Could not find profile" in line
    log = Path(line.split("; log: ", 1)[1].split(" (work folder kept", 1)[0])
    assert log.is_file() and "Could not find profile" in log.read_text()
    entry = json.loads((out / "bench.json").read_text())["sizes"][0]
    assert entry["success"] is False
    assert entry["steps"]["generate"]["success"] is True
    assert entry["steps"]["full_build"]["success"] is False
    assert entry["steps"]["daily_sync"]["details"] == {"skipped": True}
    assert "FAILED" in (out / "bench.md").read_text()


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert run_bench("--out", str(tmp_path / "out")).returncode == 2  # nothing to measure
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "bench.json").write_text("{not json")
    result = run_bench("--profiles", "200", "--out", str(tmp_path / "bad"))
    assert result.returncode == 2 and "bench.json" in result.stderr


def test_a_run_the_disk_cannot_hold_is_refused_before_it_starts(tmp_path: Path) -> None:
    # 10^9 profiles x 90 days at ~1 KB a profile-day: 90 PB, more than any disk here
    work = tmp_path / "work"
    result = run_bench("--profiles", "1000000000", "--work-dir", str(work), "--out", str(tmp_path / "out"))
    assert result.returncode == 2, result.stderr
    message = " ".join(result.stderr.split())
    assert str(tmp_path) in message and "GB free" in message and "--no-disk-check" in message, result.stderr
    assert "Traceback" not in result.stderr
    assert not work.exists() and not (tmp_path / "out" / "bench.json").exists(), "nothing started"


def _entry(profiles: int, full: float, measured: str) -> dict[str, Any]:
    def step(wall: float) -> dict[str, Any]:
        return {
            "label": "x",
            "wall_s": wall,
            "peak_rss_mb": 100.0,
            "success": True,
            "details": {},
            "log": None,
        }

    return {
        "profiles": profiles,
        "days": 90,
        "measured_at": measured,
        "success": True,
        "error": None,
        "data": {"live_profiles": profiles},
        "steps": {name: step(full if name == "full_build" else 1.0) for name, _ in SIZE_STEPS},
    }


def test_results_merge_one_entry_per_size_newer_replaces_older(tmp_path: Path) -> None:
    results = report.load(tmp_path)
    report.merge_size(results, _entry(20_000, 100.0, "old"))
    report.merge_size(results, _entry(5_000, 30.0, "first"))
    report.save(tmp_path, results)
    again = report.load(tmp_path)
    report.merge_size(again, _entry(20_000, 90.0, "new"))
    report.save(tmp_path, again)
    merged = json.loads((tmp_path / "bench.json").read_text())
    assert [(e["profiles"], e["measured_at"]) for e in merged["sizes"]] == [(5_000, "first"), (20_000, "new")]
    assert merged["sizes"][1]["ratios"]["full_over_floors"] == 45.0  # 90 / (1 + 1)
    md = (tmp_path / "bench.md").read_text()
    assert "| 5,000 x 90 |" in md and "| 20,000 x 90 |" in md
    assert (tmp_path / "bench.png").stat().st_size > 0
