"""Each run reports only itself (issue #12): a `featurestore run` whose dbt build stops before writing results
(a half-copied Parquet file under RAW_DATA_DIR) says which step failed and why in one line, exits 2, prints
no number of an earlier run and no traceback (`-v` shows it); the sync and `featurestore summary` then refuse
instead of trusting the older target/run_results.json; once the file is fixed the next run reports its own
invocation. The real CLI in child processes, on a real DuckDB file and a real redis-server."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from featurestore.online.server import RedisServer, free_port
from tests.functional.conftest import copy_state
from tests.support.cli import CliRun, run_cli
from tests.support.dbt import DbtHarness
from tests.support.gold import write_gold, write_table


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis", free_port())
    server.start()
    yield server
    server.stop(save=False)


def truncate_newest_viewing_file(harness: DbtHarness) -> tuple[Path, bytes]:
    """Cut the newest viewing-events file in half, as an interrupted copy leaves it; returns its old bytes."""
    newest = sorted((harness.raw_dir / "viewing_events").glob("event_date=*/*.parquet"))[-1]
    whole = newest.read_bytes()
    newest.write_bytes(whole[: len(whole) // 2])
    return newest, whole


def invocation_of(harness: DbtHarness) -> str:
    """The invocation id in the harness's target/run_results.json."""
    return str(json.loads((harness.root / "target" / "run_results.json").read_text())["metadata"]["invocation_id"])


def invocation_ids(text: str) -> set[str]:
    return set(re.findall(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", text))


def assert_one_clean_error(run: CliRun, code: int, *needles: str) -> str:
    assert run.returncode == code, run.output
    assert "Traceback" not in run.output
    assert len(run.error_lines) == 1, run.output
    line = run.error_lines[0]
    for needle in needles:
        assert needle in line, f"{needle!r} not in {line!r}"
    return line


def test_a_corrupt_gold_file_stops_the_run_with_one_line_and_no_stale_report(
    small_published: DbtHarness, tmp_path: Path, redis_server: RedisServer
) -> None:
    harness = copy_state(small_published, tmp_path / "state")
    older = invocation_of(harness)
    corrupt, whole = truncate_newest_viewing_file(harness)

    run = run_cli(harness, "run", "--no-sync")

    line = assert_one_clean_error(run, 2, str(corrupt), "register_gold_sources", "Replace it")
    assert "Nothing was published by this run" in line
    assert older not in run.output  # nothing of the earlier run: no id, no verdict, no tables
    assert "Publish gate" not in run.output and "Relations in" not in run.output
    assert "Rejected events" not in run.output
    stopped = json.loads((harness.root / "target" / "featurestore_last_invocation.json").read_text())
    assert stopped["status"] == "stopped" and stopped["invocation_id"] not in (None, older)

    # the sync refuses on the older run_results.json, before touching Redis
    redis_server.client().set("untouched", "1")
    refused = run_cli(harness, "sync", REDIS_URL=redis_server.url)
    assert_one_clean_error(refused, 1, "Sync refused", "wrote no results", stopped["invocation_id"], str(corrupt))
    assert redis_server.client().keys("*") == [b"untouched"]
    summary = run_cli(harness, "summary")
    assert_one_clean_error(summary, 1, "wrote no results")
    assert "Publish gate" not in summary.output

    corrupt.write_bytes(whole)  # the copy completes
    fixed = run_cli(harness, "run", "--no-sync")
    assert fixed.returncode == 0, fixed.output
    this_run = invocation_of(harness)
    assert this_run not in (older, stopped["invocation_id"])
    assert f"Publish gate passed in dbt run {this_run}." in fixed.output
    assert invocation_ids(fixed.output) == {this_run}, "the summary names an invocation other than its own"
    # the closing run summary: this run's stages and what it wrote (a daily run over the copied build)
    assert f"Run summary: dbt build {this_run} on local" in fixed.output
    cell = r"[\s│|]+"  # a table cell border
    assert re.search(rf"dbt build{cell}[\d.]+{cell}\d+ models; data tests \d+ passed, \d+ warned, 0 failed",
                     fixed.output)
    assert "Rows written per model by this run" in fixed.output
    assert re.search(rf"main_marts\.profile_features{cell}incremental{cell}[1-9][\d,]*{cell}from \d{{4}}-",
                     fixed.output), "the published log's rows of the dates it replaced"


def test_a_fresh_warehouse_with_an_older_target_folder_reports_the_file_not_the_old_run(
    small_published: DbtHarness, tmp_path: Path
) -> None:
    """The issue's fresh clone: target/ holds another build's results, the warehouse does not exist yet (the
    summary used to print that build and then crash on a missing table). With -v: the traceback, for
    debugging, and still the one line and exit code."""
    harness = copy_state(small_published, tmp_path / "fresh", warehouse=False)
    older = invocation_of(harness)
    corrupt, _ = truncate_newest_viewing_file(harness)

    run = run_cli(harness, "-v", "run", "--no-sync")

    assert run.returncode == 2, run.output
    assert "Traceback" in run.output and "No magic bytes" in run.output  # -v: dbt's exception, chained
    assert len(run.error_lines) == 1 and str(corrupt) in run.error_lines[0]
    assert older not in run.output
    assert "CatalogException" not in run.output and "Publish gate" not in run.output


def test_a_missing_gold_column_is_one_line_naming_table_and_column(tmp_path: Path) -> None:
    harness = DbtHarness(tmp_path)
    write_gold(harness.raw_dir, {})
    write_table(harness.raw_dir, "viewing_events", [], drop=("watch_seconds",))

    run = run_cli(harness, "run", "--no-sync")

    assert_one_clean_error(run, 2, "'viewing_events'", "'watch_seconds'", "check_gold_source_contract")
