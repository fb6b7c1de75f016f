"""A small hand-built household history for golden feature tests, and the oracle over the same rows.

Two accounts. A1 (premium): p-main (heavy viewer: binge, new releases, ties), p-kid (kids), p-gone (deleted on
2026-02-15), p-new (created 2026-03-30). A2 (basic): p-idle (never plays; one search), p-back (two reactivations
after gaps of >= 28 days). Events run 2026-01-01 .. 2026-04-12, all landing 5 minutes after they happen.
"""

from __future__ import annotations

from datetime import date, timedelta  # noqa: F401  (re-exported for tests)
from typing import Any

from tests.functional.feature_oracle import Action, Oracle, Play, Profile, Title
from tests.support.gold import d, ts

HISTORY_START = date(2026, 1, 1)
AS_OF = date(2026, 4, 12)

ACCOUNTS = {"A1": ("premium", "2025-06-01"), "A2": ("basic", "2025-12-01")}
PROFILES = {
    "p-main": ("A1", False, "2025-06-01 09:00", None),
    "p-kid": ("A1", True, "2025-07-01 09:00", None),
    "p-gone": ("A1", False, "2025-08-01 09:00", "2026-02-15 10:00"),
    "p-new": ("A1", False, "2026-03-30 08:00", None),
    "p-idle": ("A2", False, "2026-01-01 00:00", None),
    "p-back": ("A2", False, "2025-12-01 09:00", None),
}
TITLES = {
    "m-drama": ("movie", None, "drama", 6000, "2025-01-01"),
    "m-comedy": ("movie", None, "comedy", 6000, "2026-03-01"),
    "m-kids": ("movie", None, "kids", 3600, "2025-05-01"),
    "m-action": ("movie", None, "action", 6000, "2026-01-05"),
    "s1-e1": ("episode", "s1", "scifi", 2400, "2025-10-01"),
    "s1-e2": ("episode", "s1", "scifi", 2400, "2025-10-01"),
    "s1-e3": ("episode", "s1", "scifi", 2400, "2025-10-01"),
    "s1-e4": ("episode", "s1", "scifi", 2400, "2025-10-01"),
    "s2-e1": ("episode", "s2", "horror", 1800, "2026-04-01"),
    "s2-e2": ("episode", "s2", "horror", 1800, "2026-04-01"),
}
PLAYS = [  # profile, start (UTC), title, watch seconds, device
    ("p-main", "2026-01-01 20:00", "m-drama", 6000, "tv"),
    ("p-main", "2026-01-03 10:00", "m-action", 3000, "mobile"),       # Saturday; released 2 days later
    ("p-main", "2026-01-10 21:00", "s1-e1", 2400, "tv"),              # Saturday binge of s1
    ("p-main", "2026-01-10 21:45", "s1-e2", 2400, "tv"),
    ("p-main", "2026-01-10 22:30", "s1-e3", 2300, "tv"),
    ("p-main", "2026-01-11 19:00", "m-action", 6000, "tv"),           # new release (6 days)
    ("p-main", "2026-02-05 20:00", "s1-e4", 2400, "web"),
    ("p-main", "2026-03-05 20:00", "m-comedy", 3000, "tv"),           # genre and device ties with the next
    ("p-main", "2026-03-05 21:00", "m-drama", 3000, "mobile"),
    ("p-main", "2026-04-06 18:30", "s2-e1", 1800, "tablet"),
    ("p-main", "2026-04-06 19:10", "s2-e2", 100, "tablet"),           # abandoned (< 10%)
    ("p-main", "2026-04-12 20:00", "m-drama", 0, "tv"),               # a play with no watch time
    ("p-kid", "2026-01-10 15:00", "m-kids", 3600, "tablet"),
    ("p-kid", "2026-01-11 15:00", "m-kids", 1800, "tablet"),
    ("p-kid", "2026-02-05 16:00", "s1-e1", 2400, "tv"),
    ("p-kid", "2026-03-15 10:00", "m-kids", 3600, "tablet"),
    ("p-kid", "2026-04-06 17:00", "m-kids", 3600, "tablet"),
    ("p-gone", "2026-01-11 20:00", "m-drama", 6000, "tv"),
    ("p-gone", "2026-02-14 20:00", "s1-e1", 2400, "tv"),
    ("p-new", "2026-04-01 20:00", "m-comedy", 6000, "tv"),
    ("p-new", "2026-04-12 21:00", "s2-e1", 1800, "web"),
    ("p-back", "2026-01-02 20:00", "m-action", 6000, "tv"),
    ("p-back", "2026-01-04 20:00", "m-drama", 2000, "tv"),
    ("p-back", "2026-03-05 20:00", "m-comedy", 6000, "tv"),           # 60 days after the last play
    ("p-back", "2026-03-06 20:00", "m-comedy", 600, "mobile"),
    ("p-back", "2026-04-10 20:00", "m-drama", 6000, "tv"),            # 35 days after the last play
]
ACTIONS = [  # profile, time, type, title
    ("p-main", "2026-01-01 21:00", "search", None),
    ("p-main", "2026-01-10 23:00", "thumbs_up", "s1-e3"),
    ("p-main", "2026-01-11 22:00", "add_to_list", "m-comedy"),
    ("p-main", "2026-02-05 21:00", "thumbs_down", "s1-e4"),
    ("p-main", "2026-03-05 22:00", "thumbs_up", "m-comedy"),
    ("p-main", "2026-04-06 20:00", "search", None),
    ("p-main", "2026-04-06 20:05", "trailer_view", "m-action"),
    ("p-kid", "2026-01-10 16:00", "thumbs_up", "m-kids"),
    ("p-idle", "2026-03-01 12:00", "search", None),
    ("p-back", "2026-03-05 21:00", "thumbs_down", "m-comedy"),
]
LANDING_DELAY = timedelta(minutes=5)


