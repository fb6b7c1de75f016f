"""Staging on the embedded default: real dbt builds over hand-made Parquet inputs."""

from __future__ import annotations

from tests.functional import staging_cases as cases
from tests.support.dbt import DbtHarness
from tests.support.gold import write_gold, write_table


def test_quarantine_holds_exactly_the_bad_rows_with_the_first_reason(local_project: DbtHarness) -> None:
    write_gold(local_project.raw_dir, cases.TABLES)
    outcome = local_project.build()
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
    assert local_project.build().success

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
    assert local_project.build().success
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
    outcome = local_project.build()
    assert not outcome.success
    assert "Gold source table 'viewing_events' is missing required column 'watch_seconds'" in outcome.text
    assert "Traceback" not in outcome.text


def test_empty_event_tables_build_with_zero_rows(local_project: DbtHarness) -> None:
    write_gold(local_project.raw_dir, {k: v for k, v in cases.TABLES.items() if not k.endswith("_events")})
    outcome = local_project.build()
    assert outcome.success, outcome.text
    for relation in ("stg_gold__viewing_events", "stg_gold__engagement_events", "stg_gold__quarantined_events"):
        assert local_project.query(f"select count(*) from main_staging.{relation}") == [(0,)]


def test_missing_table_folder_is_a_clear_error(local_project: DbtHarness) -> None:
    write_gold(local_project.raw_dir, cases.TABLES)
    for file in (local_project.raw_dir / "content").iterdir():
        file.unlink()
    outcome = local_project.build()
    assert not outcome.success
    assert "Gold source table 'content' has no Parquet files" in outcome.text
