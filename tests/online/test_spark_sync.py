"""`featurestore sync --target spark`: the sync as a Spark job on a real local Spark build, against real
redis-server processes, compared with the single-machine sync of the same build.

The Spark build (generated Gold data, seed 2031) runs once in a child process; its three tables the sync
reads are then copied through Arrow into a DuckDB file, so the single-machine sync reads exactly the values
the Spark job reads. Every Spark sync runs as a user runs it: `featurestore sync --target spark` in a child
process (its own SparkSession over the build's metastore).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
from redis.cluster import RedisCluster

from featurestore.env import temporary_environment
from featurestore.gate import GateVerdict
from featurestore.generator import GeneratorConfig, generate
from featurestore.online.server import RedisServer, free_port
from featurestore.online.sync import run_sync
from featurestore.paths import ProjectPaths
from tests.support.cli import run_cli, start_cli
from tests.support.dbt import PROJECT_DIR, DbtHarness
from tests.support.redis_proxy import HoldingProxy
from tests.support.redis_state import RedisState, redis_state, torn_keys, wait_for_execs

pytestmark = pytest.mark.spark

META_KEY = b"fs:v1:meta"


def profile_key(profile_id: object) -> bytes:
    return f"fs:v1:profile:{profile_id}".encode()
TTL_DAYS = "10"  # short enough that some generated profiles expire and every live one gets an EXPIRE
SPARK_TABLES = {
    "main_marts.profile_features": "featurestore_marts.profile_features",
    "main_staging.stg_gold__profiles": "featurestore_staging.stg_gold__profiles",
    "main_intermediate.int_account_plans_historized": "featurestore_intermediate.int_account_plans_historized",
}
COPY_SCRIPT = """
import sys
import duckdb
from featurestore.online.spark_sync import spark_session
from featurestore.paths import ProjectPaths
tables = dict(pair.split("=") for pair in sys.argv[2:])
spark = spark_session(ProjectPaths.discover(), "spark")
with duckdb.connect(sys.argv[1]) as con:
    for duck, spark_name in tables.items():
        arrow = spark.table(spark_name).toArrow()
        con.execute(f"create schema if not exists {duck.split('.')[0]}")
        con.execute(f"create table {duck} as select * from arrow")
