"""Run a dbt Python model written once in the PySpark DataFrame API on DuckDB (via SQLFrame) or on Spark.

A model defines `build(F, W, *frames) -> DataFrame` using only `F` (functions) and `W` (Window) handed to it,
and calls `run(dbt, session, build, "ref_a", "ref_b", ...)`. On Spark the frames are real PySpark DataFrames;
on DuckDB they are SQLFrame DataFrames whose plan is turned into one DuckDB SQL query, so no event-scale data
ever passes through Python.

Why the care on DuckDB: SQLFrame's `DuckDBSession` is a process-wide singleton that keeps the first connection
it saw and caches catalog lookups, while dbt-duckdb hands each model a fresh cursor and may run models on two
threads. Planning is serialised under a lock and the singleton is re-pointed at the current cursor every time.
SQLFrame's optimizer silently changes some results, so SQL is generated with `optimize=False`.

Planning is the slow part on DuckDB (SQLFrame deep-copies the growing plan on every DataFrame operation: seconds
for a wide model, the same on every run), so the generated SQL is cached under the dbt target path, keyed by the
model's compiled code, the input relations' schemas, the parameters and the library versions. Date parameters
are planned as placeholders and filled in per run, so a daily run reuses yesterday's plan. FEATURESTORE_PLAN_CACHE
names another folder, e.g. one shared by the CI jobs or warehouses of one checkout (the key makes sharing safe).

A large build can run the one generated query once per slice of the profiles (or accounts), each slice reading
its inputs through a hash filter, so DuckDB holds one slice at a time (`run(..., slices=n)`, ADR 0010).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import operator
import os
import re
import threading
import time
from collections.abc import Callable, Iterable
from functools import reduce
from importlib.metadata import version
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

_LOCK = threading.RLock()
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def added(columns: Iterable[Any]) -> Any:
    """`columns` (DataFrame columns) summed left to right: a fixed order, so a double result is the same on
    every run and engine. Used by the Python models' multi-column sums."""
    return reduce(operator.add, columns)


def is_duckdb(session: Any) -> bool:
    """dbt-duckdb passes its cursor wrapper; dbt-spark / Databricks pass a SparkSession."""
    return "duckdb" in type(session).__module__


def relation_names(dbt: Any, *refs: str) -> list[str]:
    """Fully qualified relation names of `refs` (the model must also call `dbt.ref(...)` literally for the DAG)."""
    names = type(dbt)(lambda name: name)
    return [str(names.ref(ref)) for ref in refs]


def scalar(session: Any, sql: str) -> Any:
    """First column of the first row of `sql`, on either engine."""
    if is_duckdb(session):
        return session.execute(sql).fetchall()[0][0]
    return session.sql(sql).collect()[0][0]


def distinct_values(dbt: Any, session: Any, ref: str, column: str) -> tuple[str, ...]:
    """The non-null values of `column` in `ref`, sorted: e.g. the buckets of a pivot read when the model runs."""
    sql = f"select distinct {column} from {relation_names(dbt, ref)[0]} where {column} is not null"
    rows = session.execute(sql).fetchall() if is_duckdb(session) else session.sql(sql).collect()
    return tuple(sorted(str(row[0]) for row in rows))


