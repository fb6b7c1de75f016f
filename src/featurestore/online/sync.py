"""`featurestore sync`: load the published feature log's latest rows into Redis.

What Redis holds after a sync to feature date N (the newest date of `profile_features`), and how a sync gets
there, is described in docs/online-store.md; in short:

1. Gate: nothing happens (not even a connection to Redis) unless the last dbt build published
   `profile_features` with every gating test passed.
2. Plan (DuckDB): for every profile of the log, its latest row <= N and its state at N: `deleted`
   (deleted upstream on or before N), `expired` (TTL anchor + FS_TTL_DAYS <= N) or `live`. A full sync
   writes every live profile; an incremental one (meta.feature_date = M) only those with a row dated
   M - lookback_days .. N: the dates dbt may have rewritten since (late events) plus the new ones.
3. Write: one MULTI / DEL / HSET / EXPIRE / EXEC transaction per profile, rendered as RESP by DuckDB and
   written in big pipelined chunks (`resp.py`); every reply is checked. The row's values, but plan_tier as
   valid on N (an incremental sync also rewrites the profiles of accounts whose plan changed in its window).
4. Remove deleted and expired profiles (DEL); a full sync also removes every other key under the prefix.
5. Only then, meta in one HSET: a failed or killed sync leaves meta.feature_date where it was, and the next
   run redoes the same, idempotent, full replacements.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import redis
import yaml
from redis.cluster import RedisCluster
from redis.crc import key_slot

from featurestore.failures import FeaturestoreError, explain
from featurestore.gate import GateVerdict, publish_gate
from featurestore.invocations import current_results
from featurestore.online import OnlineStoreError
from featurestore.online.client import RedisLike, open_redis, read_meta, redact, resolve_url
from featurestore.online.layout import TTL_ANCHOR_COLUMNS, Layout, configured_ttl_days
from featurestore.online import plan as plan_sql
from featurestore.online.plan import PlanQueries, PlanTables, resp_sql
from featurestore.online.resp import RedisReplyError, ReplyCounter, batch_payload, lines_per_transaction
from featurestore.paths import ProjectPaths
from featurestore.warehouse import open_for_writing

logger = logging.getLogger(__name__)

FEATURES = "main_marts.profile_features"
PROFILES = "main_staging.stg_gold__profiles"
# The accounts' plan states (dbt's `int_account_plans_historized`: account_id, plan_tier, valid_from). The
# sync writes each profile's plan valid on N (the `plan_tier_as_of` macro's rule) instead of its row's, so
# the served plan_tier is current: a plan change creates no feature-log row. Absent (a warehouse not built by
# dbt, e.g. the synthetic ones of tests and benchmarks): the row's plan_tier is written.
PLANS_SCHEMA, PLANS_TABLE = "main_intermediate", "int_account_plans_historized"
PLANS = f"{PLANS_SCHEMA}.{PLANS_TABLE}"
DEFAULT_LOOKBACK_DAYS = 3
BATCH_ROWS = 8192
DELETE_CHUNK = 10_000
# DuckDB renders RESP on one thread while it streams: the other core is Redis' (on a one-machine setup) and
# one thread already renders ~3x faster than one Redis core absorbs (see resp.py).
STREAM_THREADS = 1

Progress = Callable[[int], None]


# --- the gate ---------------------------------------------------------------------------------------------


def check_gate(paths: ProjectPaths) -> GateVerdict:
    """The publish gate of the newest dbt invocation, or OnlineStoreError(exit 1) explaining why not: also
    when that invocation wrote no results (it stopped early or was killed: run_results.json is older)."""
    try:
        verdict = publish_gate(current_results(paths))
    except FeaturestoreError as exc:
        raise OnlineStoreError(f"Sync refused, Redis untouched: {exc.message}", exit_code=1) from exc
    if not verdict.passed:
        raise OnlineStoreError("Sync refused, Redis untouched. " + verdict.explain(), exit_code=1)
    return verdict


def _run_args(paths: ProjectPaths) -> dict[str, object]:
    try:
        args = json.loads((paths.target_dir / "run_results.json").read_text()).get("args", {})
        return args if isinstance(args, dict) else {}
    except (OSError, ValueError, AttributeError):
        return {}


def lookback_days(paths: ProjectPaths) -> int:
    """dbt's `lookback_days` (dates a build may rewrite behind its newest date): run vars, else project."""
    try:
        value = (_run_args(paths).get("vars") or {}).get("lookback_days")  # type: ignore[union-attr]
        if value is not None:
            return int(value)
    except (ValueError, TypeError, AttributeError):
        pass
    return project_lookback_days(paths)


