"""Crash drills (issue #12): real `featurestore` processes on a real DuckDB file and real redis-servers,
stopped with SIGKILL, then rerun. Afterwards the published tables (profile_features, profile_features_latest)
and Redis must equal those of one uninterrupted daily run, row for row and key for key.

- A daily `featurestore run` is killed as each stage starts (staging, intermediate, category marts, candidate,
  quality history, publish: the stage is recognised by dbt's own `START ... model` line, so nothing is
  timed). The kills are chained, as a flaky night would chain them: each rerun is killed one stage further,
  then one rerun completes. After every kill the published tables are still the previous publish (or, killed
  during the publish, exactly the old or exactly the new one), and the sync refuses the killed build.
- A `featurestore sync` is killed in the middle of its pipelined batch: a relay in front of Redis stops
  forwarding after a given number of transactions and half of the next one. Every profile then holds its
  old hash or its new one, meta has not moved, and a rerun converges.
- A reader process polls `profile_features_latest` (read-only DuckDB connections, as BI tools do) while a
  daily run builds and publishes: each read returns the old publish or the new one, never a mix; the reads
  that cannot open the file get DuckDB's lock error (documented in docs/operations.md).

One daily run of the tiny generated dataset (300 profiles x 20 days + 1) is the uninterrupted reference.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
import redis

from featurestore.env import temporary_environment
from featurestore.generator import append_day
from featurestore.online.server import RedisServer, free_port
from featurestore.online.sync import run_sync
from featurestore.paths import ProjectPaths
from tests.support.cli import OutputWatcher, cli_env, run_cli, start_cli
from tests.support.dbt import PROJECT_DIR, DbtHarness
from tests.support.redis_proxy import HoldingProxy
from tests.support.redis_state import RedisState, redis_state, torn_keys, wait_for_execs
from tests.support.warehouse_reader import latest_digest

PUBLISHED = {  # table -> its key (the order rows are compared in)
    "main_marts.profile_features": "profile_id, feature_date",
    "main_marts.profile_features_latest": "profile_id",
}
META_KEY = b"fs:v1:meta"
ANSI = re.compile(r"\x1b\[[0-9;]*m")

# The first model of each stage of the daily build, as dbt announces it (in DAG order).
STAGES = [
    ("staging", re.compile(r"START \S+ \S+ model main_staging\.base_gold__")),
    ("intermediate", re.compile(r"START \S+ \S+ model main_intermediate\.int_profile_day")),
    ("category marts", re.compile(r"START \S+ \S+ model main_marts\.features_")),
    ("candidate", re.compile(r"START \S+ \S+ model main_marts\.profile_features_candidate\b")),
    ("quality history", re.compile(r"START \S+ \S+ model main_marts\.dq_feature_quality_history\b")),
    ("publish", re.compile(r"START \S+ \S+ model main_marts\.profile_features[ .]")),
]

Published = dict[str, list[tuple[object, ...]]]


def published(warehouse: Path) -> Published:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {
            table: con.execute(f"select * from {table} order by {key}").fetchall()
            for table, key in PUBLISHED.items()
        }


def start_redis(directory: Path, dump: Path | None = None) -> RedisServer:
    directory.mkdir(parents=True, exist_ok=True)
    if dump is not None:
        shutil.copy(dump, directory / "dump.rdb")
    server = RedisServer(directory, free_port())
    server.start()
    return server


def world(root: Path, gold: Path, warehouse: Path, target: Path) -> DbtHarness:
    """A harness under `root` with copies of the given Gold folder, warehouse file and dbt target folder."""
    harness = DbtHarness(root)
    shutil.copytree(gold, harness.raw_dir)
    shutil.copy(warehouse, harness.duckdb_path)
    shutil.copytree(target, root / "target")
    return harness


def sync_in_process(harness: DbtHarness, url: str) -> None:
    with temporary_environment({**harness._env(), "REDIS_URL": url}):
        run_sync(ProjectPaths(PROJECT_DIR))


@dataclass
class Reference:
    """The state before the daily run and after one uninterrupted daily run, and what a reader saw."""

    gold: Path  # Gold data with the new day
    before: DbtHarness  # warehouse and target before the daily run (the published build)
    after: DbtHarness  # after the uninterrupted daily run
    old: Published
    new: Published
    old_digest: str
    new_digest: str
    redis_old_dump: Path  # RDB of a Redis synced with the old publish
    redis_old: RedisState
    redis_new: RedisState
    reader_log: list[dict[str, object]]
    run_started: float
    run_ended: float


@pytest.fixture(scope="module")
def reference(small_published: DbtHarness, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Reference]:
    root = tmp_path_factory.mktemp("crash-reference")
    gold = root / "gold-next-day"
    shutil.copytree(small_published.raw_dir, gold)
    append_day(gold)  # once: every world gets the same bytes
    before = small_published
    harness = world(root / "run", gold, before.duckdb_path, before.root / "target")
    server = start_redis(root / "redis")
    try:
        sync_in_process(harness, server.url)
        server.client().save()
        dump = root / "redis-old.rdb"
        shutil.copy(server.directory / "dump.rdb", dump)
        redis_old = redis_state(server.client())
        old, old_digest = published(harness.duckdb_path), latest_digest(harness.duckdb_path)

        log, stop = root / "reader.jsonl", root / "reader.stop"
        reader = subprocess.Popen(
            [sys.executable, "-m", "tests.support.warehouse_reader", str(harness.duckdb_path), str(log),
             str(stop)],
            cwd=PROJECT_DIR,
            env=cli_env(harness),
        )
        try:
            wait_for_reads(log, 1)
            run_started = time.time()
            run = run_cli(harness, "run", REDIS_URL=server.url)
            run_ended = time.time()
            wait_for_reads(log, 1, after=run_ended)
        finally:
            stop.touch()
            reader.wait(timeout=60)
        assert run.returncode == 0, run.output
        entries = [json.loads(line) for line in log.read_text().splitlines()]
        yield Reference(
            gold=gold,
            before=before,
            after=harness,
            old=old,
            new=published(harness.duckdb_path),
            old_digest=old_digest,
            new_digest=latest_digest(harness.duckdb_path),
            redis_old_dump=dump,
            redis_old=redis_old,
            redis_new=redis_state(server.client()),
            reader_log=entries,
            run_started=run_started,
            run_ended=run_ended,
        )
    finally:
        server.stop(save=False)


def wait_for_reads(log: Path, count: int, after: float = 0.0, timeout: float = 60) -> None:
    """Until the reader logged `count` successful reads that started after `after` (epoch seconds)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if log.exists():
            entries = [json.loads(line) for line in log.read_text().splitlines() if line.endswith("}")]
            if sum(1 for e in entries if e["ok"] and e["started"] > after) >= count:
                return
        time.sleep(0.05)
    raise AssertionError(f"the reader logged no successful read after {after}: {log.read_text()[-2000:]}")


