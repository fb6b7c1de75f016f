"""The sync on a real dbt build of generated Gold data (deleted, dormant and reactivating profiles, real
NULLs, the real publish gate), then on the next day's incremental build: the incremental sync ends exactly
where a full sync of the same warehouse ends."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from featurestore.env import temporary_environment
from featurestore.generator import GeneratorConfig, append_day, generate
from featurestore.online.asof import DAY_COUNTS, bring_forward
from featurestore.online.client import OnlineStoreClient
from featurestore.online.layout import Layout
from featurestore.online.server import RedisServer, free_port
from featurestore.online.sync import run_sync
from featurestore.online.verify import run_verify
from featurestore.paths import ProjectPaths
from tests.online.conftest import PROJECT_DIR
from tests.support.dbt import DbtHarness


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory) -> DbtHarness:
    built = DbtHarness(tmp_path_factory.mktemp("dbt-online"))
    generate(GeneratorConfig(out_dir=built.raw_dir, profiles=400, days=20, seed=5))
    outcome = built.build()
    assert outcome.success, outcome.text
    return built


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[tuple[RedisServer, RedisServer]]:
    a, b = RedisServer(tmp_path / "a", free_port()), RedisServer(tmp_path / "b", free_port())
    a.start()
    b.start()
    yield a, b
    a.stop(save=False)
    b.stop(save=False)


def env(harness: DbtHarness, server: RedisServer) -> dict[str, str]:
    return {
        "DUCKDB_PATH": str(harness.duckdb_path),
        "DBT_TARGET_PATH": str(harness.root / "target"),
        "RAW_DATA_DIR": str(harness.raw_dir),
        "REDIS_URL": server.url,
        "FS_PREFIX": "fs:v1",
        "FS_TTL_DAYS": "120",
    }


def dump(server: RedisServer) -> dict[bytes, dict[bytes, bytes]]:
    client = server.client()
    return {key: client.hgetall(key) for key in client.scan_iter(match="fs:v1:profile:*", count=1000)}


def test_full_then_incremental_sync_on_a_real_build(
    harness: DbtHarness, servers: tuple[RedisServer, RedisServer]
) -> None:
    incremental, reference = servers
    paths = ProjectPaths(PROJECT_DIR)
    layout = Layout.from_catalog("fs:v1", PROJECT_DIR)
    live = harness.query(
        "select count(*) from main_marts.profile_features_latest as l "
        "where coalesce(l.last_play_date, l.profile_created_date) + 120 > l.feature_date"
    )[0][0]
    with temporary_environment(env(harness, incremental)):
        first = run_sync(paths)
        check = run_verify(paths, sample=100_000)
    assert first.plan.mode == "full" and first.written == live
    assert check.ok and check.checked == live, [d.describe() for d in check.differences[:5]]

    append_day(harness.raw_dir)
    outcome = harness.build()
    assert outcome.success, outcome.text
    with temporary_environment(env(harness, incremental)):
        second = run_sync(paths)
        check = run_verify(paths, sample=100_000)
    assert second.plan.mode == "incremental"
    assert second.plan.feature_date > first.plan.feature_date
    assert 0 < second.written < first.written  # activity, not the profile base
    assert check.ok, [d.describe() for d in check.differences[:5]]

    with temporary_environment(env(harness, reference)):
        clean = run_sync(paths, full=True)
    assert clean.written == len(dump(incremental))
    assert dump(incremental) == dump(reference)
    meta_a = incremental.client().hgetall(layout.meta_key)
    meta_b = reference.client().hgetall(layout.meta_key)
    assert meta_a[b"feature_date"] == meta_b[b"feature_date"] and meta_a[b"schema"] == meta_b[b"schema"]


CALENDAR = (*DAY_COUNTS, "lifecycle_stage", "is_reactivated_7d")


def test_readers_bring_calendar_features_forward_like_dbt(
    harness: DbtHarness, servers: tuple[RedisServer, RedisServer]
) -> None:
    """Redis stores one anchor date; the other four are `_feature_date` minus a day-count feature of the same
    row. asof.bring_forward, applied to what the client reads, gives the six calendar features exactly as
    dbt's own as-of view (`profile_features_latest`, the lifecycle_day_counts macro) does at N."""
    server, _ = servers
    paths = ProjectPaths(PROJECT_DIR)
    mismatched = harness.query(
        "select count(*) from main_marts.profile_features where "
        "(feature_date - profile_tenure_days) is distinct from profile_created_date "
        "or (feature_date - account_tenure_days) is distinct from account_signup_date "
        "or (feature_date - days_since_first_play) is distinct from first_play_date "
        "or (feature_date - days_since_last_play) is distinct from last_play_date"
    )[0][0]
    assert mismatched == 0
    with temporary_environment(env(harness, server)):
        synced = run_sync(paths, full=True)
    newest = synced.plan.feature_date
    expected = {
        row[0]: dict(zip(CALENDAR, row[1:], strict=True))
        for row in harness.query(
            f"select profile_id, {', '.join(CALENDAR)} from main_marts.profile_features_latest"
        )
    }
    with OnlineStoreClient(server.url, prefix="fs:v1") as client:
        rows = client.get_many(sorted(expected))
    brought = {
        pid: {name: bring_forward(row, newest).get(name) for name in CALENDAR}
        for pid, row in rows.items()
        if row is not None
    }
    assert len(brought) == synced.written > 0
    assert any(row["_feature_date"] < newest for row in rows.values() if row)  # some do move forward
    assert brought == {pid: expected[pid] for pid in brought}
