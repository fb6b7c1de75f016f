"""Staging fuzzed (issue #12, item 5): random dirty Gold events through real dbt staging on a DuckDB file.

Hypothesis generates the five Gold tables: contract-valid accounts, profiles and content (their own source
tests guard them) with unicode and very long ids, and two event tables full of nulls, unknown and blank keys,
unicode and very long ids, timestamps from year 1 to year 9999 and the int64 extremes DuckDB reads as
+/-infinity, negative and huge durations (some files with a 64-bit `watch_seconds`, out of the contract's
integer range), and event ids repeated with ties on `ingested_at`.

The property: the staging run succeeds, and every input row ends exactly once as kept (`stg_gold__*_events`),
quarantined with exactly one reason (`stg_gold__quarantined_events`) or counted as a duplicate
(`dq_quarantine_reason_counts`). The expected outcome of each row comes from `expected_outcome` below, a small
classifier written from the rules of SOURCES.md ("What bad input gets"), not from the staging SQL.

Each example is one real dbt run (a few seconds), so examples are few and each holds many rows; the run is
derandomized so CI sees the same examples every time. Scope: one full build per example; the incremental
window (lookback) is covered by test_staging_incremental.py.
"""

from __future__ import annotations

import shutil
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.support.dbt import DbtHarness
from tests.support.gold import SCHEMAS

# --- the SOURCES.md rules, restated for the test ---------------------------------------------------------

DEVICE_TYPES = ("tv", "mobile", "web", "tablet")
EVENT_TYPES = ("thumbs_up", "thumbs_down", "add_to_list", "search", "trailer_view")
MAX_WATCH_SECONDS = 86_400
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1

# Timestamps travel as microseconds since the epoch (UTC), as Parquet stores them, so extremes stay exact.
# DuckDB holds timestamps from 290309-12-22 BC to 294247-01-10 AD; it reads the largest int64 as +infinity and
# its negation as -infinity (ordered as such), and any other value outside its range as no timestamp at all.
INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)
DUCKDB_TS_MIN = -9_223_372_022_400_000_000
DUCKDB_TS_MAX = 9_223_372_036_854_775_806
YEAR_1 = -62_135_596_800_000_000
YEAR_9999_END = 253_402_300_799_999_999
MARCH_2026 = 1_772_409_600_000_000  # 2026-03-02 00:00 UTC
HOUR = 3_600_000_000
DAY = 24 * HOUR


def readable_timestamp(micros: int | None) -> int | None:
    if micros is None:
        return None
    return micros if DUCKDB_TS_MIN <= micros <= DUCKDB_TS_MAX or abs(micros) == INT64_MAX else None


def blank(key: str | None) -> bool:
    """Null or empty (blank spaces count as empty: a key of spaces names nothing)."""
    return key is None or key.strip(" ") == ""


@dataclass(frozen=True)
class Reference:
    profiles: dict[str, int | None]  # profile_id -> deleted_at (micros), None while the profile exists
    content: frozenset[str]


def expected_outcome(table: str, row: dict[str, Any], ref: Reference, latest_plausible: int) -> str:
    """'kept' or the quarantine reason of one de-duplicated row: the first rule it breaks, in SOURCES.md's
    order (and README's: an event more than a day after the run started, `latest_plausible`, is a bad timestamp)."""
    if blank(row["event_id"]) or blank(row["profile_id"]):
        return "missing_key"
    if row["profile_id"] not in ref.profiles:
        return "unknown_profile"
    title_needed = table == "viewing_events" or row["event_type"] != "search"
    if title_needed and row["content_id"] not in ref.content:  # a null content_id is not in content
        return "unknown_content"
    if table == "viewing_events":
        seconds = row["watch_seconds"]
        if seconds is None or seconds < 0 or seconds > MAX_WATCH_SECONDS:
            return "bad_duration"
    event_ts, ingested_at = readable_timestamp(row["event_ts"]), readable_timestamp(row["ingested_at"])
    # "later than ingested_at" needs an ingested_at to compare with; an unknown landing time breaks no rule.
    if event_ts is None or (ingested_at is not None and event_ts > ingested_at) or event_ts > latest_plausible:
        return "bad_timestamp"
    if table == "engagement_events" and row["event_type"] not in EVENT_TYPES:
        return "bad_event_type"
    deleted_at = ref.profiles[row["profile_id"]]
    if deleted_at is not None and event_ts > deleted_at:
        return "deleted_profile"
    return "kept"


