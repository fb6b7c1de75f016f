"""Everything the quality report shows, loaded into plain dataclasses.

Sources: the DuckDB warehouse of the `local` target (feature quality history, quarantine counts, published
rows) and dbt's `run_results.json`. Missing tables degrade to notes on the page; a missing warehouse file or
missing/unreadable dbt results raise `ReportInputError` (the CLI turns it into exit code 2).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import duckdb

from featurestore.catalog import CATEGORIES
from featurestore.run_results import NodeResult, RunResults
from featurestore.warehouse import open_for_writing

HISTORY_RELATION = "main_marts.dq_feature_quality_history"
QUARANTINE_RELATION = "main_marts.dq_quarantine_reason_counts"
PUBLISHED_RELATION = "main_marts.profile_features"
CATALOG_RELATION = "main_reference.feature_catalog"

#: Category order of the feature catalog; categories not listed there follow, alphabetically.
CATEGORY_ORDER = CATEGORIES
DRIFT_STATUSES = ("ok", "warn", "error")
TEST_RESOURCE_TYPES = ("test", "unit_test")
FAILED_STATUSES = frozenset({"fail", "error", "runtime error"})
_TEST_HASH = re.compile(r"[0-9a-f]{10}")

_HISTORY_COLUMNS = (
    "feature_date",
    "feature_name",
    "category",
    "data_type",
    "row_count",
    "null_count",
    "null_rate",
    "min_value",
    "max_value",
    "mean_value",
    "stddev_value",
    "p01",
    "p50",
    "p99",
    "top_categories",
    "null_rate_change",
    "mean_shift_stddevs",
    "psi",
    "drift_status",
)


class ReportInputError(Exception):
    """An input of the report is missing or unreadable; the message says which and what to do."""


# --------------------------------------------------------------------------------------------- features


@dataclass(frozen=True)
class CategoryShare:
    """One of the most frequent values of a string/boolean feature on one day."""

    value: str
    share: float


@dataclass(frozen=True)
class FeatureDay:
    """The profile of one feature on one feature_date, with its drift scores against the trailing days."""

    feature_date: date
    row_count: int
    null_count: int
    null_rate: float | None
    min_value: float | None
    max_value: float | None
    mean_value: float | None
    stddev_value: float | None
    p01: float | None
    p50: float | None
    p99: float | None
    top_categories: tuple[CategoryShare, ...]
    null_rate_change: float | None
    mean_shift_stddevs: float | None
    psi: float | None
    drift_status: str

    @property
    def flagged(self) -> bool:
        return self.drift_status in {"warn", "error"}


@dataclass(frozen=True)
class FeatureHistory:
    """One feature over all its feature dates (oldest first)."""

    name: str
    category: str
    data_type: str
    days: tuple[FeatureDay, ...]
    definition: str | None = None
    window: str | None = None

    @property
    def latest(self) -> FeatureDay:
        return self.days[-1]

    @property
    def status(self) -> str:
        """Drift status of the latest feature date: ok, warn or error."""
        return self.latest.drift_status

    @property
    def is_categorical(self) -> bool:
        return self.data_type in {"string", "boolean"}

    @property
    def flagged_days(self) -> list[FeatureDay]:
        return [d for d in self.days if d.flagged]


@dataclass(frozen=True)
class CategoryGroup:
    name: str
    features: list[FeatureHistory]

    @property
    def anchor(self) -> str:
        return f"cat-{_slug(self.name)}"

    def count(self, status: str) -> int:
        return sum(1 for f in self.features if f.status == status)


# --------------------------------------------------------------------------------------------- run


@dataclass(frozen=True)
class NodeOutcome:
    """A dbt node of interest (a test, or any node that errored) with a readable name."""

    unique_id: str
    name: str
    resource_type: str
    status: str
    message: str | None


@dataclass(frozen=True)
class RunInfo:
    """What the last dbt invocation did, from run_results.json."""

    invocation_id: str
    command: str
    target: str | None
    elapsed_seconds: float
    generated_at: datetime | None
    tests_passed: int
    tests_warned: list[NodeOutcome]
    tests_failed: list[NodeOutcome]
    tests_skipped: int
    node_errors: list[NodeOutcome]
    by_type: dict[str, dict[str, int]]

    @property
    def nodes_built(self) -> int:
        """Models, seeds, snapshots, ... (not tests) that dbt ran successfully."""
        return sum(
            counts.get("success", 0)
            for kind, counts in self.by_type.items()
            if kind not in TEST_RESOURCE_TYPES
        )

    @property
    def tests_total(self) -> int:
        return self.tests_passed + len(self.tests_warned) + len(self.tests_failed) + self.tests_skipped


@dataclass(frozen=True)
class QuarantineCount:
    source_table: str
    outcome: str
    reason: str
    reason_precedence: int | None
    rows: int
    last_seen_run_id: str | None
    in_this_run: bool


@dataclass(frozen=True)
class ReportData:
    """Everything on the page."""

    generated_at: datetime
    warehouse: Path
    run: RunInfo
    rows_total: int | None
    rows_latest: int | None
    latest_published_date: date | None
    quarantine: list[QuarantineCount]
    features: list[FeatureHistory]
    notes: list[str] = field(default_factory=list)
    history_available: bool = False

    @property
    def latest_feature_date(self) -> date | None:
        dates = [f.latest.feature_date for f in self.features]
        return max(dates) if dates else self.latest_published_date

    @property
    def categories(self) -> list[CategoryGroup]:
        groups: dict[str, list[FeatureHistory]] = {}
        for feature in self.features:
            groups.setdefault(feature.category, []).append(feature)
        return [CategoryGroup(name, groups[name]) for name in sorted(groups, key=_category_key)]

    @property
    def drift_counts(self) -> Counter[str]:
        return Counter(f.status for f in self.features)

    @property
    def quarantined_rows(self) -> int:
        return sum(q.rows for q in self.quarantine if q.in_this_run and q.outcome == "quarantined")

    @property
    def duplicate_rows(self) -> int:
        return sum(q.rows for q in self.quarantine if q.in_this_run and q.outcome != "quarantined")

    @property
    def status(self) -> str:
        """Overall health: error (failed tests/nodes or drift errors), warn, or ok."""
        drift = self.drift_counts
        if self.run.tests_failed or self.run.node_errors or drift["error"]:
            return "error"
        if self.run.tests_warned or drift["warn"] or not self.history_available:
            return "warn"
        return "ok"

    @property
    def status_reasons(self) -> list[str]:
        drift = self.drift_counts
        reasons = []
        if self.run.tests_failed:
            reasons.append(_plural(len(self.run.tests_failed), "failed test"))
        if self.run.node_errors:
            reasons.append(_plural(len(self.run.node_errors), "node error"))
        if drift["error"]:
            reasons.append(_plural(drift["error"], "drift error"))
        if self.run.tests_warned:
            reasons.append(_plural(len(self.run.tests_warned), "test warning"))
        if drift["warn"]:
            reasons.append(_plural(drift["warn"], "drift warning"))
        if not self.history_available:
            reasons.append("no feature quality history")
        return reasons or ["all tests passed, no drift flags"]


# --------------------------------------------------------------------------------------------- loading


def load_report_data(warehouse: Path, target_dir: Path) -> ReportData:
    """Read the warehouse and dbt's results; raise ReportInputError when either is missing or unreadable."""
    run = load_run_info(target_dir)
    if not warehouse.is_file():
        raise ReportInputError(f"No warehouse at {warehouse}: run `featurestore run` (or `dbt build`) first.")
    notes: list[str] = []
    try:
        with open_for_writing(warehouse) as con:  # `report` is a writer (its lock); waits for readers
            relations = _relations(con)
            rows_total, rows_latest, latest_published = _published_rows(con, relations, notes)
            quarantine = _quarantine(con, relations, run.invocation_id, notes)
            features, history_available = _features(con, relations, notes)
    except duckdb.Error as exc:
        raise ReportInputError(f"Cannot read the warehouse {warehouse}: {exc}") from exc
    return ReportData(
        generated_at=datetime.now(timezone.utc),
        warehouse=warehouse,
        run=run,
        rows_total=rows_total,
        rows_latest=rows_latest,
        latest_published_date=latest_published,
        quarantine=quarantine,
        features=features,
        notes=notes,
        history_available=history_available,
    )