"""


@dataclass
class SparkBuild:
    harness: DbtHarness
    copy: Path  # the Spark build's tables, copied into DuckDB

    def spark_sync(self, url: str, *args: str) -> subprocess.CompletedProcess[str]:
        done = run_cli(self.harness, "sync", "--target", "spark", *args, REDIS_URL=url, FS_TTL_DAYS=TTL_DAYS,
                       timeout=900)
        return subprocess.CompletedProcess([], done.returncode, done.stdout, done.stderr)

    def local_sync(self, url: str, ttl_days: str = TTL_DAYS) -> None:
        """The single-machine sync of the same rows (the gate was checked on the Spark build's results)."""
        env = {"DUCKDB_PATH": str(self.copy), "REDIS_URL": url, "FS_TTL_DAYS": ttl_days,
               "DBT_TARGET_PATH": str(self.harness.root / "target")}
        with temporary_environment(env):
            run_sync(ProjectPaths(PROJECT_DIR), gate=GateVerdict(True, "spark build"))

    def query(self, sql: str) -> list[tuple[object, ...]]:
        with duckdb.connect(str(self.copy), read_only=True) as con:
            return con.execute(sql).fetchall()


@pytest.fixture(scope="module")
def spark_build(tmp_path_factory: pytest.TempPathFactory) -> SparkBuild:
    harness = DbtHarness(tmp_path_factory.mktemp("spark-sync"), target="spark")
    generate(GeneratorConfig(out_dir=harness.raw_dir, profiles=60, days=14, seed=2031,
                             start_date=date(2026, 8, 1)))
    built = run_cli(harness, "dbt", "build", "--target", "spark", "--select", "+profile_features",
                    "--exclude-resource-type", "test", "--exclude-resource-type", "unit_test", timeout=3600)
    assert built.returncode == 0, built.output[-4000:]
    copy = harness.root / "spark-build-copy.duckdb"
    copied = subprocess.run(
        [sys.executable, "-c", COPY_SCRIPT, str(copy), *(f"{d}={s}" for d, s in SPARK_TABLES.items())],
        cwd=PROJECT_DIR, env={**os.environ, **harness._env()}, capture_output=True, text=True, timeout=900,
    )
    assert copied.returncode == 0, copied.stderr[-4000:]
    return SparkBuild(harness, copy)


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[list[RedisServer]]:
    started: list[RedisServer] = []
    for name in ("spark", "local"):
        server = RedisServer(tmp_path / name, free_port())
        server.start()
        started.append(server)
    yield started
    for server in started:
        server.stop(save=False)


@pytest.fixture(scope="module")
def reference(spark_build: SparkBuild, tmp_path_factory: pytest.TempPathFactory) -> RedisState:
    """What the single-machine sync leaves in an empty Redis from the Spark build's rows."""
    server = RedisServer(tmp_path_factory.mktemp("reference-redis"), free_port())
    server.start()
    try:
        spark_build.local_sync(server.url)
        return redis_state(server.client())
    finally:
        server.stop(save=False)


def test_the_reference_is_not_trivial(spark_build: SparkBuild, reference: RedisState) -> None:
    newest = spark_build.query("select max(feature_date) from main_marts.profile_features")[0][0]
    profiles = {k: v for k, v in reference.items() if k != META_KEY}
    assert len(profiles) >= 30
    assert {ttl for _, ttl in profiles.values()} - {-1}, "no profile got an EXPIRE"
    assert reference[META_KEY][0][b"feature_date"] == str(newest).encode()
    ttl = int(TTL_DAYS)
    expired = spark_build.query(
        f"select count(*) from (select profile_id, max(last_play_date) as last_play from "
        f"main_marts.profile_features group by 1) where last_play + {ttl} <= date '{newest}'"
    )[0][0]
    assert expired > 0, "no expired profile: the TTL path is not exercised"


def test_a_spark_sync_leaves_what_the_single_machine_sync_leaves(
    spark_build: SparkBuild, reference: RedisState, servers: list[RedisServer]
) -> None:
    spark_redis, _ = servers
    done = spark_build.spark_sync(spark_redis.url, "--partitions", "3")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "full" in done.stdout
    assert redis_state(spark_redis.client()) == reference


def test_an_incremental_spark_sync_rewrites_what_the_single_machine_sync_rewrites(
    spark_build: SparkBuild, reference: RedisState, servers: list[RedisServer]
) -> None:
    spark_redis, local_redis = servers
    ttl = "120"  # long: profiles without a row for days are still live, so an incremental sync skips some
    for server in (spark_redis, local_redis):
        spark_build.local_sync(server.url, ttl)
    stored = set(redis_state(spark_redis.client()))
    newest = date.fromisoformat(reference[META_KEY][0][b"feature_date"].decode())
    previous = newest - timedelta(days=5)  # a store last synced five days ago
    window = previous - timedelta(days=3)  # lookback_days: rows dated on or after it are rewritten
    # live profiles whose newest row is older than the window and whose plan did not change in it: untouched
    untouched = {
        profile_key(row[0])
        for row in spark_build.query(
            "select profile_id from main_marts.profile_features group by profile_id, account_id "
            f"having max(feature_date) < date '{window}' and account_id not in (select account_id from "
            f"main_intermediate.int_account_plans_historized where cast(valid_from as date) >= date '{window}')"
        )
    } & stored
    rewritten = {
        profile_key(row[0])
        for row in spark_build.query(
            f"select distinct profile_id from main_marts.profile_features where feature_date >= date '{window}'"
        )
    } & stored
    assert untouched and rewritten
    old_key, new_key = min(untouched), min(rewritten)
    for server in (spark_redis, local_redis):
        client = server.client()
        client.hset(META_KEY, "feature_date", previous.isoformat())
        for key in (old_key, new_key):
            client.hset(key, "stale_marker", "1")

    # as the Databricks job's sync task runs it
    done = run_cli(spark_build.harness, "daily", "--only", "sync", "--target", "spark", REDIS_URL=spark_redis.url,
                   FS_TTL_DAYS=ttl, timeout=900)
    spark_build.local_sync(local_redis.url, ttl)

    assert done.returncode == 0, done.output
    assert "incremental" in done.stdout and "sync: ok" in done.stdout
    after_spark, after_local = redis_state(spark_redis.client()), redis_state(local_redis.client())
    assert after_spark == after_local
    # the profile with a row in the window was rewritten, the one without was not
    assert b"stale_marker" not in after_spark[new_key][0]
    assert after_spark[old_key][0][b"stale_marker"] == b"1"


def test_a_failed_gate_refuses_before_spark_or_redis(
    spark_build: SparkBuild, servers: list[RedisServer], tmp_path: Path
) -> None:
    spark_redis, _ = servers
    target = tmp_path / "target"
    shutil.copytree(spark_build.harness.root / "target", target)
    results = json.loads((target / "run_results.json").read_text())
    results["results"][0]["status"] = "error"
    (target / "run_results.json").write_text(json.dumps(results))

    done = run_cli(spark_build.harness, "sync", "--target", "spark", REDIS_URL=spark_redis.url,
                   DBT_TARGET_PATH=str(target))

    assert done.returncode == 1, done.output
    assert len(done.error_lines) == 1 and "Sync refused, Redis untouched" in done.error_lines[0]
    assert spark_redis.client().dbsize() == 0


def test_a_spark_sync_killed_mid_write_then_rerun_converges(
    spark_build: SparkBuild, reference: RedisState, servers: list[RedisServer]
) -> None:
    spark_redis, _ = servers
    proxy = HoldingProxy(spark_redis.port, hold_after=25)
    process = start_cli(spark_build.harness, "sync", "--target", "spark", "--partitions", "2",
                        "--batch-rows", "16", REDIS_URL=proxy.url, FS_TTL_DAYS=TTL_DAYS)
    try:
        assert proxy.held.wait(timeout=600), "the Spark job never wrote 25 profiles"
        wait_for_execs(spark_redis.client(), 25)
        os.kill(process.pid, signal.SIGKILL)  # the driver: its JVM and Python workers go with it
        process.wait(timeout=60)
        proxy.close()
        time.sleep(1)

        halfway = redis_state(spark_redis.client())
        assert META_KEY not in halfway, "meta was written before every partition finished"
        assert torn_keys(halfway, {}, reference) == [], "half-written profiles"
        assert len(halfway) >= 24 and halfway != reference

        rerun = spark_build.spark_sync(spark_redis.url)
        assert rerun.returncode == 0, rerun.stdout + rerun.stderr
        assert redis_state(spark_redis.client()) == reference
    finally:
        if process.poll() is None:
            process.kill()
        proxy.close()


def test_a_spark_sync_to_a_redis_cluster_routes_every_profile_to_its_slot(
    spark_build: SparkBuild, reference: RedisState, cluster: list[RedisServer]
) -> None:
    done = spark_build.spark_sync(cluster[0].url, "--partitions", "2")

    assert done.returncode == 0, done.stdout + done.stderr
    client = RedisCluster(host="127.0.0.1", port=cluster[0].port)
    assert redis_state(client) == reference  # type: ignore[arg-type]
    per_node = [node.client().dbsize() for node in cluster]
    assert all(count > 0 for count in per_node), per_node
