"""An independent, deliberately naive implementation of the 62-feature contract, for golden tests.

Written straight from the feature definitions over plain Python lists: no SQL, no windows, no incremental
state, no feature log. Every value is recomputed from scratch for one (profile, date).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any


@dataclass(frozen=True)
class Play:
    profile_id: str
    content_id: str
    event_ts: datetime
    watch_seconds: int
    device_type: str

    @property
    def day(self) -> date:
        return self.event_ts.date()


@dataclass(frozen=True)
class Action:
    profile_id: str
    event_ts: datetime
    event_type: str

    @property
    def day(self) -> date:
        return self.event_ts.date()


@dataclass(frozen=True)
class Title:
    content_type: str
    series_id: str | None
    genre: str
    duration_seconds: int
    release_date: date


@dataclass(frozen=True)
class Profile:
    account_id: str
    is_kids: bool
    created: date
    deleted: date | None

    def live_on(self, day: date) -> bool:
        return self.created <= day and (self.deleted is None or self.deleted > day)


GENRES = ("action", "comedy", "documentary", "drama", "horror", "kids", "romance", "scifi")


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def _argmax(seconds: dict[str, int]) -> str | None:
    candidates = [(-s, name) for name, s in seconds.items() if s > 0]
    return min(candidates)[1] if candidates else None


class Oracle:
    def __init__(self, profiles: dict[str, Profile], signup: dict[str, date], plan: dict[str, str],
                 titles: dict[str, Title], plays: list[Play], actions: list[Action]) -> None:
        self.profiles, self.signup, self.plan, self.titles = profiles, signup, plan, titles
        self.plays, self.actions = plays, actions

    def _plays(self, profile_id: str, day: date, days: int | None = None) -> list[Play]:
        return [p for p in self.plays if p.profile_id == profile_id and p.day <= day
                and (days is None or (day - p.day).days < days)]

    def _actions(self, profile_id: str, day: date, days: int, kind: str) -> int:
        return sum(1 for a in self.actions if a.profile_id == profile_id and a.event_type == kind
                   and a.day <= day and (day - a.day).days < days)

    def features(self, profile_id: str, day: date) -> dict[str, Any]:
        f: dict[str, Any] = {}
        seconds = lambda plays: sum(p.watch_seconds for p in plays)  # noqa: E731
        p1, p7, p28, p90 = (self._plays(profile_id, day, n) for n in (1, 7, 28, 90))
        s28 = seconds(p28)

        # watch_behavior
        f["watch_minutes_1d"] = seconds(p1) / 60.0
        f["watch_minutes_7d"] = seconds(p7) / 60.0
        f["watch_minutes_28d"] = s28 / 60.0
        f["watch_minutes_90d"] = seconds(p90) / 60.0
        f["plays_7d"], f["plays_28d"] = len(p7), len(p28)
        f["active_days_7d"] = len({p.day for p in p7})
        f["active_days_28d"] = len({p.day for p in p28})
        f["avg_play_minutes_28d"] = _ratio(s28 / 60.0, len(p28))
        f["weekend_watch_share_28d"] = _ratio(seconds([p for p in p28 if p.day.weekday() >= 5]), s28)
        f["primetime_watch_share_28d"] = _ratio(seconds([p for p in p28 if 18 <= p.event_ts.hour <= 22]), s28)
        f["watch_trend_7d_vs_28d"] = _ratio(seconds(p7) / 60.0, s28 / 60.0 / 4)

        # content_consumption
        title = lambda p: self.titles[p.content_id]  # noqa: E731
        episodes28 = [p for p in p28 if title(p).content_type == "episode"]
        f["distinct_titles_28d"] = len({p.content_id for p in p28})
        f["distinct_titles_90d"] = len({p.content_id for p in p90})
        f["distinct_series_28d"] = len({title(p).series_id for p in p28 if title(p).series_id})
        f["movie_watch_share_28d"] = _ratio(seconds([p for p in p28 if title(p).content_type == "movie"]), s28)
        f["episode_plays_28d"] = len(episodes28)
        per_day_series: dict[tuple[date, str], int] = {}
        per_day: dict[date, int] = {}
        for p in episodes28:
            key = (p.day, title(p).series_id or "")
            per_day_series[key] = per_day_series.get(key, 0) + 1
            per_day[p.day] = per_day.get(p.day, 0) + 1
        f["binge_days_28d"] = len({d for (d, _), n in per_day_series.items() if n >= 3})
        f["max_daily_episodes_28d"] = max(per_day.values(), default=0)
        f["new_release_watch_share_28d"] = _ratio(
            seconds([p for p in p28 if 0 <= (p.day - title(p).release_date).days <= 30]), s28
        )
        f["replay_rate_28d"] = None if not p28 else 1 - f["distinct_titles_28d"] / len(p28)

        # engagement_quality
        ratios = [min(p.watch_seconds / title(p).duration_seconds, 1.0) for p in p28]
        f["completion_rate_28d"] = _ratio(sum(r >= 0.9 for r in ratios), len(ratios))
        f["avg_completion_ratio_28d"] = _ratio(sum(ratios), len(ratios))
        f["abandon_rate_28d"] = _ratio(sum(r < 0.1 for r in ratios), len(ratios))
        f["thumbs_up_28d"] = self._actions(profile_id, day, 28, "thumbs_up")
        f["thumbs_down_28d"] = self._actions(profile_id, day, 28, "thumbs_down")
        up90, down90 = (self._actions(profile_id, day, 90, k) for k in ("thumbs_up", "thumbs_down"))
        f["thumbs_up_ratio_90d"] = _ratio(up90, up90 + down90)
        f["list_adds_28d"] = self._actions(profile_id, day, 28, "add_to_list")
        f["searches_28d"] = self._actions(profile_id, day, 28, "search")
        f["searches_per_play_28d"] = _ratio(f["searches_28d"], len(p28))

        # affinity
        def by(plays: list[Play], key: Any) -> dict[str, int]:
            out: dict[str, int] = {}
            for p in plays:
                out[key(p)] = out.get(key(p), 0) + p.watch_seconds
            return out

        genre28, genre90 = by(p28, lambda p: title(p).genre), by(p90, lambda p: title(p).genre)
        s90 = sum(genre90.values())
        f["top_genre_28d"] = _argmax(genre28)
        f["top_genre_share_28d"] = _ratio(genre28.get(f["top_genre_28d"], 0), s28) if f["top_genre_28d"] else None
        f["genre_entropy_28d"] = (
            -sum((s / s28) * math.log(s / s28) for s in genre28.values() if s > 0) if s28 else None
        )
        f["distinct_genres_28d"] = len(genre28)
        f["top_genre_90d"] = _argmax(genre90)
        devices28 = by(p28, lambda p: p.device_type)
        f["primary_device_28d"] = _argmax(devices28)
        f["distinct_devices_28d"] = len(devices28)
        for genre in GENRES:
            f[f"genre_share_{genre}_90d"] = _ratio(genre90.get(genre, 0), s90)

        # lifecycle
        me = self.profiles[profile_id]
        history = self._plays(profile_id, day)
        play_days = sorted({p.day for p in history})
        f["profile_tenure_days"] = (day - me.created).days
        f["account_tenure_days"] = (day - self.signup[me.account_id]).days
        f["days_since_last_play"] = (day - play_days[-1]).days if play_days else None
        f["days_since_first_play"] = (day - play_days[0]).days if play_days else None
        f["lifetime_watch_minutes"] = seconds(history) / 60.0
        f["lifetime_active_days"] = len(play_days)
        f["plan_tier"] = self.plan[me.account_id]
        if f["profile_tenure_days"] < 14:
            stage = "new"
        elif f["days_since_last_play"] is None or f["days_since_last_play"] > 89:
            stage = "lapsed"
        elif f["days_since_last_play"] <= 7:
            stage = "active"
        elif f["days_since_last_play"] <= 27:
            stage = "at_risk"
        else:
            stage = "dormant"
        f["lifecycle_stage"] = stage
        f["is_reactivated_7d"] = any(
            (day - d).days < 7 and i > 0 and (d - play_days[i - 1]).days >= 28 for i, d in enumerate(play_days)
        )

        # household_share
        members = [pid for pid, p in self.profiles.items() if p.account_id == me.account_id and p.live_on(day)]
        member28 = {m: self._plays(m, day, 28) for m in members}
        member_seconds = {m: seconds(plays) for m, plays in member28.items()}
        household_seconds = sum(member_seconds.values())
        f["household_profiles"] = len(members)
        f["household_active_profiles_28d"] = sum(1 for plays in member28.values() if plays)
        f["household_watch_share_28d"] = _ratio(s28, household_seconds)
        f["is_household_top_viewer_28d"] = s28 > 0 and s28 == max(member_seconds.values())
        own_titles = {p.content_id for p in p28}
        others = [m for m in members if m != profile_id]
        other_titles = {p.content_id for m in others for p in member28[m]}
        union = own_titles | other_titles
        f["household_title_overlap_28d"] = len(own_titles & other_titles) / len(union) if union else None
        others_genres = by([p for m in others for p in member28[m]], lambda p: title(p).genre)
        dot = sum(genre28.get(g, 0) * others_genres.get(g, 0) for g in GENRES)
        norm_own = math.sqrt(sum(v * v for v in genre28.values()))
        norm_others = math.sqrt(sum(v * v for v in others_genres.values()))
        f["household_genre_similarity_28d"] = dot / (norm_own * norm_others) if norm_own and norm_others else None
        other_days = {p.day for m in others for p in member28[m]}
        f["household_shared_days_28d"] = len({p.day for p in p28} & other_days)
        f["is_kids_profile"] = me.is_kids
        return f