def normalised_device(device_type: str | None) -> str:
    folded = (device_type or "").strip(" ").lower()
    return folded if folded in DEVICE_TYPES else "other"


# --- strategies -------------------------------------------------------------------------------------------

unicode_text = st.text(max_size=12)
very_long_ids = st.builds(lambda piece, times: piece * times, st.text(min_size=1, max_size=4),
                          st.integers(min_value=200, max_value=3_000))
reference_ids = st.one_of(st.from_regex(r"[a-z][0-9]{1,3}", fullmatch=True), st.text(min_size=1, max_size=12),
                          very_long_ids).filter(lambda key: not blank(key))
blank_ids = st.sampled_from([None, "", " ", "   "])

ordinary_micros = st.integers(min_value=MARCH_2026 - 40 * DAY, max_value=MARCH_2026 + 40 * DAY)
extreme_micros = st.sampled_from([INT64_MAX, -INT64_MAX, INT64_MIN, DUCKDB_TS_MIN - 1, DUCKDB_TS_MIN,
                                  DUCKDB_TS_MAX, DUCKDB_TS_MAX - 1, YEAR_1, YEAR_1 - 1, YEAR_9999_END, 0])
any_micros = st.one_of(ordinary_micros, ordinary_micros,
                       st.integers(min_value=YEAR_1, max_value=YEAR_9999_END), extreme_micros)


@st.composite
def reference_tables(draw: st.DrawFn) -> Reference:
    profile_ids = draw(st.lists(reference_ids, min_size=1, max_size=12, unique=True))
    deleted = st.one_of(st.none(), st.none(), ordinary_micros,
                        st.sampled_from([INT64_MAX, -INT64_MAX, YEAR_1]))
    content_ids = draw(st.lists(reference_ids, min_size=1, max_size=12, unique=True))
    return Reference({key: draw(deleted) for key in profile_ids}, frozenset(content_ids))


def key_of(known: list[str], unknown: st.SearchStrategy[str | None]) -> st.SearchStrategy[str | None]:
    """Mostly a known key, else a blank, unknown, unicode or very long one, or a known one with a stray
    space."""
    near_misses = st.sampled_from(known).map(lambda key: f" {key}")
    return st.one_of(st.sampled_from(known), st.sampled_from(known), st.sampled_from(known), blank_ids,
                     unknown, near_misses)


