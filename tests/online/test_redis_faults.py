"""Redis faults during `featurestore sync` (issue #12), with the real CLI in a child process and real
redis-servers: the server runs out of memory (`maxmemory`, it answers OOM), restarts mid-sync, or has its
password changed. Each time: one line naming the fault and the fix, the documented exit code, no traceback;
meta.feature_date not advanced; every profile holds its old hash or its new one, never a mix; and once the
fault is fixed a rerun leaves exactly what one clean sync leaves.

The world: a synthetic warehouse of day 0 (PROFILES profiles, synced into Redis and saved as an RDB that
every test starts from) and of day 1 (every profile changed, as many new ones added: the sync needs memory).
A relay in front of Redis (tests/support/redis_proxy.py) stops the sync after a given number of transactions,
so "mid-sync" is exact, not timed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
import redis

from featurestore.env import temporary_environment
from featurestore.online import synthetic
from featurestore.online.layout import Layout
from featurestore.online.server import RedisServer, free_port
from featurestore.online.sync import run_sync
from featurestore.paths import ProjectPaths
from tests.online.conftest import PROJECT_DIR, day
from tests.support.cli import CliRun, featurestore_argv
from tests.support.redis_proxy import HoldingProxy
from tests.support.redis_state import RedisState, redis_state, torn_keys, wait_for_execs

PROFILES = 2000  # on day 0; day 1 rewrites them and adds as many
META = b"fs:v1:meta"
OLD_PASSWORD, NEW_PASSWORD = "old-test-only-password", "new-test-only-password"


@dataclass
class World:
    root: Path
    warehouse: Path  # days 0 and 1
    target: Path
    dump_d0: Path  # RDB of a Redis holding the clean sync of day 0
    at_d0: RedisState
    clean_d1: RedisState  # what one clean sync of day 1 leaves on top of day 0

    def env(self, url: str) -> dict[str, str]:
        return {
            "DUCKDB_PATH": str(self.warehouse),
            "DBT_TARGET_PATH": str(self.target),
            "REDIS_URL": url,
            "FS_PREFIX": "fs:v1",
            "FS_TTL_DAYS": "120",
        }

    def server(self, directory: Path, password: str | None = None) -> RedisServer:
        """A Redis holding the clean sync of day 0."""
        directory.mkdir(parents=True)
        shutil.copy(self.dump_d0, directory / "dump.rdb")
        server = RedisServer(directory, free_port(), password=password)
        server.start()
        return server

    def sync(self, url: str) -> CliRun:
        return cli_sync(self, url)

    def start_sync(self, url: str) -> "subprocess.Popen[str]":
        return subprocess.Popen(
            featurestore_argv("sync"),
            cwd=PROJECT_DIR,
            env={**os.environ, **self.env(url), "COLUMNS": "240"},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )


def cli_sync(world: World, url: str) -> CliRun:
    process = world.start_sync(url)
    stdout, stderr = process.communicate(timeout=300)
    return CliRun(process.returncode, stdout, stderr)


def finish(process: "subprocess.Popen[str]") -> CliRun:
    stdout, stderr = process.communicate(timeout=120)
    return CliRun(process.returncode, stdout, stderr)


def one_error_line(run: CliRun, code: int) -> str:
    assert run.returncode == code, run.output
    assert "Traceback" not in run.output, run.output
    assert len(run.error_lines) == 1, run.output
    return run.error_lines[0]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("redis-faults")
    layout = Layout.from_catalog("fs:v1", PROJECT_DIR)
    d0_warehouse, warehouse = root / "d0.duckdb", root / "d1.duckdb"
    with duckdb.connect(str(d0_warehouse)) as con:
        synthetic.create_tables(con, layout)
        synthetic.insert_profiles(con, 0, PROFILES, created=day(-400))
        synthetic.insert_rows(con, layout, day(0), 0, PROFILES, seed=0, last_play_days_ago=1)
    shutil.copy(d0_warehouse, warehouse)
    with duckdb.connect(str(warehouse)) as con:
        synthetic.insert_profiles(con, PROFILES, PROFILES, created=day(-10))
        synthetic.insert_rows(con, layout, day(1), 0, 2 * PROFILES, seed=1, last_play_days_ago=0)
    target = root / "target"
    synthetic.write_run_results(target)

    seed = RedisServer(root / "seed", free_port())
    seed.start()
    try:
        env = {"DUCKDB_PATH": str(d0_warehouse), "DBT_TARGET_PATH": str(target), "REDIS_URL": seed.url,
               "FS_PREFIX": "fs:v1", "FS_TTL_DAYS": "120"}
        with temporary_environment(env):
            run_sync(ProjectPaths(PROJECT_DIR))
        at_d0 = redis_state(seed.client())
        seed.stop(save=True)
    finally:
        seed.stop(save=False)
    partial = World(root, warehouse, target, root / "d0.rdb", at_d0, {})
    shutil.copy(root / "seed" / "dump.rdb", partial.dump_d0)
    clean = partial.server(root / "clean")
    try:
        with temporary_environment(partial.env(clean.url)):
            run_sync(ProjectPaths(PROJECT_DIR))
        clean_d1 = redis_state(clean.client())
    finally:
        clean.stop(save=False)
    assert len(clean_d1) == 2 * PROFILES + 1 and clean_d1[META] != at_d0[META]
    yield World(root, warehouse, target, partial.dump_d0, at_d0, clean_d1)


def assert_nothing_half_written(world: World, client: redis.Redis) -> RedisState:
    """meta still at day 0; every key holds its day-0 hash, its day-1 hash, or (a new profile) nothing."""
    state = redis_state(client)
    assert state[META] == world.at_d0[META], "meta moved"
    assert set(state) <= set(world.at_d0) | set(world.clean_d1)
    torn = torn_keys(state, world.at_d0, world.clean_d1)
    assert torn == [], f"half-written profiles: {torn[:5]}"
    return state


def written(state: RedisState, world: World) -> int:
    new, old = world.clean_d1, world.at_d0
    return sum(1 for key, value in state.items() if key != META and value == new[key] != old.get(key))


def test_redis_out_of_memory_fails_cleanly_then_rerun_converges(world: World, tmp_path: Path) -> None:
    server = world.server(tmp_path / "redis")
    try:
        client = server.client()
        used = int(client.info("memory")["used_memory"])
        # day 1 doubles the profiles: room for about half of the new ones (noeviction: Redis answers OOM)
        client.config_set("maxmemory", used + (used // 4))
        client.config_set("maxmemory-policy", "noeviction")

        failed = world.sync(server.url)

        line = one_error_line(failed, 1)
        assert "is full" in line and "OOM" in line and "raise its maxmemory" in line
        assert "meta.feature_date was not moved" in line
        state = assert_nothing_half_written(world, client)
        assert 0 < written(state, world) < 2 * PROFILES, "the sync did not stop midway"

        client.config_set("maxmemory", 0)  # the fix: more memory
        rerun = world.sync(server.url)

        assert rerun.returncode == 0, rerun.output
        assert redis_state(client) == world.clean_d1
    finally:
        server.stop(save=False)


def test_redis_restarted_mid_sync_fails_cleanly_then_rerun_converges(world: World, tmp_path: Path) -> None:
    server = world.server(tmp_path / "redis")
    proxy = HoldingProxy(server.port, hold_after=PROFILES // 2)
    process = world.start_sync(proxy.url)
    try:
        assert proxy.held.wait(timeout=120), "the sync never got halfway"
        wait_for_execs(server.client(), PROFILES // 2)
        server.stop(save=True)  # SHUTDOWN SAVE: the snapshot holds what was written so far
        server.start()
        failed = finish(process)
    finally:
        if process.poll() is None:
            process.kill()
        proxy.close()
    try:
        line = one_error_line(failed, 1)
        assert "Lost the connection to Redis" in line and "meta.feature_date was not moved" in line
        state = assert_nothing_half_written(world, server.client())
        assert written(state, world) == PROFILES // 2

        rerun = world.sync(server.url)

        assert rerun.returncode == 0, rerun.output
        assert redis_state(server.client()) == world.clean_d1
    finally:
        server.stop(save=False)


def test_password_changed_mid_sync_fails_cleanly_then_rerun_with_the_new_one_converges(
    world: World, tmp_path: Path
) -> None:
    server = world.server(tmp_path / "redis", password=OLD_PASSWORD)
    old_url = f"redis://:{OLD_PASSWORD}@127.0.0.1:{server.port}/0"
    proxy = HoldingProxy(server.port, hold_after=PROFILES // 2)
    process = world.start_sync(f"redis://:{OLD_PASSWORD}@127.0.0.1:{proxy.port}/0")
    admin = server.client()
    try:
        assert proxy.held.wait(timeout=120), "the sync never got halfway"
        wait_for_execs(admin, PROFILES // 2)
        # a rotation: the new password, and the connections opened with the old one closed
        admin.config_set("requirepass", NEW_PASSWORD)
        admin.client_kill_filter(_type="normal", skipme=True)
        failed = finish(process)
    finally:
        if process.poll() is None:
            process.kill()
        proxy.close()
    client = redis.Redis(port=server.port, password=NEW_PASSWORD)
    try:
        line = one_error_line(failed, 1)
        assert "Lost the connection to Redis" in line and "meta.feature_date was not moved" in line
        assert OLD_PASSWORD not in failed.output
        state = assert_nothing_half_written(world, client)
        assert written(state, world) == PROFILES // 2

        with_old = world.sync(old_url)  # the next run, still configured with the old password

        line = one_error_line(with_old, 2)
        assert "refused the credentials" in line and "REDIS_URL" in line
        assert OLD_PASSWORD not in with_old.output
        assert redis_state(client) == state  # nothing written

        rerun = world.sync(f"redis://:{NEW_PASSWORD}@127.0.0.1:{server.port}/0")

        assert rerun.returncode == 0, rerun.output
        assert NEW_PASSWORD not in rerun.output
        assert redis_state(client) == world.clean_d1
    finally:
        client.close()
        server.password = NEW_PASSWORD  # stop() authenticates
        server.stop(save=False)