def project_lookback_days(paths: ProjectPaths) -> int:
    """`lookback_days` of dbt_project.yml (what a build without --vars uses), else dbt's default of 3."""
    try:
        project = yaml.safe_load((paths.project_dir / "dbt_project.yml").read_text()) or {}
        value = (project.get("vars") or {}).get("lookback_days")
        if value is not None:
            return int(value)
    except (OSError, ValueError, TypeError, yaml.YAMLError):
        pass
    return DEFAULT_LOOKBACK_DAYS


def was_full_refresh(paths: ProjectPaths) -> bool:
    return bool(_run_args(paths).get("full_refresh"))


# --- the plan (DuckDB) ------------------------------------------------------------------------------------


@dataclass
class SyncPlan:
    mode: str  # "full" | "incremental"
    feature_date: date  # N
    previous_date: date | None  # M (meta.feature_date), None when absent
    resync_from: date | None  # rows dated on or after it are (re)written; None: every row (full)
    ttl_days: int
    lookback_days: int
    to_write: int
    deleted_ids: list[str] = field(default_factory=list)
    expired_ids: list[str] = field(default_factory=list)
    reason: str = ""

    @property
    def full(self) -> bool:
        return self.mode == "full"


class PlanSource:
    """What a sync needs of a warehouse: the plan's relations (`plan.py`) and a way to write the planned
    profiles. `SyncSource` is DuckDB on this machine; `spark_sync.SparkSyncSource` is a Spark job."""

    layout: Layout
    queries: PlanQueries

    def _keep(self, name: str, sql: str, view: bool = False) -> None:
        """Keep the result of `sql` (DuckDB dialect) under `name` for the plan's later queries."""
        raise NotImplementedError

    def _rows(self, sql: str) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def column_types(self) -> dict[str, pa.DataType]:
        raise NotImplementedError

    def has_plan_history(self) -> bool:
        raise NotImplementedError

    def write(
        self,
        client: RedisLike,
        url: str,
        plan: SyncPlan,
        result: SyncResult,
        batch_rows: int,
        on_progress: Progress | None,
    ) -> None:
        """Write every planned profile's transaction; `result.written` counts them."""
        raise NotImplementedError

    def close(self) -> None:
        pass

    def __enter__(self) -> "PlanSource":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def check_columns(self) -> None:
        check_published_columns(self.queries.tables.features, self.column_types(), self.layout)

    def newest_date(self) -> date:
        ((newest,),) = self._rows(self.queries.newest_date())
        if newest is None:
            raise OnlineStoreError(f"{self.queries.tables.features} is empty: nothing to publish.")
        return newest  # type: ignore[no-any-return]

    def build_plan(self, newest: date, resync_from: date | None, ttl_days: int) -> None:
        """The plan's relations: plan states, every profile's latest row and state, the writes."""
        q = self.queries
        if self.has_plan_history():
            self._keep(plan_sql.PLANS, q.plans(newest))
            self._keep(plan_sql.PLAN_CHANGES, q.plan_changes(newest, resync_from))
        else:
            self._keep(plan_sql.PLANS, q.no_plans())
            self._keep(plan_sql.PLAN_CHANGES, q.no_plan_changes())
        self._keep(plan_sql.SYNC_PLAN, q.sync_plan(newest, ttl_days))
        self._keep(plan_sql.SYNC_WRITES, q.writes(resync_from), view=True)

    def count_writes(self) -> int:
        return int(self._rows(self.queries.count_writes())[0][0])

    def removals(self, newest: date, resync_from: date | None, ttl_days: int) -> tuple[list[str], list[str]]:
        """(deleted, expired) profile ids to remove (`PlanQueries.deleted` / `expired`)."""
        deleted = self._rows(self.queries.deleted(newest, resync_from))
        expired = self._rows(self.queries.expired(resync_from, ttl_days))
        return [r[0] for r in deleted], [r[0] for r in expired]

    def written_ids(self) -> set[str]:
        return {r[0] for r in self._rows(self.queries.written_ids())}