def run(
    dbt: Any,
    session: Any,
    build: Callable[..., Any],
    *refs: str,
    slices: int = 1,
    slice_by: str = "profile_id",
    slice_members: str | None = None,
    **params: Any,
) -> Any:
    """Build the model from its refs' relations and return what dbt's Python materialization accepts.

    `slices` > 1 (DuckDB; see `profile_slices`): build one slice at a time, every input read only for
    the profiles (or accounts: `slice_by="account_id"`) whose `hash(slice_by) % slices` is the slice's
    number, each slice's rows appended to a temporary table that is returned. The build's memory and spill
    are then those of its largest slice. Only for models whose every output row is computed from the input
    rows of its own profile (account). An input without the `slice_by` column is read for the profiles that
    `slice_members` (a ref holding every profile with its `slice_by`) puts in the slice. Spark distributes
    the work itself and ignores slices.
    """
    tables = relation_names(dbt, *refs)
    if not is_duckdb(session):
        from pyspark.sql import Window
        from pyspark.sql import functions as F

        return build(F, Window, *[session.table(name) for name in tables], **params)
    sql = duckdb_sql(session, build, tables, params)
    if slices <= 1:
        return session.sql(sql)
    members = relation_names(dbt, slice_members)[0] if slice_members else None
    name = dbt.this.identifier
    result = f"xengine_{name}_slices"
    for index in range(slices):
        started = time.perf_counter()
        sliced = in_slice(sql, slice_filters(session, tables, slice_by, members, slices, index))
        write = f"create or replace temp table {result} as" if index == 0 else f"insert into {result}"
        session.execute(f"{write} {sliced}")
        seconds = time.perf_counter() - started
        logger.info("%s: slice %d of %d built in %.1f s", name, index + 1, slices, seconds)
    return session.sql(f"select * from {result}")


def profile_slices(
    dbt: Any, session: Any, ref: str, cutoff: str, rows_per_slice: int, date_column: str = "feature_date"
) -> int:
    """How many slices keep each slice's share of `ref`'s rows from `cutoff` on under `rows_per_slice`: 1 on a
    daily run or a small full build, more on a large full build (1 on Spark)."""
    if not is_duckdb(session):
        return 1
    table = relation_names(dbt, ref)[0]
    rows = scalar(session, f"select count(*) from {table} where {date_column} >= cast('{cutoff}' as date)")
    return max(1, math.ceil(rows / max(1, rows_per_slice)))


def slice_filters(
    session: Any, tables: list[str], key: str, members: str | None, slices: int, index: int
) -> dict[str, str]:
    """Per input table, the condition that keeps the rows of slice `index`."""
    condition = f"hash({key}) % {slices} = {index}"
    filters = {}
    for table in tables:
        columns = {row[0] for row in session.execute(f"describe {table}").fetchall()}
        if key in columns:
            filters[table] = condition
        elif members and "profile_id" in columns:
            filters[table] = f"profile_id in (select profile_id from {members} where {condition})"
        else:
            raise RuntimeError(
                f"{table} has no {key} column (nor a profile_id and a slice_members ref): cannot slice it"
            )
    return filters


def in_slice(sql: str, filters: dict[str, str]) -> str:
    """`sql` reading each input table through its filter (`slice_filters`)."""
    for table in filters:
        if sql.count(table) != sql.count(f"FROM {table}"):
            raise RuntimeError(
                f"{table} is read in the generated SQL other than as `FROM {table}`: cannot slice it"
            )
    for table, condition in filters.items():
        sql = sql.replace(f"FROM {table}", f"FROM (SELECT * FROM {table} WHERE {condition})")
    return sql


def duckdb_sql(session: Any, build: Callable[..., Any], tables: list[str], params: dict[str, Any]) -> str:
    """The DuckDB SQL of `build` over `tables`, from the plan cache when the same plan was generated before."""
    # Date parameters are planned as unique placeholder dates, so one cached plan serves every run date.
    placeholders = {
        name: f"0001-01-{index + 1:02d}"
        for index, (name, value) in enumerate(sorted(params.items()))
        if isinstance(value, str) and _ISO_DATE.fullmatch(value)
    }
    planned_params = {**params, **placeholders}
    model_code = _model_code(build)
    if model_code is None:
        sql = _plan_on_duckdb(session, build, tables, planned_params)
    else:
        cache_file = _plan_cache_dir() / f"{_plan_key(session, model_code, build, tables, planned_params)}.sql"
        try:
            sql = cache_file.read_text()
        except OSError:
            sql = _plan_on_duckdb(session, build, tables, planned_params)
            _store_plan(cache_file, sql)
    for name, placeholder in placeholders.items():
        sql = sql.replace(f"'{placeholder}'", f"'{params[name]}'")
    return sql