def test_the_reference_daily_run_publishes_a_new_day(reference: Reference) -> None:
    """The drills below compare against this run: it must have changed both tables and Redis."""
    features, latest = PUBLISHED
    newest = lambda rows: max(row[-1] for row in rows)  # noqa: E731 (feature_date is the last column)
    assert (newest(reference.new[features]) - newest(reference.old[features])).days == 1
    assert reference.new[latest] != reference.old[latest]
    assert reference.old_digest != reference.new_digest
    assert reference.redis_new[META_KEY] != reference.redis_old[META_KEY]


def test_a_reader_sees_the_old_or_the_new_publish_never_a_mix(reference: Reference) -> None:
    log = reference.reader_log
    reads = [e for e in log if e["ok"]]
    assert reads[0]["digest"] == reference.old_digest
    assert reads[-1]["digest"] == reference.new_digest
    mixed = [e for e in reads if e["digest"] not in (reference.old_digest, reference.new_digest)]
    assert mixed == []
    first_new = next(i for i, e in enumerate(reads) if e["digest"] == reference.new_digest)
    assert all(e["digest"] == reference.new_digest for e in reads[first_new:]), "went back to the old publish"
    # what a reader gets while the build holds the file: DuckDB's lock error, naming the file, at once
    refused = [e for e in log if not e["ok"]]
    assert all("Could not set lock on file" in str(e["error"]) for e in refused), refused[:3]
    assert all(str(reference.after.duckdb_path) in str(e["error"]) for e in refused)
    blocked = longest_refusal(log)
    print(
        f"\nreader: {len(reads)} reads, {len(refused)} refused; longest refusal {blocked:.1f} s "
        f"of a {reference.run_ended - reference.run_started:.1f} s `featurestore run`"
    )