class SyncSource(PlanSource):
    """The warehouse side of a sync on one machine: one DuckDB connection, the plan as temp tables, the
    RESP stream written from this process."""

    def __init__(self, duckdb_path: Path, layout: Layout) -> None:
        if not duckdb_path.is_file():
            raise OnlineStoreError(
                f"No warehouse at {duckdb_path}: run `featurestore run` or `dbt build` first "
                "(or set DUCKDB_PATH)."
            )
        self.layout = layout
        self.queries = PlanQueries(PlanTables(FEATURES, PROFILES, PLANS), layout)
        try:
            self.con = open_for_writing(duckdb_path)  # waits for readers (BI tools) to close the file
        except duckdb.Error as exc:
            raise OnlineStoreError(*explain(exc, f"Cannot open the warehouse {duckdb_path}")) from exc

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> "SyncSource":
        return self

    def column_types(self) -> dict[str, pa.DataType]:
        try:
            described = self.con.sql(f"select * from {FEATURES} limit 0").to_arrow_table().schema
        except duckdb.Error as exc:
            raise OnlineStoreError(f"Cannot read {FEATURES}: {exc}") from exc
        return {f.name: f.type for f in described}

    def newest_date(self) -> date:
        try:
            return super().newest_date()
        except duckdb.Error as exc:
            raise OnlineStoreError(f"Cannot read {FEATURES}: {exc}") from exc

    def has_plan_history(self) -> bool:
        return bool(
            self.con.execute(
                "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
                [PLANS_SCHEMA, PLANS_TABLE],
            ).fetchone()[0]  # type: ignore[index]
        )

    def _keep(self, name: str, sql: str, view: bool = False) -> None:
        kind = "temp view" if view else "temp table"
        self.con.execute(f"create or replace {kind} {name} as {sql}")

    def _rows(self, sql: str) -> list[tuple[Any, ...]]:
        return self.con.execute(sql).fetchall()

    def stream(self, batch_rows: int = BATCH_ROWS, with_keys: bool = False) -> pa.RecordBatchReader:
        """Record batches of `resp` (the RESP bytes of each profile's transaction), `has_expire` and, for
        routing on a cluster, `key`."""
        self.con.execute(f"set threads = {STREAM_THREADS}")
        sql = resp_sql(self.layout, f"({self.queries.rows_to_write()})", with_keys)
        return self.con.sql(sql).to_arrow_reader(batch_rows)

    def write(
        self,
        client: RedisLike,
        url: str,
        plan: SyncPlan,
        result: SyncResult,
        batch_rows: int,
        on_progress: Progress | None,
    ) -> None:
        """Every planned profile's transaction, pipelined from this process."""
        if plan.to_write == 0:
            return

        def sent(rows: int) -> None:
            result.written += rows
            if on_progress:
                on_progress(rows)

        started = time.perf_counter()
        router = Router(client)
        try:
            # Closed on any outcome: a reader left open (the failure's traceback keeps it) holds its query on
            # the warehouse, and the next connection of this process to the file would wait for it forever.
            with self.stream(batch_rows, with_keys=router.cluster) as batches:
                router.send_all(batches, sent)
        except WRITE_ERRORS as exc:
            raise midway_failure(
                exc, redact(url), f"after sending {result.written:,} of {plan.to_write:,} profiles"
            ) from exc
        finally:
            result.write_seconds = time.perf_counter() - started


