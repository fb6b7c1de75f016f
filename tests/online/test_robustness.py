"""Guarantees under stress, on a table big enough that a sync takes seconds: per-profile atomicity seen by a
concurrent reader, a sync killed halfway, Redis restarted halfway. After each, a re-run converges to the state
of one clean run, and meta.feature_date moves only when a sync completes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
import redis

from featurestore.env import temporary_environment
from featurestore.online import OnlineStoreError, synthetic
from featurestore.online.layout import FEATURE_DATE_FIELD, Layout
from featurestore.online.server import RedisServer, free_port
from featurestore.online.sync import run_sync
from featurestore.online.verify import expected_hash, run_verify
from featurestore.paths import ProjectPaths
from tests.online.conftest import PROJECT_DIR, day

PROFILES = 40_000
D0, D1 = day(0), day(1)


@dataclass
class World:
    root: Path
    layout: Layout
    w0: Path  # warehouse with day 0 only
    w1: Path  # day 0 and day 1 (every profile changed, other values and NULLs)
    target: Path
    dump_d0: Path  # RDB of a Redis holding the clean sync of w0

    def env(self, warehouse: Path, url: str) -> dict[str, str]:
        return {
            "DUCKDB_PATH": str(warehouse),
            "DBT_TARGET_PATH": str(self.target),
            "REDIS_URL": url,
            "FS_PREFIX": self.layout.prefix,
            "FS_TTL_DAYS": "120",
        }


def sync(world: World, warehouse: Path, server: RedisServer, **kwargs: object):  # type: ignore[no-untyped-def]
    with temporary_environment(world.env(warehouse, server.url)):
        return run_sync(ProjectPaths(PROJECT_DIR), **kwargs)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    root = tmp_path_factory.mktemp("robust")
    layout = Layout.from_catalog("fs:v1", PROJECT_DIR)
    w0, w1 = root / "w0.duckdb", root / "w1.duckdb"
    with duckdb.connect(str(w0)) as con:
        synthetic.create_tables(con, layout)
        synthetic.insert_profiles(con, 0, PROFILES, created=day(-400))
        synthetic.insert_rows(con, layout, D0, 0, PROFILES, seed=0, last_play_days_ago=1)
    shutil.copy(w0, w1)
    with duckdb.connect(str(w1)) as con:
        synthetic.insert_rows(con, layout, D1, 0, PROFILES, seed=1, last_play_days_ago=0)
    target = root / "target"
    synthetic.write_run_results(target)
    w = World(root, layout, w0, w1, target, root / "dump_d0.rdb")
    server = RedisServer(root / "seed-redis", free_port())
    server.start()
    try:
        assert sync(w, w0, server).written == PROFILES
        server.stop(save=True)
    finally:
        server.stop(save=False)
    shutil.copy(root / "seed-redis" / "dump.rdb", w.dump_d0)
    return w


@pytest.fixture
def server_at_d0(world: World, tmp_path: Path) -> Iterator[RedisServer]:
    """A Redis that holds the clean sync of day 0 (loaded from the RDB)."""
    directory = tmp_path / "redis"
    directory.mkdir()
    shutil.copy(world.dump_d0, directory / "dump.rdb")
    server = RedisServer(directory, free_port())
    server.start()
    assert server.client().hget("fs:v1:meta", "feature_date") == D0.isoformat().encode()
    yield server
    server.stop(save=False)


def exec_calls(client: redis.Redis) -> int:
    stats = client.info("commandstats").get("cmdstat_exec")
    return int(stats["calls"]) if stats else 0


def wait_for_execs(client: redis.Redis, count: int, timeout: float = 60.0) -> None:
    start = exec_calls(client)
    deadline = time.monotonic() + timeout
    while exec_calls(client) - start < count:
        assert time.monotonic() < deadline, "the sync did not start writing"
        time.sleep(0.01)


def feature_dates(client: redis.Redis, layout: Layout) -> dict[str | None, int]:
    pipe = client.pipeline(transaction=False)
    for n in range(PROFILES):
        pipe.hget(layout.profile_key(synthetic.profile_id(n)), FEATURE_DATE_FIELD)
    counts: dict[str | None, int] = {}
    for value in pipe.execute():
        key = value.decode() if value else None
        counts[key] = counts.get(key, 0) + 1
    return counts


def assert_clean_state_at_d1(world: World, server: RedisServer) -> None:
    """What one clean sync of w1 leaves: every profile at day 1, nothing else, values byte-for-byte."""
    client = server.client()
    assert client.hget("fs:v1:meta", "feature_date") == D1.isoformat().encode()
    assert client.dbsize() == PROFILES + 1
    assert feature_dates(client, world.layout) == {D1.isoformat(): PROFILES}
    with temporary_environment(world.env(world.w1, server.url)):
        check = run_verify(ProjectPaths(PROJECT_DIR), sample=3000, seed=11)
    assert check.ok, [d.describe() for d in check.differences[:5]]


def test_reader_never_sees_a_mixed_profile(world: World, server_at_d0: RedisServer) -> None:
    sample = [synthetic.profile_id(n) for n in range(0, PROFILES, PROFILES // 150)]
    expected: dict[str, tuple[dict[bytes, bytes], dict[bytes, bytes]]] = {}
    with duckdb.connect(str(world.w1)) as con:
        cursor = con.execute(
            f"select * from {synthetic.FEATURES_TABLE} where profile_id in "
            f"({', '.join(repr(p) for p in sample)})"
        )
        names = [d[0] for d in cursor.description]
        by_date: dict[tuple[str, object], dict[bytes, bytes]] = {}
        for values in cursor.fetchall():
            row = dict(zip(names, values, strict=True))
            encoded = {k.encode(): v.encode() for k, v in expected_hash(row, world.layout).items()}
            by_date[(str(row["profile_id"]), row["feature_date"])] = encoded
    for pid in sample:
        expected[pid] = (by_date[(pid, D0)], by_date[(pid, D1)])
        assert expected[pid][0] != expected[pid][1]
    # fields NULL on one day and not the other: a stale field would show as a hash matching neither day
    assert sum(1 for before, after in expected.values() if set(before) != set(after)) > len(sample) // 2

    stop = threading.Event()
    problems: list[str] = []
    seen: dict[str, set[int]] = {pid: set() for pid in sample}
    reads = [0]

    def reader() -> None:
        client = server_at_d0.client()
        while not stop.is_set():
            for pid in sample:
                got = client.hgetall(world.layout.profile_key(pid))
                reads[0] += 1
                if got == expected[pid][0]:
                    seen[pid].add(0)
                elif got == expected[pid][1]:
                    seen[pid].add(1)
                else:
                    problems.append(
                        f"{pid}: {got.get(FEATURE_DATE_FIELD.encode())!r} with "
                        f"{len(got)} fields matches neither day"
                    )

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        result = sync(world, world.w1, server_at_d0)
    finally:
        stop.set()
        thread.join()
    assert result.written == PROFILES
    assert problems == []
    assert reads[0] > len(sample) * 2
    assert sum(1 for states in seen.values() if states == {0, 1}) > 0, "the reader never overlapped the sync"
    assert_clean_state_at_d1(world, server_at_d0)


def test_sync_killed_halfway_then_rerun_converges(world: World, server_at_d0: RedisServer) -> None:
    client = server_at_d0.client()
    process = subprocess.Popen(
        [sys.executable, "-m", "featurestore.online.commands", "sync"],
        cwd=PROJECT_DIR,
        env={**os.environ, **world.env(world.w1, server_at_d0.url)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_execs(client, PROFILES // 4)
        process.kill()  # SIGKILL while writing
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == -9
    dates = feature_dates(client, world.layout)
    assert dates.get(D1.isoformat(), 0) >= PROFILES // 4 and dates.get(D0.isoformat(), 0) > 0, dates
    assert sum(dates.values()) == PROFILES and None not in dates  # no half-written (or deleted) profile
    assert client.hget("fs:v1:meta", "feature_date") == D0.isoformat().encode()  # meta did not move

    result = sync(world, world.w1, server_at_d0)

    assert result.plan.mode == "incremental" and result.plan.previous_date == D0
    assert_clean_state_at_d1(world, server_at_d0)


def test_redis_restarted_halfway_fails_cleanly_then_rerun_converges(
    world: World, server_at_d0: RedisServer
) -> None:
    watcher = server_at_d0.client()
    restarted = threading.Event()

    def restart_when_busy() -> None:
        wait_for_execs(watcher, PROFILES // 4)
        server_at_d0.stop(save=True)  # SHUTDOWN SAVE: the snapshot holds what was written so far
        restarted.set()

    thread = threading.Thread(target=restart_when_busy)
    thread.start()
    with pytest.raises(OnlineStoreError) as failure:
        sync(world, world.w1, server_at_d0)
    thread.join()
    assert restarted.is_set()
    assert failure.value.exit_code == 1
    assert "meta.feature_date was not moved" in failure.value.message
    assert "Redis" in failure.value.message

    server_at_d0.start()  # loads the snapshot taken at shutdown
    client = server_at_d0.client()
    assert client.hget("fs:v1:meta", "feature_date") == D0.isoformat().encode()
    dates = feature_dates(client, world.layout)
    assert dates.get(D1.isoformat(), 0) > 0 and dates.get(D0.isoformat(), 0) > 0, dates

    result = sync(world, world.w1, server_at_d0)

    assert result.written == PROFILES
    assert_clean_state_at_d1(world, server_at_d0)
