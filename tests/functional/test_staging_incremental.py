"""Incremental staging: late arrivals inside the look-back are absorbed, older ones wait for a backfill."""

from __future__ import annotations

from tests.functional import staging_cases as cases
from tests.functional.test_staging_local import STAGING
from tests.support.dbt import DbtHarness
from tests.support.gold import ts, write_gold, write_table


def _play(event_id: str, day: str, ingested: str) -> dict[str, object]:
    return {"event_id": event_id, "profile_id": "p1", "content_id": "c1", "event_ts": ts(f"{day} 20:00"),
            "watch_seconds": 60, "device_type": "tv", "ingested_at": ts(ingested)}


def test_late_events_inside_lookback_are_picked_up(local_project: DbtHarness) -> None:
    days = [f"2026-03-{n:02d}" for n in range(1, 11)]
    first = [_play(f"e{n}", day, f"{day} 21:00") for n, day in enumerate(days, start=1)]
    write_gold(local_project.raw_dir, {**cases.TABLES, "viewing_events": first, "engagement_events": []})
    assert local_project.build(*STAGING).success

    # Land on 2026-03-11: a late play of 03-08 (inside 3 look-back days of 03-10), a late play of 03-01
    # (outside), a later duplicate of e9 (must stay de-duplicated) and the new day's own play.
    landed = "2026-03-11 06:00"
    write_table(local_project.raw_dir, "viewing_events", [
        _play("late-inside", "2026-03-08", landed),
        _play("late-outside", "2026-03-01", landed),
        _play("e9", "2026-03-09", landed),
        _play("e11", "2026-03-11", "2026-03-11 21:00"),
    ], file_name="landed-2026-03-11.parquet")
    assert local_project.build(*STAGING).success

    ids = {r[0] for r in local_project.query("select event_id from main_staging.stg_gold__viewing_events")}
    assert ids == {f"e{n}" for n in range(1, 12)} | {"late-inside"}
    e9 = local_project.query(
        "select count(*), min(ingested_at) from main_staging.stg_gold__viewing_events where event_id = 'e9'"
    )
    assert e9[0][0] == 1 and str(e9[0][1]) == "2026-03-09 21:00:00"

    # An explicit full refresh (the backfill) picks up the old late event too.
    assert local_project.build("--full-refresh", *STAGING).success
    ids = {r[0] for r in local_project.query("select event_id from main_staging.stg_gold__viewing_events")}
    assert "late-outside" in ids