def check_published_columns(relation: str, types: dict[str, pa.DataType], layout: Layout) -> None:
    """OnlineStoreError unless the published log has every column the online store writes, typed as the
    feature catalog says."""
    required = [f.name for f in layout.fields] + list(TTL_ANCHOR_COLUMNS)
    missing = [name for name in required if name not in types]
    if missing or "feature_date" not in types or "profile_id" not in types:
        raise OnlineStoreError(
            f"{relation} lacks columns the online store publishes: "
            f"{', '.join(missing or ['feature_date'])}. "
            "Rebuild it (`dbt build`) with the current feature catalog."
        )
    wrong = [
        f"{f.name} ({types[f.name]}, catalog: {f.type})" for f in layout.fields if not f.accepts(types[f.name])
    ]
    if wrong:
        raise OnlineStoreError(f"{relation} column types disagree with the feature catalog: {', '.join(wrong)}")


def make_plan(
    source: PlanSource,
    meta_date: date | None,
    full: bool,
    ttl_days: int,
    lookback: int,
    rebuilt: bool = False,
) -> SyncPlan:
    """Full, or incremental from meta.feature_date M: profiles with a row dated on or after M - lookback.

    dbt's incremental build rewrites every feature date from (its newest date - lookback_days) on, so rows
    dated M - lookback .. M may hold corrected values since the last sync; newer rows are new.
    """
    newest = source.newest_date()
    resync_from: date | None = None
    mode, reason = "full", ""
    if full:
        reason = "--full"
    elif meta_date is None:
        reason = "no meta in Redis: first sync"
    elif rebuilt:
        reason = "the last dbt build was a --full-refresh: every row may have changed"
    elif meta_date > newest:
        reason = f"Redis holds {meta_date}, newer than the warehouse's {newest}: reloading everything"
    else:
        mode, resync_from = "incremental", meta_date - timedelta(days=lookback)
    source.build_plan(newest, resync_from, ttl_days)
    deleted, expired = source.removals(newest, resync_from, ttl_days)
    return SyncPlan(
        mode=mode,
        feature_date=newest,
        previous_date=meta_date,
        resync_from=resync_from,
        ttl_days=ttl_days,
        lookback_days=lookback,
        to_write=source.count_writes(),
        deleted_ids=deleted,
        expired_ids=expired,
        reason=reason,
    )


# --- writing ----------------------------------------------------------------------------------------------


class NodeWriter:
    """Pipelined transactions to one Redis node over one raw connection, replies checked one batch behind."""

    def __init__(self, client: redis.Redis) -> None:
        self.pool = client.connection_pool
        # redis-py's connection: its AUTH / TLS / SELECT handshake, then our own bytes on its socket
        self.conn = self.pool.get_connection()
        self.conn.connect()
        sock = getattr(self.conn, "_sock", None)
        if sock is None:
            raise OnlineStoreError("The Redis connection exposes no socket (unsupported connection class).")
        self.sock = sock
        self.replies = ReplyCounter(sock)
        self.sent_lines = 0
        self.pending: deque[int] = deque()

    def send(self, payload: memoryview, lines: int) -> None:
        self.sock.sendall(payload)
        self.sent_lines += lines
        self.pending.append(self.sent_lines)

    def drain(self, keep: int = 0) -> None:
        while len(self.pending) > keep:
            self.replies.read_until(self.pending.popleft())

    def close(self, ok: bool) -> None:
        if ok:
            self.pool.release(self.conn)
        else:
            self.conn.disconnect()
            self.pool.release(self.conn)