@st.composite
def event_rows(draw: st.DrawFn, table: str, ref: Reference, wide_seconds: bool) -> list[dict[str, Any]]:
    """Event rows whose ids repeat (some copies landing at the very same ingested_at)."""
    short_ids = st.from_regex(r"e[0-9]{1,3}", fullmatch=True)
    id_pool = draw(st.lists(st.one_of(short_ids, unicode_text, very_long_ids), min_size=1, max_size=25))
    landing_pool = draw(st.lists(any_micros, min_size=1, max_size=4))  # shared values: ties on ingested_at
    event_ids = st.one_of(st.sampled_from(id_pool), st.sampled_from(id_pool), blank_ids, unicode_text)
    profile_ids = key_of(sorted(ref.profiles), st.one_of(unicode_text, very_long_ids))
    content_ids = key_of(sorted(ref.content), st.one_of(st.none(), unicode_text, very_long_ids))
    seconds_range = (INT64_MIN + 1, INT64_MAX) if wide_seconds else (INT32_MIN, INT32_MAX)
    watch_seconds = st.one_of(st.none(), st.integers(0, MAX_WATCH_SECONDS), st.integers(0, MAX_WATCH_SECONDS),
                              st.sampled_from([-1, 0, MAX_WATCH_SECONDS, MAX_WATCH_SECONDS + 1]),
                              st.integers(*seconds_range))
    devices = st.one_of(st.none(), st.sampled_from(DEVICE_TYPES),
                        st.sampled_from([" TV ", "Mobile", "console"]), unicode_text)
    event_types = st.one_of(st.none(), st.sampled_from(EVENT_TYPES), st.sampled_from(EVENT_TYPES),
                            st.sampled_from(["Search", " search", "clap"]), unicode_text)

    rows = []
    for _ in range(draw(st.integers(min_value=20, max_value=150))):
        event_ts = draw(st.one_of(st.none(), any_micros))
        landed_after = st.none()
        if event_ts is not None:  # mostly soon after the event, sometimes (wrongly) before it
            lag = st.one_of(st.integers(min_value=0, max_value=5 * DAY),
                            st.integers(min_value=-DAY, max_value=-1))
            landed_after = st.builds(lambda lag_micros: _clamp(event_ts + lag_micros), lag)
        ingested_at = draw(st.one_of(st.none(), st.sampled_from(landing_pool), any_micros, landed_after))
        row = {"event_id": draw(event_ids), "profile_id": draw(profile_ids), "content_id": draw(content_ids),
               "event_ts": event_ts, "ingested_at": ingested_at}
        if table == "viewing_events":
            row |= {"watch_seconds": draw(watch_seconds), "device_type": draw(devices)}
        else:
            row |= {"event_type": draw(event_types)}
        rows.append(row)
    return rows


def _clamp(micros: int) -> int:
    return max(-INT64_MAX, min(INT64_MAX, micros))


@dataclass
class FuzzedGold:
    ref: Reference
    viewing: list[dict[str, Any]]
    engagement: list[dict[str, Any]]
    wide_seconds: bool


@st.composite
def fuzzed_gold(draw: st.DrawFn) -> FuzzedGold:
    ref = draw(reference_tables())
    wide_seconds = draw(st.booleans())
    return FuzzedGold(ref, draw(event_rows("viewing_events", ref, wide_seconds)),
                      draw(event_rows("engagement_events", ref, wide_seconds)), wide_seconds)


# --- writing the Parquet files ------------------------------------------------------------------------------

TIMESTAMP_COLUMNS = ("event_ts", "ingested_at", "created_at", "deleted_at", "updated_at")


def write_parquet(raw_dir: Path, table: str, rows: list[dict[str, Any]], *,
                  wide_seconds: bool = False) -> None:
    """Rows as one Parquet file in the contract's schema; timestamps (int micros) are written verbatim."""
    schema = SCHEMAS[table]
    if wide_seconds and "watch_seconds" in schema.names:
        schema = schema.set(schema.get_field_index("watch_seconds"), pa.field("watch_seconds", pa.int64()))
    columns = []
    for field in schema:
        values = [row.get(field.name) for row in rows]
        if field.name in TIMESTAMP_COLUMNS:
            columns.append(pa.array(values, type=pa.int64()).cast(field.type))
        else:
            columns.append(pa.array(values, type=field.type))
    folder = raw_dir / table
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_arrays(columns, schema=schema), folder / "part-0.parquet")


def write_fuzzed_gold(raw_dir: Path, gold: FuzzedGold) -> None:
    shutil.rmtree(raw_dir, ignore_errors=True)
    accounts = [{"account_id": "a1", "signup_date": date(2025, 1, 1), "plan_tier": "basic", "country": "US",
                 "status": "active", "updated_at": MARCH_2026}]
    created_at = MARCH_2026 - 400 * DAY
    profiles = [{"profile_id": key, "account_id": "a1", "is_kids": False, "created_at": created_at,
                 "deleted_at": deleted_at} for key, deleted_at in gold.ref.profiles.items()]
    content = [{"content_id": key, "content_type": "movie", "genre": "drama", "duration_seconds": 5400}
               for key in sorted(gold.ref.content)]
    write_parquet(raw_dir, "accounts", accounts)
    write_parquet(raw_dir, "profiles", profiles)
    write_parquet(raw_dir, "content", content)
    write_parquet(raw_dir, "viewing_events", gold.viewing, wide_seconds=gold.wide_seconds)
    write_parquet(raw_dir, "engagement_events", gold.engagement)


