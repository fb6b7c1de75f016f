"""profile_features_latest on DuckDB reads `profile_features_latest_snapshot`, each profile's newest row of the
feature log, which the publish keeps up to date in its own transaction, rewriting only the profiles it touched
(macros/features/profile_features_latest_snapshot.sql).

The golden history is built as of its last day; then p-main's deletion lands late, dated on the first day the
daily run rebuilds (2026-04-09, with the default look-back of 3 days), so every row p-main had from that day on
leaves the log and nothing replaces it: its newest row must fall back to an older one. After each build the
snapshot must hold exactly the newest log row of every profile, derived here in Python from the log itself.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from tests.functional import golden_cases as golden
from tests.support.dbt import DbtHarness
from tests.support.gold import ts, write_gold

SNAPSHOT = "main_marts.profile_features_latest_snapshot"
FIRST_REBUILT_DAY = date(2026, 4, 9)  # AS_OF (04-12) minus lookback_days (3)


def newest_log_rows(harness: DbtHarness) -> dict[str, tuple[Any, ...]]:
    """Each profile's row with the greatest feature_date in profile_features, by plain Python."""
    log = harness.query("select * from main_marts.profile_features")
    date_index = [c[0] for c in harness.query("describe main_marts.profile_features")].index("feature_date")
    newest: dict[str, tuple[Any, ...]] = {}
    for row in log:
        if row[0] not in newest or row[date_index] > newest[row[0]][date_index]:
            newest[row[0]] = row
    return newest


def snapshot_rows(harness: DbtHarness) -> dict[str, tuple[Any, ...]]:
    rows = harness.query(f"select * from {SNAPSHOT}")
    assert len(rows) == len({row[0] for row in rows}), "one snapshot row per profile"
    return {row[0]: row for row in rows}


def build(harness: DbtHarness) -> None:
    outcome = harness.build("--vars", json.dumps({"as_of_date": golden.AS_OF.isoformat()}))
    assert outcome.success, outcome.text


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory) -> DbtHarness:
    harness = DbtHarness(tmp_path_factory.mktemp("latest-snapshot"))
    tables = golden.gold_tables()
    write_gold(harness.raw_dir, tables)
    build(harness)
    return harness


def test_the_first_publish_writes_each_profiles_newest_row(harness: DbtHarness) -> None:
    assert snapshot_rows(harness) == newest_log_rows(harness)


def test_a_late_deletion_moves_the_profiles_newest_row_back_and_only_live_profiles_are_latest(
    harness: DbtHarness,
) -> None:
    before = harness.query(f"select feature_date from {SNAPSHOT} where profile_id = 'p-main'")
    assert before and before[0][0] >= FIRST_REBUILT_DAY, "p-main's newest row must be on a rebuilt day"

    tables = golden.gold_tables()
    for profile in tables["profiles"]:
        if profile["profile_id"] == "p-main":
            profile["deleted_at"] = ts(f"{FIRST_REBUILT_DAY.isoformat()} 06:00")
    write_gold(harness.raw_dir, tables)
    build(harness)

    snapshot = snapshot_rows(harness)
    assert snapshot == newest_log_rows(harness)
    after = harness.query(f"select feature_date from {SNAPSHOT} where profile_id = 'p-main'")
    assert after and after[0][0] < FIRST_REBUILT_DAY
    latest = {row[0] for row in harness.query("select profile_id from main_marts.profile_features_latest")}
    # live on 04-12: p-kid, p-new (A1), p-idle, p-back (A2); p-gone was deleted in February, p-main now on 04-09
    assert latest == {"p-kid", "p-new", "p-idle", "p-back"}