class Router:
    """Where each transaction goes, and the thread that sends them.

    One writer for a standalone Redis, one per primary on a cluster (keys routed by hash slot: every
    transaction touches one key, so one slot). The caller renders batches while a sender thread writes the
    previous ones and checks their replies: socket writes and DuckDB both release the GIL, so Redis never
    waits for the next batch to be rendered.
    """

    QUEUE_DEPTH = 2

    def __init__(self, client: RedisLike) -> None:
        self.cluster = isinstance(client, RedisCluster)
        self.slot_owner: list[int] = []
        if self.cluster:
            primaries = client.get_primaries()
            index = {node.name: i for i, node in enumerate(primaries)}
            owner = [-1] * 16384
            for slot, nodes in client.nodes_manager.slots_cache.items():
                owner[slot] = index.get(nodes[0].name, -1)
            if -1 in owner:
                raise OnlineStoreError("The Redis Cluster does not cover all 16384 hash slots.")
            self.slot_owner = owner
            self.writers = [NodeWriter(client.get_redis_connection(node)) for node in primaries]
        else:
            self.writers = [NodeWriter(client)]  # type: ignore[arg-type]
        self._queue: queue.Queue[list[tuple[NodeWriter, memoryview, int, object]] | None] = queue.Queue(
            maxsize=self.QUEUE_DEPTH
        )
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._sender, name="online-sync-sender", daemon=True)
        self._thread.start()

    def _sender(self) -> None:
        try:
            while (item := self._queue.get()) is not None:
                for writer, payload, lines, _batch in item:
                    writer.send(payload, lines)
                for writer, _payload, _lines, _batch in item:
                    writer.drain(keep=1)  # the replies of the previous batch
            for writer in self.writers:
                writer.drain(keep=0)
        except BaseException as exc:  # handed to the caller's thread
            self._error = exc

    def _put(self, item: list[tuple[NodeWriter, memoryview, int, object]] | None) -> None:
        while True:
            if self._error is not None:
                raise self._error
            if not self._thread.is_alive() and item is not None:
                raise ConnectionError("the sender stopped")
            try:
                self._queue.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def send_batch(self, batch: pa.RecordBatch) -> None:
        resp = batch.column("resp")
        has_expire = batch.column("has_expire")
        if not self.cluster:
            self._put([self._item(self.writers[0], resp, has_expire, batch)])
            return
        groups: dict[int, list[int]] = {}
        for i, key in enumerate(batch.column("key").to_pylist()):
            groups.setdefault(self.slot_owner[key_slot(key.encode())], []).append(i)
        items = []
        for node, rows in groups.items():
            idx = pa.array(rows, pa.int32())
            part = resp.take(idx)
            items.append(self._item(self.writers[node], part, has_expire.take(idx), part))
        self._put(items)

    @staticmethod
    def _item(
        writer: NodeWriter, resp: pa.Array, has_expire: pa.Array, keep_alive: object
    ) -> tuple[NodeWriter, memoryview, int, object]:
        n = len(resp)
        with_expire = int(pc.sum(has_expire).as_py() or 0)
        lines = (n - with_expire) * lines_per_transaction(False) + with_expire * lines_per_transaction(True)
        return writer, batch_payload(resp), lines, keep_alive

    def send_all(self, batches: Iterable[pa.RecordBatch], on_rows: Callable[[int], None]) -> None:
        """Send every batch (`on_rows` after each), wait for every reply, and close the connections: kept
        open for reuse only when all was acknowledged, dropped otherwise (a half-sent pipeline)."""
        ok = False
        try:
            for batch in batches:
                self.send_batch(batch)
                on_rows(batch.num_rows)
            self.finish()
            ok = True
        finally:
            self.close(ok)

    def finish(self) -> None:
        """Wait until every transaction sent has been acknowledged; raise the sender's error if any."""
        self._put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error

    def close(self, ok: bool) -> None:
        if not ok:
            for writer in self.writers:  # unblocks a sender stuck in sendall/recv
                writer.conn.disconnect()
            try:
                self._queue.put_nowait(None)
            except queue.Full:
                pass
            self._thread.join(timeout=10)
        for writer in self.writers:
            writer.close(ok)


