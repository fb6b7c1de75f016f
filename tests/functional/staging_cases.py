"""One hand-made Gold dataset that exercises every staging rule, with its expected outcome worked out by hand.

Every event happens on 2026-03-02 (UTC). Profile p2 is deleted at 12:00 that day; p9 and c9 do not exist.
"""

from __future__ import annotations

from typing import Any

from tests.support.gold import d, ts

ACCOUNTS = [
    {"account_id": "a1", "signup_date": d("2025-12-01"), "plan_tier": "basic", "country": "US",
     "status": "active", "updated_at": ts("2025-12-01 00:00")},
    {"account_id": "a2", "signup_date": d("2026-01-15"), "plan_tier": "premium", "country": "GB",
     "status": "active", "updated_at": ts("2026-01-15 00:00")},
]
PROFILES = [
    {"profile_id": "p1", "account_id": "a1", "is_kids": False, "created_at": ts("2025-12-01 08:00")},
    {"profile_id": "p2", "account_id": "a1", "is_kids": False, "created_at": ts("2025-12-02 08:00"),
     "deleted_at": ts("2026-03-02 12:00")},
    {"profile_id": "p3", "account_id": "a2", "is_kids": True, "created_at": ts("2026-01-15 09:00")},
]
CONTENT = [
    {"content_id": "c1", "content_type": "movie", "series_id": None, "genre": "drama",
     "duration_seconds": 6000, "release_date": d("2025-06-01")},
    {"content_id": "c2", "content_type": "episode", "series_id": "s1", "genre": "comedy",
     "duration_seconds": 1200, "release_date": d("2026-02-20")},
]


def _view(event_id: str | None, profile_id: str | None = "p1", content_id: str | None = "c1",
          at: str | None = "10:00", seconds: int | None = 600, device: str | None = "tv",
          ingested: str = "10:30") -> dict[str, Any]:
    return {"event_id": event_id, "profile_id": profile_id, "content_id": content_id,
            "event_ts": ts(f"2026-03-02 {at}") if at else None, "watch_seconds": seconds,
            "device_type": device, "ingested_at": ts(f"2026-03-02 {ingested}")}


def _engage(event_id: str | None, event_type: str | None, content_id: str | None = "c1", profile_id: str = "p1",
            at: str = "10:00", ingested: str = "10:30") -> dict[str, Any]:
    return {"event_id": event_id, "profile_id": profile_id, "content_id": content_id,
            "event_ts": ts(f"2026-03-02 {at}"), "event_type": event_type, "ingested_at": ts(f"2026-03-02 {ingested}")}


VIEWING = [
    _view("v01"),
    # three copies of v02: the 11:00 one is the earliest landed, so it (and its device) is kept
    _view("v02", device="web", ingested="12:00"),
    _view("v02", device=" Mobile ", ingested="11:00"),
    _view("v02", device="tablet", ingested="13:00"),
    _view("v03", device="console"),
    _view("v04", device=None),
    _view("v05", profile_id=None),
    _view(None), _view(None),  # null event_id: never de-duplicated, both quarantined
    _view(""),
    _view("v06", profile_id="p9"),
    _view("v07", profile_id="p9", seconds=-5),  # breaks two rules: the first one wins
    _view("v08", content_id="c9"),
    _view("v09", content_id=None),
    _view("v10", seconds=None),
    _view("v11", seconds=-1),
    _view("v12", seconds=86401),
    _view("v13", seconds=0, device="web"),
    _view("v14", seconds=86400, device="tablet"),
    _view("v15", at=None, ingested="11:00"),
    _view("v16", at="12:00", ingested="11:00"),
    _view("v17", profile_id="p2", at="13:00", ingested="13:30"),
    _view("v18", profile_id="p2", at="11:00", ingested="11:30"),
    # the kept (earliest) copy of v19 is invalid: quarantined once, the later copy dropped as a duplicate
    _view("v19", content_id="c9", ingested="10:10"),
    _view("v19", content_id="c1", ingested="10:20"),
]

ENGAGEMENT = [
    _engage("g01", "search", content_id=None),
    _engage("g02", "thumbs_up", content_id=None),
    _engage("g03", "clap"),
    _engage("g04", "clap", content_id=None),
    _engage("g05", "thumbs_up", profile_id="p9"),
    _engage("", "thumbs_up"),
    _engage("g07", "add_to_list", profile_id="p2", at="13:00", ingested="13:30"),
    _engage("g08", "trailer_view", content_id="c2", at="11:00", ingested="10:30"),
    _engage("g09", "thumbs_down", content_id="c2", ingested="10:40"),
    _engage("g09", "thumbs_down", content_id="c2", ingested="10:50"),
    _engage("g10", "search", content_id="c9"),
]

TABLES = {"accounts": ACCOUNTS, "profiles": PROFILES, "content": CONTENT,
          "viewing_events": VIEWING, "engagement_events": ENGAGEMENT}

EXPECTED_QUARANTINE = sorted([
    ("viewing_events", "v05", "missing_key"),
    ("viewing_events", None, "missing_key"),
    ("viewing_events", None, "missing_key"),
    ("viewing_events", "", "missing_key"),
    ("viewing_events", "v06", "unknown_profile"),
    ("viewing_events", "v07", "unknown_profile"),
    ("viewing_events", "v08", "unknown_content"),
    ("viewing_events", "v09", "unknown_content"),
    ("viewing_events", "v19", "unknown_content"),
    ("viewing_events", "v10", "bad_duration"),
    ("viewing_events", "v11", "bad_duration"),
    ("viewing_events", "v12", "bad_duration"),
    ("viewing_events", "v15", "bad_timestamp"),
    ("viewing_events", "v16", "bad_timestamp"),
    ("viewing_events", "v17", "deleted_profile"),
    ("engagement_events", "g02", "unknown_content"),
    ("engagement_events", "g03", "bad_event_type"),
    ("engagement_events", "g04", "unknown_content"),
    ("engagement_events", "g05", "unknown_profile"),
    ("engagement_events", "", "missing_key"),
    ("engagement_events", "g07", "deleted_profile"),
    ("engagement_events", "g08", "bad_timestamp"),
], key=lambda r: (r[0], r[1] is None, r[1] or "", r[2]))

EXPECTED_VIEWING_DEVICES = {
    "v01": "tv", "v02": "mobile", "v03": "other", "v04": "other", "v13": "web", "v14": "tablet", "v18": "tv",
}
EXPECTED_ENGAGEMENT_IDS = {"g01", "g09", "g10"}
EXPECTED_DUPLICATES = {"viewing_events": 3, "engagement_events": 1}


def sort_quarantine(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return sorted(rows, key=lambda r: (r[0], r[1] is None, r[1] or "", r[2]))
