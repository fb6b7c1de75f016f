"""Which dbt results are current: run_results.json is trusted only when no later invocation started and
stopped (or was killed) before writing its own. Artefacts written as dbt writes them (metadata first)."""

from __future__ import annotations

import json
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import duckdb
import pytest

from featurestore.failures import EXIT_INPUT, diagnose
from featurestore.invocations import InvocationRecord, StaleResults, current_results
from featurestore.paths import ProjectPaths

T0 = datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def write_results(target: Path, invocation_id: str, at: datetime) -> None:
    target.mkdir(parents=True, exist_ok=True)
    (target / "run_results.json").write_text(
        json.dumps(
            {
                "metadata": {"invocation_id": invocation_id, "generated_at": iso(at)},
                "args": {"which": "build", "target": "local"},
                "elapsed_time": 1.0,
                "results": [{"unique_id": "model.featurestore.profile_features.v1", "status": "success"}],
            }
        )
    )


def write_manifest(target: Path, invocation_id: str, at: datetime) -> None:
    target.mkdir(parents=True, exist_ok=True)
    metadata = {"dbt_schema_version": "x", "dbt_version": "1.11.16", "generated_at": iso(at),
                "invocation_id": invocation_id}
    (target / "manifest.json").write_text(json.dumps({"metadata": metadata, "nodes": {}}))


def record(target: Path, warehouse: Path, invocation_id: str | None, at: datetime, status: str, **kw: object) -> None:
    InvocationRecord(
        command="build --target local", started_at=at.isoformat(), pid=kw.pop("pid", 1),  # type: ignore[arg-type]
        caller="featurestore run", warehouse=str(warehouse), target="local", invocation_id=invocation_id,
        status=status, **kw,  # type: ignore[arg-type]
    ).write(target)


@pytest.fixture
def paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ProjectPaths:
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    monkeypatch.setenv("DUCKDB_PATH", str(tmp_path / "wh.duckdb"))
    return ProjectPaths(tmp_path)


def test_a_finished_featurestore_build_is_current(paths: ProjectPaths) -> None:
    write_manifest(paths.target_dir, "a", T0)
    write_results(paths.target_dir, "a", T0 + timedelta(seconds=30))
    record(paths.target_dir, paths.duckdb_path, "a", T0 - timedelta(seconds=2), "finished")
    assert current_results(paths).invocation_id == "a"


def test_a_later_build_that_stopped_before_results_makes_them_stale(paths: ProjectPaths) -> None:
    write_manifest(paths.target_dir, "b", T0 + timedelta(minutes=5))
    write_results(paths.target_dir, "a", T0)
    record(paths.target_dir, paths.duckdb_path, "b", T0 + timedelta(minutes=5), "stopped",
           step="the on-run-start hook 2 of 3 (register_gold_sources())", error="Gold file x.parquet is unreadable")
    with pytest.raises(StaleResults) as refused:
        current_results(paths)
    assert "register_gold_sources" in refused.value.message and "x.parquet" in refused.value.message
    assert "older invocation (a)" in refused.value.message


def test_a_killed_build_is_named_killed(paths: ProjectPaths) -> None:
    dead = subprocess.Popen(["true"])
    dead.wait()
    write_results(paths.target_dir, "a", T0)
    record(paths.target_dir, paths.duckdb_path, None, T0 + timedelta(minutes=5), "running", pid=dead.pid)
    with pytest.raises(StaleResults, match="killed or crashed"):
        current_results(paths)


def test_plain_dbt_killed_after_parsing_makes_them_stale(paths: ProjectPaths) -> None:
    """No featurestore record of it: dbt's manifest.json carries the newer invocation."""
    write_results(paths.target_dir, "a", T0)
    record(paths.target_dir, paths.duckdb_path, "a", T0 - timedelta(seconds=30), "finished")
    write_manifest(paths.target_dir, "c", T0 + timedelta(minutes=1))
    with pytest.raises(StaleResults, match=r"newest dbt invocation \(c"):
        current_results(paths)


def test_a_later_plain_dbt_build_is_current(paths: ProjectPaths) -> None:
    record(paths.target_dir, paths.duckdb_path, "a", T0, "stopped", error="boom")
    write_manifest(paths.target_dir, "d", T0 + timedelta(minutes=1))
    write_results(paths.target_dir, "d", T0 + timedelta(minutes=2))
    assert current_results(paths).invocation_id == "d"


def test_featurestore_dbt_ls_leaves_the_build_current(paths: ProjectPaths) -> None:
    write_results(paths.target_dir, "a", T0)
    write_manifest(paths.target_dir, "e", T0 + timedelta(minutes=1))
    record(paths.target_dir, paths.duckdb_path, "e", T0 + timedelta(minutes=1), "no-results")
    assert current_results(paths).invocation_id == "a"


def test_results_of_another_warehouse_are_refused(paths: ProjectPaths, tmp_path: Path) -> None:
    write_manifest(paths.target_dir, "a", T0)
    write_results(paths.target_dir, "a", T0 + timedelta(seconds=30))
    record(paths.target_dir, tmp_path / "other.duckdb", "a", T0, "finished")
    with pytest.raises(StaleResults, match="another warehouse"):
        current_results(paths)


def test_engine_errors_are_diagnosed(tmp_path: Path) -> None:
    half = tmp_path / "half.parquet"
    duckdb.sql("copy (select 1 as x) to '" + str(half) + "' (format parquet)")
    half.write_bytes(half.read_bytes()[:20])
    with pytest.raises(duckdb.Error) as corrupt:
        duckdb.sql(f"select * from read_parquet('{half}')").fetchall()
    found = diagnose(str(corrupt.value))
    assert found is not None and found.exit_code == EXIT_INPUT and str(half) in found.what

    with pytest.raises(duckdb.Error) as missing:
        duckdb.sql("select * from main_marts.nothing_here").fetchall()
    found = diagnose(str(missing.value))
    assert found is not None and "nothing_here" in found.what and "featurestore run" in found.fix

    full = diagnose("IO Error: Could not write file \"/mnt/x/wh.duckdb.wal\": No space left on device")
    assert full is not None and "disk is full" in full.what and "/mnt/x/wh.duckdb.wal" in full.what