def load_run_info(target_dir: Path) -> RunInfo:
    try:
        results = RunResults.load(target_dir)
        raw = json.loads((target_dir / "run_results.json").read_text())
    except FileNotFoundError as exc:
        raise ReportInputError(str(exc)) from exc
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ReportInputError(
            f"Cannot read dbt results in {target_dir / 'run_results.json'}: {exc!r}"
        ) from exc
    generated_at = _parse_timestamp(raw.get("metadata", {}).get("generated_at"))

    tests = [n for n in results.nodes if n.resource_type in TEST_RESOURCE_TYPES]
    return RunInfo(
        invocation_id=results.invocation_id,
        command=results.command,
        target=results.target,
        elapsed_seconds=results.elapsed_seconds,
        generated_at=generated_at,
        tests_passed=sum(1 for n in tests if n.status == "pass"),
        tests_warned=[_outcome(n) for n in tests if n.status == "warn"],
        tests_failed=[_outcome(n) for n in tests if n.status in FAILED_STATUSES],
        tests_skipped=sum(1 for n in tests if n.status == "skipped"),
        node_errors=[
            _outcome(n)
            for n in results.nodes
            if n.resource_type not in TEST_RESOURCE_TYPES and n.status in FAILED_STATUSES
        ],
        by_type={kind: dict(counts) for kind, counts in sorted(results.by_type().items())},
    )


