"""Staging on the embedded default: real dbt builds over hand-made Parquet inputs."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from featurestore.generator import append_day
from tests.functional import staging_cases as cases
from tests.functional.conftest import copy_state
from tests.support.dbt import DbtHarness
from tests.support.gold import write_gold, write_table

# Staging and the quarantine counts only: what these tests read. The features built on top are the golden
# tests' business, and building them here would triple the time of each test.
STAGING = ("--select", "+path:models/staging", "+dq_quarantine_reason_counts", "--indirect-selection", "cautious")


def test_quarantine_holds_exactly_the_bad_rows_with_the_first_reason(local_project: DbtHarness) -> None:
    write_gold(local_project.raw_dir, cases.TABLES)
    outcome = local_project.build(*STAGING)
    assert outcome.success, outcome.text

    rows = local_project.query(
        "select source_table, event_id, quarantine_reason from main_staging.stg_gold__quarantined_events"
    )
    assert cases.sort_quarantine(rows) == cases.EXPECTED_QUARANTINE

    run_ids = local_project.query("select distinct run_id from main_staging.stg_gold__quarantined_events")
    assert outcome.results is not None
    assert run_ids == [(outcome.results.invocation_id,)]


def test_valid_rows_are_deduplicated_and_devices_normalised(local_project: DbtHarness) -> None:
    write_gold(local_project.raw_dir, cases.TABLES)
    assert local_project.build(*STAGING).success

    viewing = local_project.query("select event_id, device_type from main_staging.stg_gold__viewing_events")
    assert dict(viewing) == cases.EXPECTED_VIEWING_DEVICES
    assert len(viewing) == len(cases.EXPECTED_VIEWING_DEVICES)  # one row per kept event
    kept = local_project.query(
        "select ingested_at from main_staging.stg_gold__viewing_events where event_id = 'v02'"
    )
    assert str(kept[0][0]) == "2026-03-02 11:00:00"  # the earliest landed copy

    engagement = local_project.query("select event_id from main_staging.stg_gold__engagement_events")
    assert {r[0] for r in engagement} == cases.EXPECTED_ENGAGEMENT_IDS


def test_reason_counts_mart_counts_quarantined_and_duplicates(local_project: DbtHarness) -> None:
    write_gold(local_project.raw_dir, cases.TABLES)
    assert local_project.build(*STAGING).success
    counts = local_project.query(
        "select source_table, reason, sum(row_count) from main_marts.dq_quarantine_reason_counts group by 1, 2"
    )
    by_key = {(t, r): int(n) for t, r, n in counts}
    assert by_key[("viewing_events", "duplicate")] == cases.EXPECTED_DUPLICATES["viewing_events"]
    assert by_key[("engagement_events", "duplicate")] == cases.EXPECTED_DUPLICATES["engagement_events"]
    assert by_key[("viewing_events", "missing_key")] == 4
    assert by_key[("viewing_events", "bad_duration")] == 3
    assert by_key[("engagement_events", "unknown_content")] == 2
    assert sum(n for (_, r), n in by_key.items() if r != "duplicate") == len(cases.EXPECTED_QUARANTINE)


def test_missing_source_column_is_a_clear_error_naming_table_and_column(local_project: DbtHarness) -> None:
    write_gold(local_project.raw_dir, cases.TABLES)
    write_table(local_project.raw_dir, "viewing_events", cases.VIEWING, drop=("watch_seconds",))
    outcome = local_project.build(*STAGING)
    assert not outcome.success
    assert "Gold source table 'viewing_events' is missing required column 'watch_seconds'" in outcome.text
    assert "Traceback" not in outcome.text


def test_empty_event_tables_build_with_zero_rows(local_project: DbtHarness) -> None:
    write_gold(local_project.raw_dir, {k: v for k, v in cases.TABLES.items() if not k.endswith("_events")})
    outcome = local_project.build(*STAGING)
    assert outcome.success, outcome.text
    for relation in ("stg_gold__viewing_events", "stg_gold__engagement_events", "stg_gold__quarantined_events"):
        assert local_project.query(f"select count(*) from main_staging.{relation}") == [(0,)]


def test_missing_table_folder_is_a_clear_error(local_project: DbtHarness) -> None:
    write_gold(local_project.raw_dir, cases.TABLES)
    for file in (local_project.raw_dir / "content").iterdir():
        file.unlink()
    outcome = local_project.build(*STAGING)
    assert not outcome.success
    assert "Gold source table 'content' has no Parquet files" in outcome.text


def test_an_event_from_the_future_is_quarantined_and_later_days_still_load(
    small_published: DbtHarness, tmp_path: Path
) -> None:
    """Regression: one valid-looking event dated 9999 (an upstream clock bug) used to become the newest event
    date, so every later incremental run read only events from 9999 on and skipped new days silently."""
    harness = copy_state(small_published, tmp_path)
    profile_id, content_id = harness.query(
        "select profile_id, content_id from main_staging.stg_gold__viewing_events limit 1")[0]
    future = datetime(9999, 12, 30, 12, tzinfo=timezone.utc)
    (harness.raw_dir / "viewing_events" / "event_date=9999-12-30").mkdir(parents=True)
    write_table(harness.raw_dir, "viewing_events", [{
        "event_id": "from-the-future", "profile_id": profile_id, "content_id": content_id, "event_ts": future,
        "watch_seconds": 600, "device_type": "tv", "ingested_at": future,
    }], file_name="event_date=9999-12-30/part-future.parquet")
    outcome = harness.build()
    assert outcome.success, outcome.text
    assert harness.query("select quarantine_reason from main_staging.stg_gold__quarantined_events "
                         "where event_id = 'from-the-future'") == [("bad_timestamp",)]
    newest = harness.query("select max(event_date) from main_staging.stg_gold__viewing_events")[0][0]

    append_day(harness.raw_dir)
    outcome = harness.build()
    assert outcome.success, outcome.text
    next_day = newest + timedelta(days=1)
    loaded = harness.query("select count(*) from main_staging.stg_gold__viewing_events "
                           f"where event_date = cast('{next_day}' as date)")[0][0]
    assert loaded > 0
    assert harness.query("select max(feature_date) from main_marts.profile_features")[0][0] == next_day