# --- reading the outcome back -------------------------------------------------------------------------------


def micros_sql(column: str) -> str:
    """A timestamp as int micros, infinities included (epoch_us() gives null for them)."""
    return (f"case when {column} = 'infinity'::timestamp then {INT64_MAX}"
            f" when {column} = '-infinity'::timestamp then {-INT64_MAX} else epoch_us({column}) end")


def row_key(table: str, row: dict[str, Any]) -> tuple[Any, ...]:
    """What identifies a row in the outputs: its columns as staged (unreadable values read as null)."""
    common = (row["event_id"], row["profile_id"], row["content_id"], readable_timestamp(row["event_ts"]),
              readable_timestamp(row["ingested_at"]))
    if table == "viewing_events":
        seconds = row["watch_seconds"]
        return (*common, seconds if seconds is not None and INT32_MIN <= seconds <= INT32_MAX else None)
    return (*common, row["event_type"])


@dataclass
class Staged:
    kept: dict[str, list[tuple[tuple[Any, ...], str]]]  # table -> (row key, normalised device or event_type)
    quarantined: dict[str, list[tuple[tuple[Any, ...], str]]]  # table -> (row key, reason)
    duplicates: Counter[str]
    reason_counts: Counter[tuple[str, str]]


def read_staged(project: DbtHarness) -> Staged:
    ts = f"{micros_sql('event_ts')}, {micros_sql('ingested_at')}"
    viewing = project.query(f"select event_id, profile_id, content_id, {ts}, watch_seconds, device_type"
                            " from main_staging.stg_gold__viewing_events")
    engagement = project.query(f"select event_id, profile_id, content_id, {ts}, event_type, event_type"
                               " from main_staging.stg_gold__engagement_events")
    quarantine = project.query(
        f"select source_table, event_id, profile_id, content_id, {ts},"
        " case when source_table = 'viewing_events' then cast(watch_seconds as varchar) else event_type end,"
        " quarantine_reason from main_staging.stg_gold__quarantined_events")
    counts = project.query("select source_table, outcome, reason, sum(row_count)"
                           " from main_marts.dq_quarantine_reason_counts group by all")

    quarantined: dict[str, list[tuple[tuple[Any, ...], str]]] = {"viewing_events": [],
                                                                  "engagement_events": []}
    for source_table, *columns, last, reason in quarantine:
        if source_table == "viewing_events" and last is not None:
            last = int(last)
        quarantined[source_table].append(((*columns, last), reason))
    return Staged(
        kept={"viewing_events": [(tuple(r[:6]), r[6]) for r in viewing],
              "engagement_events": [(tuple(r[:6]), r[6]) for r in engagement]},
        quarantined=quarantined,
        duplicates=Counter({t: int(n) for t, outcome, _, n in counts if outcome == "dropped_duplicate"}),
        reason_counts=Counter({(t, r): int(n) for t, outcome, r, n in counts if outcome == "quarantined"}),
    )


# --- the property -------------------------------------------------------------------------------------------

# Staging and the duplicate counts, from scratch (the seeds are loaded once, by the fixture). `run`, not
# `build`: the assertions below are stronger than staging's data tests, and a build doubles the time per
# example.
STAGING_RUN = ("run", "--select", "path:models/staging", "dq_quarantine_reason_counts", "--full-refresh")


@pytest.fixture(scope="module")
def fuzz_project(tmp_path_factory: pytest.TempPathFactory) -> DbtHarness:
    """One project folder and warehouse for every example: seeds loaded once, dbt's parse cache kept; each
    example rebuilds staging from scratch (--full-refresh)."""
    project = DbtHarness(tmp_path_factory.mktemp("staging-fuzz"))
    write_fuzzed_gold(project.raw_dir, FuzzedGold(Reference({"p1": None}, frozenset({"c1"})), [], [], False))
    outcome = project.dbt("seed")
    assert outcome.success, outcome.text
    return project