def gold_tables(plays: list[tuple[Any, ...]] = PLAYS, landing_delay: dict[int, timedelta] | None = None
                ) -> dict[str, list[dict[str, Any]]]:
    """The Gold tables; `landing_delay` overrides the ingestion delay of some plays (by index)."""
    delays = landing_delay or {}
    return {
        "accounts": [
            {"account_id": a, "signup_date": d(signup), "plan_tier": plan, "country": "US", "status": "active",
             "updated_at": ts(f"{signup} 00:00")}
            for a, (plan, signup) in ACCOUNTS.items()
        ],
        "profiles": [
            {"profile_id": p, "account_id": a, "is_kids": kids, "created_at": ts(created),
             "deleted_at": ts(deleted) if deleted else None}
            for p, (a, kids, created, deleted) in PROFILES.items()
        ],
        "content": [
            {"content_id": c, "content_type": kind, "series_id": series, "genre": genre,
             "duration_seconds": duration, "release_date": d(release)}
            for c, (kind, series, genre, duration, release) in TITLES.items()
        ],
        "viewing_events": [
            {"event_id": f"v{i}", "profile_id": p, "content_id": c, "event_ts": ts(at), "watch_seconds": s,
             "device_type": device, "ingested_at": ts(at) + delays.get(i, LANDING_DELAY)}
            for i, (p, at, c, s, device) in enumerate(plays)
        ],
        "engagement_events": [
            {"event_id": f"g{i}", "profile_id": p, "content_id": c, "event_ts": ts(at), "event_type": kind,
             "ingested_at": ts(at) + LANDING_DELAY}
            for i, (p, at, kind, c) in enumerate(ACTIONS)
        ],
    }


def oracle() -> Oracle:
    return Oracle(
        profiles={
            p: Profile(a, kids, d(created[:10]), d(deleted[:10]) if deleted else None)
            for p, (a, kids, created, deleted) in PROFILES.items()
        },
        signup={a: d(signup) for a, (_, signup) in ACCOUNTS.items()},
        plan={a: plan for a, (plan, _) in ACCOUNTS.items()},
        titles={c: Title(kind, series, genre, duration, d(release))
                for c, (kind, series, genre, duration, release) in TITLES.items()},
        plays=[Play(p, c, ts(at), s, device) for p, at, c, s, device in PLAYS],
        actions=[Action(p, ts(at), kind) for p, at, kind, _ in ACTIONS],
    )


def live_pairs() -> list[tuple[str, date]]:
    """Every (profile, date) from the start of history to AS_OF on which the profile is live."""
    model = oracle()
    days = [HISTORY_START + timedelta(days=n) for n in range((AS_OF - HISTORY_START).days + 1)]
    return [(p, day) for day in days for p, profile in model.profiles.items() if profile.live_on(day)]