def delete_keys(client: RedisLike, keys: Iterable[str]) -> int:
    """DEL every key (pipelined, no transaction); the number that existed."""
    removed = 0
    chunk: list[str] = []

    def flush() -> int:
        pipe = client.pipeline(transaction=False)
        for key in chunk:
            pipe.delete(key)
        result = sum(int(r) for r in pipe.execute())
        chunk.clear()
        return result

    for key in keys:
        chunk.append(key)
        if len(chunk) >= DELETE_CHUNK:
            removed += flush()
    if chunk:
        removed += flush()
    return removed


def count_existing(client: RedisLike, keys: list[str]) -> int:
    existing = 0
    for start in range(0, len(keys), DELETE_CHUNK):
        pipe = client.pipeline(transaction=False)
        for key in keys[start : start + DELETE_CHUNK]:
            pipe.exists(key)
        existing += sum(int(r) for r in pipe.execute())
    return existing


def stray_keys(client: RedisLike, layout: Layout, keep: set[str]) -> list[str]:
    """Profile keys under the prefix whose profile is not in `keep` (full-sync reconciliation)."""
    strays = []
    start = len(layout.profile_key_prefix)
    for raw in client.scan_iter(match=layout.scan_pattern, count=10_000):
        key = raw.decode() if isinstance(raw, bytes) else raw
        if key[start:] not in keep:
            strays.append(key)
    return strays


@dataclass
class SyncResult:
    plan: SyncPlan
    written: int = 0
    deleted: int = 0  # existing keys removed because the profile was deleted upstream
    expired: int = 0  # existing keys removed because the profile passed its TTL
    strays: int = 0  # other keys under the prefix a full sync removed
    seconds: float = 0.0
    write_seconds: float = 0.0
    dry_run: bool = False
    url: str = ""

    @property
    def profiles_per_second(self) -> float:
        return self.written / self.write_seconds if self.write_seconds > 0 else 0.0


def run_sync(
    paths: ProjectPaths | None = None,
    *,
    full: bool = False,
    dry_run: bool = False,
    url: str | None = None,
    prefix: str | None = None,
    ttl_days: int | None = None,
    batch_rows: int = BATCH_ROWS,
    on_plan: Callable[[SyncPlan], None] | None = None,
    on_progress: Progress | None = None,
    gate: GateVerdict | None = None,
    open_source: Callable[[ProjectPaths, Layout], PlanSource] | None = None,
) -> SyncResult:
    """One sync, end to end. Raises OnlineStoreError (with its exit code) on any failure.

    `gate`: the verdict of the build this process just ran (`featurestore run`); else the newest build's.
    `open_source`: where the plan is made and the profiles written from (`spark_sync.spark_source`); default:
    the DuckDB warehouse, written from this process."""
    started = time.perf_counter()
    paths = paths or ProjectPaths.discover()
    if gate is None:
        check_gate(paths)  # before anything touches Redis
    elif not gate.passed:
        raise OnlineStoreError("Sync refused, Redis untouched. " + gate.explain(), exit_code=1)
    try:
        ttl = configured_ttl_days() if ttl_days is None else ttl_days
    except ValueError as exc:
        raise OnlineStoreError(str(exc), exit_code=2) from exc
    try:
        layout = Layout.from_catalog(prefix, paths.project_dir)
    except OSError as exc:
        raise OnlineStoreError(f"Cannot read the feature catalog: {exc}") from exc
    opened = open_source(paths, layout) if open_source else SyncSource(paths.duckdb_path, layout)
    with opened as source:
        source.check_columns()
        source.newest_date()
        resolved = resolve_url(url, start_local=True, paths=paths)
        client = open_redis(resolved)
        where = redact(resolved)
        try:
            meta = read_meta(client, layout)
            plan = make_plan(
                source,
                meta.feature_date if meta else None,
                full,
                ttl,
                lookback_days(paths),
                rebuilt=was_full_refresh(paths),
            )
            if on_plan:
                on_plan(plan)
            result = SyncResult(plan=plan, dry_run=dry_run, url=where)
            if dry_run:
                result.deleted = count_existing(client, [layout.profile_key(p) for p in plan.deleted_ids])
                result.expired = count_existing(client, [layout.profile_key(p) for p in plan.expired_ids])
                if plan.full:
                    result.strays = len(
                        stray_keys(
                            client,
                            layout,
                            source.written_ids() | set(plan.deleted_ids) | set(plan.expired_ids),
                        )
                    )
                result.written = plan.to_write
                result.seconds = time.perf_counter() - started
                return result
            source.write(client, resolved, plan, result, batch_rows, on_progress)
            result.deleted = delete_keys(client, (layout.profile_key(p) for p in plan.deleted_ids))
            result.expired = delete_keys(client, (layout.profile_key(p) for p in plan.expired_ids))
            if plan.full:
                result.strays = delete_keys(client, stray_keys(client, layout, source.written_ids()))
            client.hset(
                layout.meta_key,
                mapping={
                    "feature_date": plan.feature_date.isoformat(),
                    "loaded_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                    "profiles": str(result.written),
                    "features": str(len(layout.features)),
                    "schema": layout.schema_json(),
                    "ttl_days": str(ttl),
                },
            )
        except OnlineStoreError:
            raise
        except duckdb.Error as exc:
            raise OnlineStoreError(
                f"Cannot read the warehouse {paths.duckdb_path}: {exc}. meta.feature_date was not moved.",
                exit_code=1,
            ) from exc
        except (redis.RedisError, OSError) as exc:
            raise midway_failure(exc, where, "during the sync") from exc
        finally:
            client.close()
    result.seconds = time.perf_counter() - started
    return result