def short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:40]}...({len(text)} chars)"


def differences(expected: tuple[Any, ...], actual: tuple[Any, ...]) -> dict[int, tuple[str, str]]:
    """Where two row keys differ: position -> (expected, actual), shortened for a readable failure."""
    return {i: (short(e), short(a)) for i, (e, a) in enumerate(zip(expected, actual, strict=True)) if e != a}


def check_table(table: str, rows: list[dict[str, Any]], ref: Reference, staged: Staged, latest_plausible: int) -> None:
    outputs = [(key, "kept", detail) for key, detail in staged.kept[table]]
    outputs += [(key, reason, None) for key, reason in staged.quarantined[table]]

    # Each input row is kept, quarantined or a duplicate: the three add up to the input, nothing more or less.
    assert len(outputs) + staged.duplicates[table] == len(rows), table

    copies: dict[str, list[dict[str, Any]]] = {}
    unkeyed = []
    for row in rows:
        if blank(row["event_id"]):
            unkeyed.append(row)  # never de-duplicated
        else:
            copies.setdefault(row["event_id"], []).append(row)
    assert staged.duplicates[table] == sum(len(group) - 1 for group in copies.values()), table

    by_event_id: dict[str | None, list[tuple[tuple[Any, ...], str, str | None]]] = {}
    for output in outputs:
        by_event_id.setdefault(output[0][0], []).append(output)

    for event_id, group in copies.items():
        landed = [readable_timestamp(row["ingested_at"]) for row in group]
        earliest = min((at for at in landed if at is not None), default=None)
        candidates = [row for row, at in zip(group, landed, strict=True) if at == earliest]
        survivors = by_event_id.get(event_id, [])
        assert len(survivors) == 1, f"{table}: event_id {event_id!r} kept {len(survivors)} times, not once"
        (key, outcome, detail), = survivors
        matching = [row for row in candidates if row_key(table, row) == key]
        assert matching, (f"{table}: the copy kept of {short(event_id)} is not one that landed first:"
                          f" {[differences(row_key(table, row), key) for row in candidates]}")
        assert outcome == expected_outcome(table, matching[0], ref, latest_plausible), (table, key)
        if outcome == "kept" and table == "viewing_events":
            assert detail == normalised_device(matching[0]["device_type"]), (table, key)

    expected_unkeyed = Counter((row_key(table, row), "missing_key") for row in unkeyed)
    actual_unkeyed = Counter((key, outcome) for key, outcome, _ in outputs if blank(key[0]))
    assert actual_unkeyed == expected_unkeyed, table

    reasons = Counter(reason for _, reason in staged.quarantined[table])
    assert reasons == Counter({r: n for (t, r), n in staged.reason_counts.items() if t == table}), table


# No shrinking: each attempt is a dbt build, and a shrink would take many minutes; the failing example is
# printed whole instead (and reproduces: the examples are derandomized).
@settings(max_examples=8, deadline=None, derandomize=True, database=None,
          phases=(Phase.explicit, Phase.generate),
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.large_base_example])
@given(gold=fuzzed_gold())
def test_every_fuzzed_row_is_kept_quarantined_or_a_duplicate_exactly_once(fuzz_project: DbtHarness,
                                                                          gold: FuzzedGold) -> None:
    write_fuzzed_gold(fuzz_project.raw_dir, gold)
    # dbt's run starts after this instant: a line drawn from it is at most the run's few seconds early.
    latest_plausible = int((datetime.now(timezone.utc) + timedelta(days=1)).timestamp() * 1_000_000)
    outcome = fuzz_project.dbt(*STAGING_RUN)
    assert outcome.success, outcome.text

    staged = read_staged(fuzz_project)
    check_table("viewing_events", gold.viewing, gold.ref, staged, latest_plausible)
    check_table("engagement_events", gold.engagement, gold.ref, staged, latest_plausible)