def display_test_name(unique_id: str) -> str:
    """`test.featurestore.not_null_x_id.5e1f2a3b4c` -> `not_null_x_id`; unit tests keep `model.test`."""
    parts = unique_id.split(".")
    if len(parts) >= 4 and _TEST_HASH.fullmatch(parts[-1]):
        parts = parts[:-1]
    return ".".join(parts[2:]) if len(parts) >= 3 else unique_id


def parse_top_categories(text: str | None) -> tuple[CategoryShare, ...]:
    """The JSON array text of `top_categories`; anything unreadable counts as empty."""
    if not text:
        return ()
    try:
        items = json.loads(text)
    except ValueError:
        return ()
    shares = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict) or item.get("share") is None:
            continue
        value = item.get("value")
        try:
            share = float(item["share"])
        except (TypeError, ValueError):
            continue
        shares.append(CategoryShare("(null)" if value is None else _value_text(value), share))
    return tuple(sorted(shares, key=lambda s: -s.share))


def _value_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _outcome(node: NodeResult) -> NodeOutcome:
    return NodeOutcome(
        unique_id=node.unique_id,
        name=display_test_name(node.unique_id),
        resource_type=node.resource_type,
        status=node.status,
        message=node.message,
    )


def _relations(con: duckdb.DuckDBPyConnection) -> set[str]:
    rows = con.execute("select table_schema, table_name from information_schema.tables").fetchall()
    return {f"{schema}.{name}".lower() for schema, name in rows}


def _published_rows(
    con: duckdb.DuckDBPyConnection, relations: set[str], notes: list[str]
) -> tuple[int | None, int | None, date | None]:
    if PUBLISHED_RELATION not in relations:
        notes.append(f"`{PUBLISHED_RELATION}` does not exist yet: no published row counts.")
        return None, None, None
    total, latest = con.execute(f"select count(*), max(feature_date) from {PUBLISHED_RELATION}").fetchone()  # type: ignore[misc]
    on_latest = None
    if latest is not None:
        on_latest = con.execute(
            f"select count(*) from {PUBLISHED_RELATION} where feature_date = ?", [latest]
        ).fetchone()[0]  # type: ignore[index]
    return int(total), None if on_latest is None else int(on_latest), latest


def _quarantine(
    con: duckdb.DuckDBPyConnection, relations: set[str], run_id: str, notes: list[str]
) -> list[QuarantineCount]:
    if QUARANTINE_RELATION not in relations:
        notes.append(f"`{QUARANTINE_RELATION}` does not exist yet: no quarantine counts.")
        return []
    rows = con.execute(
        f"""
        select source_table, outcome, reason, min(reason_precedence), last_seen_run_id, sum(row_count)
        from {QUARANTINE_RELATION}
        group by source_table, outcome, reason, last_seen_run_id
        order by source_table, outcome desc, min(reason_precedence), reason
        """
    ).fetchall()
    counts = [
        QuarantineCount(
            source_table=str(table),
            outcome=str(outcome),
            reason=str(reason),
            reason_precedence=None if precedence is None else int(precedence),
            rows=int(rows_ or 0),
            last_seen_run_id=None if seen is None else str(seen),
            in_this_run=seen == run_id,
        )
        for table, outcome, reason, precedence, seen, rows_ in rows
    ]
    if counts and not any(c.in_this_run for c in counts):
        notes.append(
            "No quarantine counts belong to the dbt invocation in run_results.json "
            f"({run_id[:8]}…): the table shows the counts of the runs that last processed each source."
        )
    return counts


