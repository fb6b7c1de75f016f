"""The warehouse's writer lock between real processes: refused at once with the holder named, queued with a
wait, freed by the kernel when its holder is SIGKILLed, re-entrant within one process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from featurestore.failures import EXIT_INPUT
from featurestore.paths import ProjectPaths
from featurestore.writer_lock import LockHeld, duckdb_lock_path, holder_path, writer_lock

HOLD = """
import sys, time
from pathlib import Path
from featurestore.paths import ProjectPaths
from featurestore.writer_lock import writer_lock
with writer_lock(ProjectPaths(Path(sys.argv[1])), command="featurestore run (holder)"):
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


@pytest.fixture
def paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ProjectPaths:
    monkeypatch.setenv("DUCKDB_PATH", str(tmp_path / "wh.duckdb"))
    return ProjectPaths(tmp_path)


@pytest.fixture
def holder(paths: ProjectPaths) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the lock for 1.5 s."""
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(paths.project_dir), "1.5"], stdout=subprocess.PIPE, text=True,
        env={**os.environ},
    )
    assert process.stdout is not None and process.stdout.readline().strip() == "held"
    yield process
    if process.poll() is None:
        process.kill()
    process.wait()


def test_a_second_writer_is_refused_at_once_naming_the_holder(
    paths: ProjectPaths, holder: subprocess.Popen[str]
) -> None:
    started = time.monotonic()
    with pytest.raises(LockHeld) as refused:
        with writer_lock(paths):
            pass
    assert time.monotonic() - started < 0.5
    assert refused.value.exit_code == EXIT_INPUT
    message = refused.value.message
    assert f"PID {holder.pid}" in message and "featurestore run (holder)" in message
    assert str(paths.duckdb_path) in message and "--wait" in message


def test_a_waiting_writer_gets_the_lock_when_the_holder_ends(
    paths: ProjectPaths, holder: subprocess.Popen[str]
) -> None:
    started = time.monotonic()
    with writer_lock(paths, wait=30, command="featurestore sync"):
        waited = time.monotonic() - started
        record = json.loads(holder_path(duckdb_lock_path(paths.duckdb_path)).read_text())
        assert record["pid"] == os.getpid() and record["command"] == "featurestore sync"
    assert 1.0 < waited < 30  # the holder slept 1.5 s after taking it
    assert not holder_path(duckdb_lock_path(paths.duckdb_path)).exists()


def test_a_wait_that_runs_out_names_the_holder(paths: ProjectPaths, holder: subprocess.Popen[str]) -> None:
    with pytest.raises(LockHeld, match=f"still being written by PID {holder.pid}.*after waiting 0.3 s"):
        with writer_lock(paths, wait=0.3):
            pass


def test_a_killed_holder_leaves_no_stale_lock(paths: ProjectPaths, holder: subprocess.Popen[str]) -> None:
    holder.kill()  # SIGKILL: no cleanup runs; its holder record stays behind
    holder.wait()
    assert holder_path(duckdb_lock_path(paths.duckdb_path)).exists()
    with writer_lock(paths):  # the kernel released the lock with the process
        record = json.loads(holder_path(duckdb_lock_path(paths.duckdb_path)).read_text())
        assert record["pid"] == os.getpid()


def test_nested_use_in_one_process_is_reentrant(paths: ProjectPaths) -> None:
    with writer_lock(paths, command="featurestore run"):
        with writer_lock(paths, command="featurestore sync"):
            pass
        record = json.loads(holder_path(duckdb_lock_path(paths.duckdb_path)).read_text())
        assert record["command"] == "featurestore run"  # the outer holder stays recorded
    assert not holder_path(duckdb_lock_path(paths.duckdb_path)).exists()


READ = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
print("reading", flush=True)
time.sleep(float(sys.argv[2]))
"""


def reader_holding(warehouse: Path, seconds: float) -> subprocess.Popen[str]:
    """Another process with the DuckDB file open read-only (a BI tool's query) for `seconds`."""
    process = subprocess.Popen(
        [sys.executable, "-c", READ, str(warehouse), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None and process.stdout.readline().strip() == "reading"
    return process


def test_a_writer_waits_for_a_reader_then_keeps_readers_out(
    paths: ProjectPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    import duckdb

    from featurestore import warehouse

    duckdb.connect(str(paths.duckdb_path)).close()
    monkeypatch.setattr(warehouse, "READER_WAIT_SECONDS", 30.0)
    reader = reader_holding(paths.duckdb_path, 1.0)
    with writer_lock(paths):
        assert reader.wait(timeout=30) == 0  # the writer got the file once the reader closed it
        later = subprocess.run(
            [sys.executable, "-c", READ, str(paths.duckdb_path), "0"], capture_output=True, text=True
        )
        assert later.returncode == 1 and "Could not set lock on file" in later.stderr
        with duckdb.connect(str(paths.duckdb_path)) as con:  # this process shares the open database
            assert con.execute("select 42").fetchone() == (42,)


def test_a_reader_that_never_closes_refuses_the_writer_naming_the_file(
    paths: ProjectPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    import duckdb

    from featurestore import warehouse
    from featurestore.failures import as_featurestore_error

    duckdb.connect(str(paths.duckdb_path)).close()
    monkeypatch.setattr(warehouse, "READER_WAIT_SECONDS", 0.5)
    reader = reader_holding(paths.duckdb_path, 60)
    try:
        with pytest.raises(duckdb.IOException) as refused:
            with writer_lock(paths):
                pass
    finally:
        reader.kill()
        reader.wait()
    failure = as_featurestore_error(refused.value)
    assert failure is not None and failure.exit_code == EXIT_INPUT
    assert str(paths.duckdb_path) in failure.message and "\n" not in failure.message
    assert not holder_path(duckdb_lock_path(paths.duckdb_path)).exists()  # the lock was released
