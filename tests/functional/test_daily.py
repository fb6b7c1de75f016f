"""`featurestore daily` as a scheduler runs it: a child process, real dbt on DuckDB, a real redis-server.

Each test starts from a copy of the session's small published build (300 profiles x 20 days) and runs the
whole sequence on it: build (the publish gate included), sync, report. The exit code must name the stage that
stopped the sequence (docs/scheduling.md: 10 build, 11 gate, 12 sync, 13 report) and later stages must not run.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import redis

from featurestore.online.server import RedisServer, free_port
from tests.functional.conftest import copy_state
from tests.support.cli import run_cli
from tests.support.dbt import DbtHarness


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    server = RedisServer(tmp_path / "redis", free_port())
    url = server.start()
    yield url
    server.stop(save=False)


def redis_keys(url: str) -> int:
    return int(redis.Redis.from_url(url).dbsize())


def test_success_runs_the_three_stages(small_published: DbtHarness, redis_url: str, tmp_path: Path) -> None:
    harness = copy_state(small_published, tmp_path / "state")
    report = tmp_path / "quality.html"
    done = run_cli(harness, "daily", "--report-out", str(report), REDIS_URL=redis_url)
    assert done.returncode == 0, done.output
    assert "daily: build: ok" in done.stdout
    assert "sync: ok" in done.stdout
    assert f"report: ok ({report})" in done.stdout
    assert redis_keys(redis_url) > 0, "the sync stage loaded nothing"
    assert report.is_file() and "<html" in report.read_text()[:500].lower()
    assert "Traceback" not in done.output


def test_a_refused_gate_stops_before_the_sync(small_published: DbtHarness, redis_url: str, tmp_path: Path) -> None:
    harness = copy_state(small_published, tmp_path / "state")
    profiles = harness.raw_dir / "profiles" / "part-0.parquet"
    table = pq.read_table(profiles)
    pq.write_table(pa.concat_tables([table, table.slice(0, 1)]), profiles)  # a duplicated profile_id
    report = tmp_path / "quality.html"
    done = run_cli(harness, "daily", "--report-out", str(report), REDIS_URL=redis_url)
    assert done.returncode == 11, done.output
    assert len(done.error_lines) == 1, done.output
    assert "publish gate refused" in done.error_lines[0]
    assert "unique_gold_profiles_profile_id" in done.error_lines[0]
    assert "build: failed, exit 11; sync: not run; report: not run" in done.stdout
    assert redis_keys(redis_url) == 0, "Redis was written although the gate refused"
    assert not report.exists()
    assert "Traceback" not in done.output


def test_an_unreachable_redis_fails_the_sync_stage(small_published: DbtHarness, tmp_path: Path) -> None:
    harness = copy_state(small_published, tmp_path / "state")
    nobody = f"redis://127.0.0.1:{free_port()}/0"  # a free port: nothing listens there
    report = tmp_path / "quality.html"
    done = run_cli(harness, "daily", "--report-out", str(report), REDIS_URL=nobody)
    assert done.returncode == 12, done.output
    assert len(done.error_lines) == 1, done.output
    assert nobody.split("/0")[0].removeprefix("redis://") in done.error_lines[0]
    assert "build: ok" in done.stdout and "sync: failed, exit 12; report: not run" in done.stdout
    assert not report.exists()
    assert "Traceback" not in done.output


def test_conflicting_options_exit_2_before_anything_runs(small_published: DbtHarness, tmp_path: Path) -> None:
    harness = copy_state(small_published, tmp_path / "state", warehouse=False, target=False)
    done = run_cli(harness, "daily", "--as-of-date", "2026-08-10", "--backfill-from", "2026-08-01")
    assert done.returncode == 2, done.output
    assert len(done.error_lines) == 1 and "--as-of-date" in done.error_lines[0]
    assert not harness.duckdb_path.exists(), "a refused invocation must not build anything"


def test_a_build_that_cannot_read_its_gold_input_fails_the_build_stage(
    small_published: DbtHarness, redis_url: str, tmp_path: Path
) -> None:
    harness = copy_state(small_published, tmp_path / "state")
    broken = sorted((harness.raw_dir / "viewing_events").rglob("*.parquet"))[-1]
    broken.write_bytes(broken.read_bytes()[:100])  # a half-copied file
    done = run_cli(harness, "daily", "--report-out", str(tmp_path / "quality.html"), REDIS_URL=redis_url)
    assert done.returncode == 10, done.output
    assert len(done.error_lines) == 1, done.output
    assert broken.name in done.error_lines[0]
    assert "build: failed, exit 10; sync: not run; report: not run" in done.stdout
    assert redis_keys(redis_url) == 0
