"""`featurestore sync --target spark|databricks`: the sync as a Spark job, for a feature log built on Spark.

The same sync as on one machine (`sync.run_sync`: gate, plan, writes, removals, meta last), with two parts
moved onto Spark:

- **The plan** runs in Spark SQL on the published tables: the plan's queries (`plan.py`) are written once,
  in DuckDB's dialect, and transpiled by sqlglot; its relations are temp views.
- **The writes** run in the executors: `mapInArrow` hands each partition's rows (as Arrow batches) to
  `PartitionWriter`, which renders every profile's transaction with the same DuckDB SQL as the
  single-machine sync (`plan.resp_sql`, in an in-process DuckDB) and pipelines it to Redis through the same
  `Router` (slot-aware on a Redis Cluster). Same rows, same bytes: the Redis state equals the single-machine
  sync's, key for key.

The driver reads meta first, collects the (few) ids to remove, and writes meta only after every partition
has succeeded: a failed or killed job leaves meta.feature_date where it was and a rerun redoes the same
idempotent per-profile replacements. Spark's task retries are safe for the same reason.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa
import redis
import sqlglot

from featurestore.dbt_profiles import ProfileOutputError, rendered_output
from featurestore.online import OnlineStoreError
from featurestore.online.client import RedisLike, open_redis, redact
from featurestore.online.layout import Layout
from featurestore.online.plan import PlanQueries, PlanTables, resp_sql
from featurestore.online.sync import (
    BATCH_ROWS,
    STREAM_THREADS,
    PlanSource,
    Progress,
    Router,
    SyncPlan,
    SyncResult,
    WRITE_ERRORS,
    midway_failure,
)
from featurestore.paths import ProjectPaths

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

logger = logging.getLogger(__name__)

# A partition's failure crosses Spark's task boundary as text: its one-line reason follows this marker.
PARTITION_FAILED = "featurestore-sync-partition-failed: "
BATCH_VIEW = "partition_rows"


def spark_tables(target: str) -> PlanTables:
    """The published tables as dbt names them on `target` (`<schema>_marts.profile_features`, ...): the
    local `spark` target's schema is `featurestore`; Databricks' is `DATABRICKS_CATALOG`.`DATABRICKS_SCHEMA`
    (profiles.yml)."""
    if target == "databricks":
        catalog = os.environ.get("DATABRICKS_CATALOG", "main")
        base = f"{catalog}.{os.environ.get('DATABRICKS_SCHEMA', 'featurestore')}"
    else:
        base = "featurestore"
    return PlanTables(
        features=f"{base}_marts.profile_features",
        profiles=f"{base}_staging.stg_gold__profiles",
        plans=f"{base}_intermediate.int_account_plans_historized",
    )


def spark_session(paths: ProjectPaths, target: str) -> "SparkSession":
    """The running session (a Databricks job, or the process that just built the `spark` target), else the
    local `spark` target's session, configured as profiles.yml configures dbt-spark's (same warehouse folder
    and metastore, so it sees the tables dbt built)."""
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    if target == "databricks":
        return SparkSession.builder.getOrCreate()
    builder = SparkSession.builder.enableHiveSupport()
    for name, value in local_spark_settings(paths).items():
        builder = builder.config(name, value)
    # the partition writers run in Python workers: this interpreter, which has featurestore installed
    # (PySpark reads the variable when it creates the context)
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    session = builder.getOrCreate()
    if not logger.isEnabledFor(logging.DEBUG):
        # a failed task is reported as one line (`partition_failure`), not as Spark's logged tracebacks
        session.sparkContext.setLogLevel("OFF")
    return session


def local_spark_settings(paths: ProjectPaths) -> dict[str, str]:
    """The `spark` output's `server_side_parameters` in profiles.yml, rendered by dbt with the environment."""
    # PWD as dbt sees it when run from the project folder (its default Spark home is <PWD>/data/spark)
    environment = {"PWD": str(paths.project_dir), **os.environ}
    try:
        output = rendered_output(paths.project_dir, "spark", environment)
    except ProfileOutputError as exc:
        raise OnlineStoreError(
            f"cannot configure the local Spark session: {exc}. Fix profiles.yml's `spark` output.", exit_code=2
        ) from exc
    return {str(name): str(value) for name, value in (output.get("server_side_parameters") or {}).items()}


