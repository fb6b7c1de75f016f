"""Day-by-day incremental builds give exactly the full-refresh result, late events included."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest

from tests.functional import golden_cases as golden
from tests.support.dbt import DbtHarness
from tests.support.gold import write_gold, write_table

# p-back's play of 2026-04-10 lands two days late, p-kid's play of 2026-04-06 three days late: both inside the
# default look-back of 3 days, so the scheduled runs must correct the dates they already built.
LATE = {
    golden.PLAYS.index(("p-back", "2026-04-10 20:00", "m-drama", 6000, "tv")): timedelta(days=2),
    golden.PLAYS.index(("p-kid", "2026-04-06 17:00", "m-kids", 3600, "tablet")): timedelta(days=3),
}
FIRST_DAY = date(2026, 4, 2)
# The data tests judge data, and the other tests run them; here they would be 40% of each of the thirteen
# builds. The last daily build and the full refresh keep them, so both ends pass the publish gate.
MODELS_ONLY = ("--exclude-resource-type", "test", "--exclude-resource-type", "unit_test")


def write_landed_until(harness: DbtHarness, tables: dict[str, list[dict[str, Any]]], day: date) -> None:
    """Gold as it stood at the end of `day`: only events that had landed by then, one file per landing day."""
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=timezone.utc)
    write_gold(harness.raw_dir, {k: v for k, v in tables.items() if not k.endswith("_events")})
    for table in ("viewing_events", "engagement_events"):
        landed = [row for row in tables[table] if row["ingested_at"] < end]
        write_table(harness.raw_dir, table, landed, file_name="part-0.parquet")


def log_rows(harness: DbtHarness) -> list[tuple[Any, ...]]:
    return harness.query("select * from main_marts.profile_features order by profile_id, feature_date")


def build_as_of(harness: DbtHarness, day: date, *extra: str) -> None:
    outcome = harness.build("--vars", json.dumps({"as_of_date": day.isoformat()}), *extra)
    assert outcome.success, outcome.text


@pytest.mark.parametrize("lookback", [3])
def test_day_by_day_history_equals_one_full_refresh(tmp_path_factory: pytest.TempPathFactory, lookback: int) -> None:
    tables = golden.gold_tables(landing_delay=LATE)

    daily = DbtHarness(tmp_path_factory.mktemp("daily"))
    write_landed_until(daily, tables, FIRST_DAY)
    build_as_of(daily, FIRST_DAY, *MODELS_ONLY)
    day = FIRST_DAY
    while day < golden.AS_OF:
        day += timedelta(days=1)
        write_landed_until(daily, tables, day)
        build_as_of(daily, day, *(MODELS_ONLY if day < golden.AS_OF else ()))
        if day == date(2026, 4, 11):
            # p-back's 04-10 play has not landed yet: the 04-10 row does not count it.
            assert daily.query(
                "select watch_minutes_1d from main_marts.profile_features "
                "where profile_id = 'p-back' and feature_date = '2026-04-10'"
            ) in ([], [(0.0,)])

    late_row = daily.query(
        "select watch_minutes_1d from main_marts.profile_features "
        "where profile_id = 'p-back' and feature_date = '2026-04-10'"
    )
    assert late_row == [(100.0,)]  # corrected when it landed on 04-12

    full = DbtHarness(tmp_path_factory.mktemp("full"))
    write_landed_until(full, tables, golden.AS_OF + timedelta(days=5))
    build_as_of(full, golden.AS_OF, "--full-refresh")

    daily_rows, full_rows = log_rows(daily), log_rows(full)
    assert len(daily_rows) == len(full_rows)
    assert daily_rows == full_rows
