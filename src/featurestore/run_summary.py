"""The closing summary of `featurestore run`: what this run did, stage by stage.

- **Stages**: wall time of each step of the run (sample generation, `dbt build`, the Redis sync) and, inside the build, dbt's own time per layer (staging, intermediate, each marts folder, data tests),
  summed over nodes (dbt runs two at a time, so the layers add up to more than the build's wall time).
- **Dates built**: the feature dates the published log was rebuilt for.
- **Rows written per model**: every incremental model replaces whole dates (delete+insert on its date key,
  ADR 0002) from its newest date before the run minus `lookback_days`, so the rows it wrote are the rows it
  now holds from that cutoff on, or from its newest date for the daily consumer marts that replace only that
  date (`meta: {replaces_dates: newest}` in dbt_project.yml); a table model writes all its rows; a view writes
  none. The newest dates are read before the build (`date_watermarks`), so the cutoff is the one the models
  used.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb

from featurestore.run_results import RunResults
from featurestore.warehouse import Warehouse

DATE_KEYS = ("feature_date", "event_date")
PUBLISHED_RELATION = "main_marts.profile_features"


@dataclass
class Stage:
    name: str
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)  # what the stage did, added while or after it runs

    @property
    def outcome(self) -> str:
        return "; ".join(self.notes)


@dataclass
class StageClock:
    """Wall time of each stage of one run, in the order they ran."""

    stages: list[Stage] = field(default_factory=list)

    @contextmanager
    def stage(self, name: str, *notes: str) -> Iterator[Stage]:
        current = Stage(name, notes=list(notes))
        started = time.perf_counter()
        try:
            yield current
        finally:
            current.seconds = time.perf_counter() - started
            self.stages.append(current)

    @property
    def total_seconds(self) -> float:
        return sum(stage.seconds for stage in self.stages)


@dataclass(frozen=True)
class ModelRows:
    relation: str
    materialized: str
    rows: int | None  # None for views
    since: date | None  # the cutoff of an incremental run, None when every row was (re)written


@dataclass(frozen=True)
class BuiltDates:
    first: date
    last: date
    count: int


def date_keyed_relations(warehouse: Warehouse) -> list[tuple[str, str]]:
    """(schema.table, date column) of every table keyed by a date, as the models' unique keys are."""
    names = ", ".join(f"'{key}'" for key in DATE_KEYS)
    rows = warehouse.query(
        "select c.table_schema, c.table_name, c.column_name from information_schema.columns c "
        "join information_schema.tables t using (table_catalog, table_schema, table_name) "
        f"where t.table_type = 'BASE TABLE' and c.column_name in ({names}) order by 1, 2"
    )
    return [(f"{schema}.{table}", str(column)) for schema, table, column in rows]


def date_watermarks(duckdb_path: Path) -> dict[str, date | None]:
    """Newest date of each date-keyed table before a build ({} for a new warehouse)."""
    if not duckdb_path.is_file():
        return {}
    warehouse = Warehouse(duckdb_path)
    marks: dict[str, date | None] = {}
    for relation, column in date_keyed_relations(warehouse):
        marks[relation] = _newest(warehouse, relation, column)
    return marks


def load_manifest(target_dir: Path) -> dict[str, Any]:
    """dbt's manifest.json, parsed once per version of the file (the summary reads it twice)."""
    path = target_dir / "manifest.json"
    return _parsed_json(path, path.stat().st_mtime_ns)


@functools.lru_cache(maxsize=2)
def _parsed_json(path: Path, mtime_ns: int) -> dict[str, Any]:
    return json.loads(path.read_text())  # type: ignore[no-any-return]


@dataclass(frozen=True)
class BuiltModel:
    relation: str  # schema.table
    materialized: str
    unique_key: str | None
    replaces_newest_date_only: bool