def to_spark_sql(sql: str) -> str:
    """One of the plan's queries (DuckDB dialect) in Spark SQL."""
    return sqlglot.transpile(sql, read="duckdb", write="spark")[0]


class SparkSyncSource(PlanSource):
    """The plan as Spark temp views over the published tables; the writes as a Spark job."""

    def __init__(self, spark: "SparkSession", tables: PlanTables, layout: Layout, partitions: int | None) -> None:
        self.spark = spark
        self.layout = layout
        self.queries = PlanQueries(tables, layout)
        self.partitions = partitions

    def _frame(self, sql: str) -> "DataFrame":
        from pyspark.errors import PySparkException

        try:
            return self.spark.sql(to_spark_sql(sql))
        except PySparkException as exc:
            raise OnlineStoreError(
                f"Spark cannot run the sync's plan on {self.queries.tables.features}: {_first_line(exc)}. "
                "Build the `spark`/`databricks` target first (`featurestore dbt build --target spark`).",
                exit_code=1,
            ) from exc

    def _keep(self, name: str, sql: str, view: bool = False) -> None:
        frame = self._frame(sql)
        if not view:
            # the plan's tables are read by several queries: computed once. Compute that cannot cache
            # (serverless) recomputes them instead.
            try:
                frame = frame.cache()
            except Exception:  # noqa: BLE001 - any refusal to cache only costs time
                logger.debug("Spark refused to cache %s; it is recomputed per query", name, exc_info=True)
        frame.createOrReplaceTempView(name)

    def _rows(self, sql: str) -> list[tuple[Any, ...]]:
        from pyspark.errors import PySparkException

        try:
            return [tuple(row) for row in self._frame(sql).collect()]
        except PySparkException as exc:
            raise OnlineStoreError(f"Spark failed planning the sync: {_first_line(exc)}", exit_code=1) from exc

    def column_types(self) -> dict[str, pa.DataType]:
        from pyspark.sql.pandas.types import to_arrow_type

        features = self.queries.tables.features
        if not self.spark.catalog.tableExists(features):
            raise OnlineStoreError(
                f"No table {features} in Spark's catalog: build it first (`featurestore dbt build --target "
                "spark`, or the bundle's dbt task on Databricks).",
                exit_code=1,
            )
        return {f.name: to_arrow_type(f.dataType) for f in self.spark.table(features).schema.fields}

    def has_plan_history(self) -> bool:
        return bool(self.spark.catalog.tableExists(self.queries.tables.plans))

    def write(
        self,
        client: RedisLike,
        url: str,
        plan: SyncPlan,
        result: SyncResult,
        batch_rows: int,
        on_progress: Progress | None,
    ) -> None:
        """Every planned profile's transaction, written by the executors, one pipeline per partition."""
        if plan.to_write == 0:
            return
        rows = self._frame(self.queries.rows_to_write())
        if self.partitions:
            rows = rows.repartition(self.partitions)
        cluster = isinstance(client, redis.RedisCluster)
        writer = PartitionWriter(url, resp_sql(self.layout, BATCH_VIEW, with_keys=cluster), batch_rows)
        where = redact(url)
        # (no RDD API here: Spark Connect, e.g. Databricks serverless, has none)
        logger.info("Writing %d profiles from Spark partitions to %s", plan.to_write, where)
        started = time.perf_counter()
        try:
            counts = rows.mapInArrow(writer, "written long").collect()
        except Exception as exc:  # noqa: BLE001 - Spark's error types differ between classic Spark and Connect
            raise OnlineStoreError(partition_failure(str(exc), where), exit_code=1) from exc
        result.written = sum(int(row["written"]) for row in counts)
        result.write_seconds = time.perf_counter() - started
        if on_progress:
            on_progress(result.written)
        if result.written != plan.to_write:
            raise OnlineStoreError(
                f"The Spark job wrote {result.written:,} profiles of the {plan.to_write:,} planned (did the "
                f"published table change during the sync?). meta.feature_date was not moved; re-run the sync.",
                exit_code=1,
            )