def longest_refusal(log: list[dict[str, object]]) -> float:
    """Seconds from the first refused read of a streak to the next successful read."""
    longest, since = 0.0, None
    for entry in log:
        if not entry["ok"]:
            since = entry["started"] if since is None else since
        elif since is not None:
            longest = max(longest, float(entry["started"]) - float(since))  # type: ignore[arg-type]
            since = None
    return longest


def kill_at(harness: DbtHarness, stage: re.Pattern[str]) -> str:
    """Start a daily `featurestore run --no-sync`, SIGKILL it as dbt starts the stage; its output."""
    process = start_cli(harness, "run", "--no-sync")
    output = OutputWatcher(process)
    try:
        output.wait_for(lambda line: stage.search(ANSI.sub("", line)) is not None, timeout=900)
    finally:
        os.kill(process.pid, signal.SIGKILL)
        output.finish()
    assert process.returncode == -signal.SIGKILL
    return output.text


def test_a_build_killed_at_each_stage_then_rerun_publishes_what_an_uninterrupted_run_does(
    reference: Reference, tmp_path: Path
) -> None:
    before = reference.before
    harness = world(tmp_path / "drill", reference.gold, before.duckdb_path, before.root / "target")
    server = start_redis(tmp_path / "redis", reference.redis_old_dump)
    try:
        assert redis_state(server.client()) == reference.redis_old
        for name, stage in STAGES:
            kill_at(harness, stage)
            now = published(harness.duckdb_path)
            if name == "publish":  # killed inside the publishing transaction, or just after its commit
                assert now in (reference.old, reference.new), f"killed during {name}: a partial publish"
            else:
                assert now == reference.old, f"killed during {name}: the published tables changed"

        # the newest build was killed: the sync refuses the older run_results.json, Redis untouched
        refused = run_cli(harness, "sync", REDIS_URL=server.url)
        assert refused.returncode == 1, refused.output
        assert len(refused.error_lines) == 1 and "Traceback" not in refused.output, refused.output
        assert "killed" in refused.error_lines[0]
        assert redis_state(server.client()) == reference.redis_old

        rerun = run_cli(harness, "run", REDIS_URL=server.url)

        assert rerun.returncode == 0, rerun.output
        assert published(harness.duckdb_path) == reference.new
        assert redis_state(server.client()) == reference.redis_new
    finally:
        server.stop(save=False)


def test_a_sync_killed_mid_batch_then_rerun_loads_what_a_clean_sync_does(
    reference: Reference, tmp_path: Path
) -> None:
    harness = reference.after  # its own warehouse: dbt's results there are those of that warehouse's build
    server = start_redis(tmp_path / "redis", reference.redis_old_dump)
    proxy = HoldingProxy(server.port, hold_after=25)
    process = start_cli(harness, "sync", REDIS_URL=proxy.url)
    output = OutputWatcher(process)
    try:
        assert proxy.held.wait(timeout=120), "the sync never wrote 25 profiles:\n" + output.text
        wait_for_execs(server.client(), 25)
        os.kill(process.pid, signal.SIGKILL)  # mid-batch: 25 transactions applied, the 26th half sent
        output.finish()
        proxy.close()
        assert process.returncode == -signal.SIGKILL

        halfway = redis_state(server.client())
        assert halfway[META_KEY] == reference.redis_old[META_KEY]  # meta did not move
        old, new = reference.redis_old, reference.redis_new
        assert set(halfway) <= set(old) | set(new)
        torn = torn_keys(halfway, old, new)
        assert torn == [], f"half-written profiles: {torn[:5]}"
        moved = [k for k, v in halfway.items() if k != META_KEY and v == new.get(k) != old.get(k)]
        assert len(moved) >= 25 - 1  # the 25 applied (one may have been unchanged)
        assert halfway != new, "the sync had finished: not a mid-batch kill"

        rerun = run_cli(harness, "sync", REDIS_URL=server.url)

        assert rerun.returncode == 0, rerun.output
        assert redis_state(server.client()) == reference.redis_new
    finally:
        if process.poll() is None:
            process.kill()
        proxy.close()
        server.stop(save=False)