def built_models(target_dir: Path, results: RunResults) -> list[BuiltModel]:
    """Each model this invocation built successfully, in the order dbt finished them."""
    manifest = load_manifest(target_dir)
    built = [n.unique_id for n in results.nodes if n.resource_type == "model" and n.status == "success"]
    models = []
    for unique_id in built:
        node = manifest["nodes"].get(unique_id)
        if node is None:
            continue
        config = node["config"]
        models.append(BuiltModel(
            relation=f"{node['schema']}.{node.get('alias') or node['name']}",
            materialized=str(config.get("materialized")),
            unique_key=config.get("unique_key"),
            replaces_newest_date_only=(config.get("meta") or {}).get("replaces_dates") == "newest",
        ))
    return models


def rows_written(
    duckdb_path: Path, target_dir: Path, results: RunResults, before: dict[str, date | None], *,
    lookback_days: int, full_refresh: bool,
) -> list[ModelRows]:
    """Rows each model of this run wrote (see the module docstring); `lookback_days` and `full_refresh` as the
    build ran (featurestore.online.sync reads both from its run_results.json and dbt_project.yml)."""
    warehouse = Warehouse(duckdb_path)
    lookback = timedelta(days=lookback_days)
    written = []
    for model in built_models(target_dir, results):
        relation, materialized, key = model.relation, model.materialized, model.unique_key
        if materialized == "view":
            written.append(ModelRows(relation, materialized, None, None))
            continue
        since = None
        if materialized == "incremental" and key in DATE_KEYS and not full_refresh:
            newest_before = before.get(relation)
            if model.replaces_newest_date_only and newest_before is not None:
                since = _newest(warehouse, relation, key)
            elif newest_before is not None:
                since = newest_before - lookback
        where = f" where {key} >= cast('{since.isoformat()}' as date)" if since is not None else ""
        try:
            rows = int(warehouse.query(f"select count(*) from {relation}{where}")[0][0])  # type: ignore[arg-type]
        except duckdb.CatalogException:
            continue
        written.append(ModelRows(relation, materialized, rows, since))
    return written


def _newest(warehouse: Warehouse, relation: str, column: str) -> date | None:
    value = warehouse.query(f"select max({column}) from {relation}")[0][0]
    return value if isinstance(value, date) else None


def published_dates(rows: list[ModelRows], duckdb_path: Path) -> BuiltDates | None:
    """The feature dates the published log was rebuilt for by this run; None if it was not built."""
    published = next((r for r in rows if r.relation == PUBLISHED_RELATION), None)
    if published is None:
        return None
    where = f" where feature_date >= cast('{published.since.isoformat()}' as date)" if published.since else ""
    first, last, count = Warehouse(duckdb_path).query(
        f"select min(feature_date), max(feature_date), count(distinct feature_date) from {PUBLISHED_RELATION}{where}"
    )[0]
    if not isinstance(first, date) or not isinstance(last, date):
        return None
    return BuiltDates(first, last, int(count))  # type: ignore[call-overload]


def layer_of(unique_id: str, manifest_nodes: dict[str, dict[str, object]]) -> str:
    """The summary line a node's time counts under: its models folder (marts split by subfolder), or its
    resource type for tests, seeds and snapshots."""
    resource_type = unique_id.split(".", 1)[0]
    if resource_type in ("test", "unit_test"):
        return "data tests"
    if resource_type == "operation":
        return "hooks"
    if resource_type != "model":
        return f"{resource_type}s"
    node = manifest_nodes.get(unique_id, {})
    parts = str(node.get("original_file_path", "")).split("/")
    if len(parts) > 2 and parts[1] == "marts":
        return f"marts/{parts[2]}" if len(parts) > 3 else "marts"
    return parts[1] if len(parts) > 2 else "models"


def layer_seconds(target_dir: Path, results: RunResults) -> dict[str, float]:
    """dbt's execution time summed per layer, in build order of first appearance."""
    manifest = load_manifest(target_dir)
    nodes = {**manifest.get("nodes", {}), **manifest.get("unit_tests", {})}
    seconds: dict[str, float] = {}
    for node in results.nodes:
        if node.resource_type == "exposure":  # a node in the graph, not work
            continue
        layer = layer_of(node.unique_id, nodes)
        seconds[layer] = seconds.get(layer, 0.0) + node.seconds
    return seconds