def _plan_on_duckdb(session: Any, build: Callable[..., Any], tables: list[str], params: dict[str, Any]) -> str:
    from sqlframe.duckdb import DuckDBSession
    from sqlframe.duckdb import Window as DuckWindow
    from sqlframe.duckdb import functions as DuckF

    with _LOCK:
        spark = DuckDBSession(conn=session)
        spark._connection = session
        for cached in ("_cur", "catalog"):
            spark.__dict__.pop(cached, None)
        frames = [spark.table(name) for name in tables]
        return str(build(DuckF, DuckWindow, *frames, **params).sql(dialect="duckdb", optimize=False))


PLAN_CACHE_ENV = "FEATURESTORE_PLAN_CACHE"


def _plan_cache_dir() -> Path:
    shared = os.environ.get(PLAN_CACHE_ENV)
    if shared:
        return Path(shared)
    return Path(os.environ.get("DBT_TARGET_PATH") or "target") / "xengine_plans"


# dbt writes `self.is_incremental = True|False` into the compiled model's `dbtObj`. The generated SQL does not
# depend on it (the cutoff parameter carries the difference), and keying on it kept the daily run after a full
# build from reusing the full build's plan: both Python models were planned again (4.5 s on this machine).
_RUN_MODE_LINE = re.compile(rb"^[ \t]*self\.is_incremental = (?:True|False)[ \t]*$", re.MULTILINE)


def _model_code(build: Callable[..., Any]) -> bytes | None:
    """The model's compiled code without what changes from run to run but not the SQL: dbt-duckdb's
    `materialize` tail (it names a timestamped table) and whether the run is incremental."""
    model_file = build.__globals__.get("__file__")
    if not model_file or not Path(model_file).is_file():
        return None
    return _RUN_MODE_LINE.sub(b"", Path(model_file).read_bytes().split(b"\ndef materialize(")[0])


def _plan_key(session: Any, model_code: bytes, build: Callable[..., Any], tables: list[str],
              params: dict[str, Any]) -> str:
    """Everything the generated SQL depends on: code, input schemas, parameters, library versions."""
    schemas = [session.execute(f"describe {table}").fetchall() for table in tables]
    parts = [
        model_code,
        Path(__file__).read_bytes(),
        json.dumps([tables, schemas, sorted(params.items())], default=str).encode(),
        f"sqlframe {version('sqlframe')} sqlglot {version('sqlglot')}".encode(),
    ]
    digest = hashlib.sha256()
    for part in parts:
        digest.update(hashlib.sha256(part).digest())
    return f"{build.__module__}-{digest.hexdigest()[:20]}"


def _store_plan(cache_file: Path, sql: str) -> None:
    """Write atomically; a read-only target folder only costs the next run its planning time."""
    try:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        partial = cache_file.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        partial.write_text(sql)
        partial.replace(cache_file)
    except OSError as error:
        logger.warning("could not cache the generated SQL in %s (%s); the next run plans again", cache_file, error)


# The cutoff of a full build: before any event date, so nothing is collapsed into opening balances and the
# result is the full history's. A full build and an incremental one then have the same plan shape (the date is
# a placeholder in the plan cache), so the daily run after a full build reuses the full build's plan instead of
# generating its own (SQLFrame planning: 3.6 s for household share, 0.9 s for affinity, on two cores).
FULL_BUILD_CUTOFF = "1900-01-01"


def incremental_cutoff(dbt: Any, session: Any, lookback_days: int, date_column: str = "feature_date") -> str:
    """ISO date from which an incremental run rebuilds (last built - lookback_days), or FULL_BUILD_CUTOFF on a
    full build.

    The Python twin of the `incremental_cutoff_date` macro. `lookback_days` comes from the model's YAML config
    (`lookback_days: "{{ var('lookback_days') }}"`), read with a literal `dbt.config.get` in the model file:
    dbt only exposes config keys it sees there.
    """
    if not dbt.is_incremental:
        return FULL_BUILD_CUTOFF
    last_built = scalar(session, f"select max({date_column}) from {dbt.this}")
    if last_built is None:
        return FULL_BUILD_CUTOFF
    import datetime as dt

    last = last_built if isinstance(last_built, dt.date) else dt.date.fromisoformat(str(last_built)[:10])
    return (last - dt.timedelta(days=lookback_days)).isoformat()