@dataclass(frozen=True)
class PartitionWriter:
    """Runs in an executor (pickled by Spark): one partition's rows -> RESP (DuckDB) -> Redis (Router).

    Yields one row: the number of profiles written. Any failure is raised with `PARTITION_FAILED` and the
    single-machine sync's one-line reason, so the driver can show it."""

    url: str
    render_sql: str  # plan.resp_sql over BATCH_VIEW
    batch_rows: int = BATCH_ROWS

    def __call__(self, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        written = 0

        def sent(rows: int) -> None:
            nonlocal written
            written += rows

        try:
            client = open_redis(self.url)
        except OnlineStoreError as exc:
            raise RuntimeError(PARTITION_FAILED + exc.message) from exc
        try:
            # The generator (and the DuckDB reader inside it) is closed here on any outcome, not kept alive by
            # the traceback of a failed partition.
            with duckdb.connect() as con, closing(self._rendered(con, batches)) as rendered:
                con.execute(f"set threads = {STREAM_THREADS}")
                Router(client).send_all(rendered, sent)
        except WRITE_ERRORS as exc:
            failure = midway_failure(exc, redact(self.url), f"after this partition sent {written:,} profiles")
            raise RuntimeError(PARTITION_FAILED + failure.message) from exc
        finally:
            client.close()
        yield pa.RecordBatch.from_pydict({"written": pa.array([written], pa.int64())})

    def _rendered(
        self, con: duckdb.DuckDBPyConnection, batches: Iterator[pa.RecordBatch]
    ) -> Iterator[pa.RecordBatch]:
        """Each batch of rows as RESP batches (`render_sql` over it)."""
        for batch in batches:
            if batch.num_rows == 0:
                continue
            con.register(BATCH_VIEW, pa.Table.from_batches([batch]))
            with con.sql(self.render_sql).to_arrow_reader(self.batch_rows) as reader:
                yield from reader
            con.unregister(BATCH_VIEW)


def partition_failure(text: str, where: str) -> str:
    """The one line for a failed write job: a partition's own reason when Spark's error carries one."""
    found = re.search(re.escape(PARTITION_FAILED) + r"([^\n]*)", text)
    if found:
        return found.group(1).strip()
    # else the innermost exception line of the worker's traceback, e.g. "ModuleNotFoundError: ..."
    causes = re.findall(r"^\s*((?:\w+\.)*\w*(?:Error|Exception): .+)$", text, flags=re.MULTILINE)
    cause = causes[-1].strip() if causes else _first_line(text)
    return (
        f"The Spark job writing to Redis at {where} failed: {cause}. meta.feature_date was not moved; re-run "
        "the sync once the cause is fixed (writes are idempotent; the executors need this project's wheel)."
    )


def _first_line(exc: object) -> str:
    text = str(exc).strip()
    return next((line.strip() for line in text.splitlines() if line.strip()), type(exc).__name__)[:400]


def spark_source(target: str, partitions: int | None = None) -> Callable[[ProjectPaths, Layout], PlanSource]:
    """`run_sync(open_source=...)` for the Spark tables of `target` (`spark` or `databricks`)."""

    def open_source(paths: ProjectPaths, layout: Layout) -> SparkSyncSource:
        return SparkSyncSource(spark_session(paths, target), spark_tables(target), layout, partitions)

    return open_source
