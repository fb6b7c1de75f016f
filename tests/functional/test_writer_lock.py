"""One writer per warehouse (issue #12), with real processes: while `featurestore run` builds, a second
`featurestore run` exits 2 at once with one line naming the holder and the fix, a DuckDB reader is told who
writes and for how long it will wait, and `featurestore report --wait` queues behind the build and then
runs. The lock dies with its holder (see test_crash_drills for SIGKILL)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from featurestore.generator import append_day
from featurestore.writer_lock import duckdb_lock_path, holder_path
from tests.functional.conftest import copy_state
from tests.support.cli import OutputWatcher, run_cli, start_cli
from tests.support.dbt import DbtHarness


def test_a_second_writer_exits_2_at_once_and_a_waiting_one_queues(
    small_published: DbtHarness, tmp_path: Path
) -> None:
    harness = copy_state(small_published, tmp_path / "state")
    append_day(harness.raw_dir)  # the daily run has work to do
    holder_file = holder_path(duckdb_lock_path(harness.duckdb_path))
    labels = tmp_path / "labels.parquet"
    pq.write_table(pa.table({"profile_id": ["p-0000001"], "label_date": ["2026-08-10"]}), labels)

    first = start_cli(harness, "run", "--no-sync")
    build = OutputWatcher(first)
    try:
        build.wait_for(lambda line: "START hook" in line)  # dbt holds the DuckDB file from here to the end
        holder = json.loads(holder_file.read_text())
        assert holder["pid"] == first.pid and holder["command"].endswith("run --no-sync")

        # queued first: the build (its DuckDB file now held open throughout, no reopen per node) may be short
        waiting = start_cli(harness, "report", "--wait", "600", "--out", str(tmp_path / "quality.html"))
        queued = OutputWatcher(waiting)
        started = time.monotonic()
        second = run_cli(harness, "run", "--no-sync")
        elapsed = time.monotonic() - started
        reader = run_cli(harness, "training-set", "--labels", str(labels), "--out", str(tmp_path / "ts.parquet"))
        still_building = first.poll() is None
    except BaseException:
        first.kill()
        raise

    assert second.returncode == 2, second.output
    assert "Traceback" not in second.output and "Building with dbt" not in second.output
    assert len(second.error_lines) == 1, second.output
    line = second.error_lines[0]
    assert f"PID {first.pid}" in line and "run --no-sync" in line and "--wait SECONDS" in line
    assert str(harness.duckdb_path) in line
    assert elapsed < 30, f"the second writer took {elapsed:.1f} s to give up: it should not start any work"

    if still_building:  # a reader of the DuckDB file during the build: told who writes, exit 2
        assert reader.returncode == 2, reader.output
        assert len(reader.error_lines) == 1 and f"PID {first.pid}" in reader.error_lines[0]
        assert "Traceback" not in reader.output

    assert build.finish() == 0, build.text
    finished = time.monotonic()
    assert queued.finish() == 0, queued.text
    assert time.monotonic() >= finished
    assert f"Waiting up to 600 s for PID {first.pid}" in " ".join(queued.text.split())
    assert (tmp_path / "quality.html").is_file()
    assert not holder_file.exists()  # released with its holder record