def _features(
    con: duckdb.DuckDBPyConnection, relations: set[str], notes: list[str]
) -> tuple[list[FeatureHistory], bool]:
    if HISTORY_RELATION not in relations:
        notes.append(
            f"`{HISTORY_RELATION}` does not exist yet (build it with `dbt build`): "
            "the page shows the run summary only, no per-feature history or drift."
        )
        return [], False
    try:
        cursor = con.execute(
            f"select {', '.join(_HISTORY_COLUMNS)} from {HISTORY_RELATION} "
            "where feature_name is not null and feature_date is not null "
            "order by feature_name, feature_date"
        )
    except duckdb.BinderException as exc:
        notes.append(f"`{HISTORY_RELATION}` lacks expected columns, no per-feature section: {exc}")
        return [], False
    by_feature: dict[str, list[tuple[Any, ...]]] = {}
    for row in cursor.fetchall():
        by_feature.setdefault(str(row[1]), []).append(row)
    catalog = _catalog(con, relations)
    features = []
    for name, rows in by_feature.items():
        last = rows[-1]
        definition, window, order = catalog.get(name, (None, None, len(catalog)))
        features.append(
            (
                order,
                FeatureHistory(
                    name=name,
                    category=str(last[2] or "uncategorised"),
                    data_type=str(last[3] or "?").lower(),
                    days=tuple(_feature_day(r) for r in rows),
                    definition=definition,
                    window=window,
                ),
            )
        )
    features.sort(key=lambda item: (_category_key(item[1].category), item[0], item[1].name))
    if not features:
        notes.append(f"`{HISTORY_RELATION}` is empty: no per-feature history or drift.")
    return [f for _, f in features], bool(features)


def _catalog(
    con: duckdb.DuckDBPyConnection, relations: set[str]
) -> dict[str, tuple[str | None, str | None, int]]:
    """Definition, window and catalog position per feature name, when the catalog seed is in the warehouse."""
    if CATALOG_RELATION not in relations:
        return {}
    try:
        rows = con.execute(f'select feature_name, definition, "window" from {CATALOG_RELATION}').fetchall()
    except duckdb.Error:
        return {}
    return {str(name): (definition, window, i) for i, (name, definition, window) in enumerate(rows)}


def _feature_day(row: tuple[Any, ...]) -> FeatureDay:
    values = dict(zip(_HISTORY_COLUMNS, row, strict=True))
    status = str(values["drift_status"] or "ok").lower()
    return FeatureDay(
        feature_date=values["feature_date"],
        row_count=int(values["row_count"] or 0),
        null_count=int(values["null_count"] or 0),
        null_rate=_float(values["null_rate"]),
        min_value=_float(values["min_value"]),
        max_value=_float(values["max_value"]),
        mean_value=_float(values["mean_value"]),
        stddev_value=_float(values["stddev_value"]),
        p01=_float(values["p01"]),
        p50=_float(values["p50"]),
        p99=_float(values["p99"]),
        top_categories=parse_top_categories(values["top_categories"]),
        null_rate_change=_float(values["null_rate_change"]),
        mean_shift_stddevs=_float(values["mean_shift_stddevs"]),
        psi=_float(values["psi"]),
        drift_status=status if status in DRIFT_STATUSES else "ok",
    )


def _float(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return None if number != number else number  # NaN -> None


def _parse_timestamp(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _category_key(category: str) -> tuple[int, str]:
    return (CATEGORY_ORDER.index(category) if category in CATEGORY_ORDER else len(CATEGORY_ORDER), category)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9_]+", "-", text.lower()).strip("-") or "x"


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