# what a failed write raises (Redis' replies, redis-py, the sockets): a one-line `midway_failure`
WRITE_ERRORS = (RedisReplyError, redis.RedisError, ConnectionError, TimeoutError, OSError)

NOT_MOVED = "meta.feature_date was not moved (every profile holds its old or its new hash)"


def midway_failure(exc: BaseException, where: str, when: str) -> OnlineStoreError:
    """The one line (exit 1) for a sync that failed after it started writing: what Redis said, and the fix."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    rerun = "re-run `featurestore sync` (writes are idempotent)"
    if text.startswith("OOM") or "maxmemory" in text:
        return OnlineStoreError(
            f"Redis at {where} is full {when}: {text}. {NOT_MOVED}; raise its maxmemory "
            f"(CONFIG SET maxmemory, redis.conf) or free memory, then {rerun}.",
            exit_code=1,
        )
    if isinstance(exc, redis.AuthenticationError) or text.startswith(("WRONGPASS", "NOAUTH")):
        return OnlineStoreError(
            f"Redis at {where} refused the credentials {when} (its password changed?): {text}. {NOT_MOVED}; "
            f"set REDIS_URL to its current password, then {rerun}.",
            exit_code=1,
        )
    if isinstance(exc, RedisReplyError) or isinstance(exc, redis.ResponseError):
        hint = " (the cluster's slots moved during the sync)" if text.startswith(("MOVED", "ASK")) else ""
        return OnlineStoreError(
            f"Redis at {where} rejected a write{hint} {when}: {text}. {NOT_MOVED}; "
            f"{rerun} after fixing the cause.",
            exit_code=1,
        )
    if isinstance(exc, (redis.ConnectionError, redis.TimeoutError, ConnectionError, TimeoutError, OSError)):
        return OnlineStoreError(
            f"Lost the connection to Redis at {where} {when}: {text}. {NOT_MOVED}; "
            f"{rerun} once Redis is back.",
            exit_code=1,
        )
    return OnlineStoreError(f"Redis at {where} failed {when}: {text}. {NOT_MOVED}; {rerun}.", exit_code=1)
