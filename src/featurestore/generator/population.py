"""The world the events happen in: the content catalogue and the households with their profiles.

Both are drawn once from their own seeded streams. Every attribute that *changes* during the period
(a profile is deleted, an account cancels, a title is released, a household signs up) is stored as the
day it happens rather than as a state, so the dimension tables "as of day D" are a cheap filter and do
not depend on how many days a run generates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from featurestore.generator.config import (
    ACCOUNT_STATUSES,
    CONTENT_TYPES,
    COUNTRIES,
    COUNTRY_WEIGHTS,
    GENRES,
    KIDS_GENRE,
    NEVER,
    PLAN_TIERS,
    US_PER_DAY,
    GeneratorConfig,
    epoch_days,
)
from featurestore.generator.sampling import (
    STREAM_BASE,
    STREAM_CONTENT,
    STREAM_NEW_HOUSEHOLDS,
    SegmentedSampler,
    categorical,
    format_ids,
    lookup,
    rng_for,
)
from featurestore.generator.schemas import ACCOUNTS_SCHEMA, CONTENT_SCHEMA, PROFILES_SCHEMA

N_GENRES = len(GENRES)
MOVIE_GENRE_WEIGHTS = (16, 18, 9, 22, 8, 10, 9, 8)
SERIES_GENRE_WEIGHTS = (12, 18, 12, 22, 6, 14, 8, 8)
#: How much adults like each genre (drives their top-3 preferences).
ADULT_GENRE_WEIGHTS = (16, 18, 7, 22, 7, 2, 10, 9)
KIDS_SIDE_GENRES = np.array([GENRES.index(g) for g in ("comedy", "action", "scifi", "documentary")])
HOUSEHOLD_SIZE_WEIGHTS = (30, 25, 20, 15, 10)  # 1..5 profiles
MEAN_HOUSEHOLD_SIZE = float(np.dot(np.arange(1, 6), HOUSEHOLD_SIZE_WEIGHTS) / sum(HOUSEHOLD_SIZE_WEIGHTS))

# Lifecycle segments and their base probability of playing anything on a given day.
SEGMENTS = ("never", "heavy", "regular", "light", "dormant", "reactivating")
SEGMENT_WEIGHTS = (6, 14, 34, 28, 12, 6)
SEGMENT_P_ACTIVE = np.array([0.0, 0.72, 0.40, 0.15, 0.025, 0.38])
REACTIVATING = SEGMENTS.index("reactivating")

NEW_PROFILES_PER_DAY = 0.0015  # share of the base population signing up per day
PROFILE_DELETE_HAZARD = 0.0004  # per profile per day
PROFILE_LAPSE_HAZARD = 0.0015  # per profile per day: stops playing for good
ACCOUNT_CHANGE_HAZARD = 0.0007  # per account per day: pauses or cancels
SERIES_EPOCH_DAYS = 21  # a profile follows one "current" series for this long

ADULT_DEVICE_WEIGHTS = (45, 25, 15, 15)
KIDS_DEVICE_WEIGHTS = (40, 8, 4, 48)


def _days_from_us(us: np.ndarray, start_us: int) -> np.ndarray:
    """Day index (relative to start_date, floor) of microsecond timestamps."""
    return np.floor_divide(us - start_us, US_PER_DAY).astype(np.int32)


@dataclass(frozen=True)
class Catalog:
    """Movies first, then the episodes of each series in episode order (so content_id order = order)."""

    content_type: np.ndarray  # int8, index into CONTENT_TYPES
    series: np.ndarray  # int32 series index, -1 for movies
    genre: np.ndarray  # int8
    duration: np.ndarray  # int32 seconds
    release_day: np.ndarray  # int32 day index, negative = before start_date
    movie_popularity: np.ndarray  # float64, per movie (content index == movie index)
    series_first: np.ndarray  # int64 content index of each series' first episode
    series_episodes: np.ndarray  # int64
    series_genre: np.ndarray  # int8
    series_release_day: np.ndarray  # int32
    series_weekly: np.ndarray  # bool: one episode a week instead of the whole season at once
    series_popularity: np.ndarray  # float64
    content_ids: pa.Array
    series_ids: pa.Array

    @property
    def movies(self) -> int:
        return int(self.movie_popularity.size)

    def released_episodes(self, day: int) -> np.ndarray:
        """Episodes of each series available on `day` (0 before the series starts)."""
        since = day - self.series_release_day
        weekly = np.clip(since // 7 + 1, 0, self.series_episodes)
        batch = np.where(since >= 0, self.series_episodes, 0)
        return np.where(self.series_weekly, weekly, batch).astype(np.int64)

    def movie_sampler(self, day: int) -> SegmentedSampler:
        """Popularity-weighted choice among movies released by `day`, per genre; new releases boosted."""
        released = np.flatnonzero(self.release_day[: self.movies] <= day)
        age = day - self.release_day[released]
        weights = self.movie_popularity[released] * _freshness(age)
        sampler = SegmentedSampler(self.genre[released], weights, N_GENRES)
        sampler.items = released[sampler.items]
        return sampler

    def series_sampler(self, day: int, released_episodes: np.ndarray) -> SegmentedSampler:
        """Like `movie_sampler` for series; freshness counts from the latest released episode."""
        released = np.flatnonzero(released_episodes > 0)
        latest = self.series_release_day[released] + np.where(
            self.series_weekly[released], 7 * (released_episodes[released] - 1), 0
        )
        weights = self.series_popularity[released] * _freshness(day - latest)
        sampler = SegmentedSampler(self.series_genre[released], weights, N_GENRES)
        sampler.items = released[sampler.items]
        return sampler

    def table(self, config: GeneratorConfig, through_day: int) -> pa.Table:
        """The content dimension as of the end of `through_day`: everything released by then."""
        keep = np.flatnonzero(self.release_day <= through_day)
        series = self.series[keep]
        start = epoch_days(config.start_date)
        return pa.Table.from_arrays(
            [
                self.content_ids.take(pa.array(keep)),
                lookup(CONTENT_TYPES, self.content_type[keep]),
                self.series_ids.take(pa.array(np.maximum(series, 0), mask=series < 0)),
                lookup(GENRES, self.genre[keep]),
                pa.array(self.duration[keep], pa.int32()),
                pa.array((self.release_day[keep] + start).astype(np.int32), pa.date32()),
            ],
            schema=CONTENT_SCHEMA,
        )


def _freshness(age_days: np.ndarray) -> np.ndarray:
    """Weight multiplier by days since release: a launch spike, then a slow decay to a floor."""
    age = np.maximum(age_days, 0).astype(np.float64)
    return 0.25 + np.exp(-age / 365.0) + 4.0 * np.exp(-age / 14.0)


def build_catalog(config: GeneratorConfig) -> Catalog:
    """Draw the catalogue; ~7% of movies and ~12% of series release inside the first 180 days."""
    rng = rng_for(config.seed, STREAM_CONTENT)
    n_movies, n_series = config.movies, config.series

    movie_genre = categorical(rng, MOVIE_GENRE_WEIGHTS, n_movies)
    movie_genre[:N_GENRES] = np.arange(N_GENRES)  # every genre has a title from day one
    kids_movie = movie_genre == KIDS_GENRE
    minutes = np.where(
        kids_movie,
        np.clip(rng.normal(88, 6, n_movies), 80, 100),
        np.clip(rng.normal(108, 16, n_movies), 80, 150),
    )
    movie_duration = (minutes * 60 + rng.integers(0, 60, n_movies)).astype(np.int32)
    movie_new = rng.random(n_movies) < 0.07
    movie_new[:N_GENRES] = False
    movie_release = np.where(
        movie_new,
        rng.integers(0, 180, n_movies),
        -np.minimum(1 + rng.exponential(3 * 365, n_movies), 30 * 365),
    ).astype(np.int32)
    movie_popularity = rng.lognormal(0.0, 1.0, n_movies)

    series_genre = categorical(rng, SERIES_GENRE_WEIGHTS, n_series)
    series_genre[:N_GENRES] = np.arange(N_GENRES)
    episodes = (rng.integers(6, 13, n_series) * rng.integers(1, 4, n_series)).astype(np.int64)
    base_minutes = np.where(
        series_genre == KIDS_GENRE, rng.uniform(20, 30, n_series), rng.uniform(20, 60, n_series)
    )
    series_new = rng.random(n_series) < 0.12
    series_new[:N_GENRES] = False
    series_release = np.where(
        series_new,
        rng.integers(0, 180, n_series),
        -np.minimum(7 + rng.exponential(2 * 365, n_series), 20 * 365),
    ).astype(np.int32)
    series_weekly = rng.random(n_series) < 0.35
    series_popularity = rng.lognormal(0.3, 1.0, n_series)

    n_episodes = int(episodes.sum())
    series_first = n_movies + np.concatenate([[0], np.cumsum(episodes)[:-1]]).astype(np.int64)
    ep_series = np.repeat(np.arange(n_series), episodes)
    ep_number = np.arange(n_episodes) - np.repeat(series_first - n_movies, episodes)
    ep_minutes = np.clip(base_minutes[ep_series] * rng.uniform(0.9, 1.1, n_episodes), 20, 60)
    ep_duration = (ep_minutes * 60 + rng.integers(0, 60, n_episodes)).astype(np.int32)
    ep_release = series_release[ep_series] + np.where(series_weekly[ep_series], 7 * ep_number, 0)

    total = n_movies + n_episodes
    return Catalog(
        content_type=np.concatenate([np.zeros(n_movies, np.int8), np.ones(n_episodes, np.int8)]),
        series=np.concatenate([np.full(n_movies, -1, np.int32), ep_series.astype(np.int32)]),
        genre=np.concatenate([movie_genre, series_genre[ep_series]]).astype(np.int8),
        duration=np.concatenate([movie_duration, ep_duration]),
        release_day=np.concatenate([movie_release, ep_release]).astype(np.int32),
        movie_popularity=movie_popularity,
        series_first=series_first,
        series_episodes=episodes,
        series_genre=series_genre.astype(np.int8),
        series_release_day=series_release,
        series_weekly=series_weekly,
        series_popularity=series_popularity,
        content_ids=format_ids("c-", np.arange(1, total + 1), 6),
        series_ids=format_ids("s-", np.arange(1, n_series + 1), 5),
    )


@dataclass
class _Batch:
    """Accounts and profiles that appear together (the base population, or one day's sign-ups)."""

    acc_signup_us: np.ndarray
    acc_updated_us: np.ndarray
    acc_country: np.ndarray
    acc_tier: np.ndarray
    acc_change_day: np.ndarray
    acc_change_us: np.ndarray
    acc_change_status: np.ndarray
    prof_account: np.ndarray  # local account index within the batch
    prof_is_kids: np.ndarray
    prof_created_us: np.ndarray
    prof_deleted_day: np.ndarray
    prof_deleted_us: np.ndarray
    prof_segment: np.ndarray
    prof_p_active: np.ndarray
    prof_lapse_day: np.ndarray
    prof_gap_start: np.ndarray
    prof_gap_end: np.ndarray
    prof_genres: np.ndarray  # (n, 3) preferred genres, strongest first
    prof_device: np.ndarray
    prof_series_affinity: np.ndarray
    prof_phase: np.ndarray


def _household_sizes(rng: np.random.Generator, n_accounts: int) -> np.ndarray:
    return categorical(rng, HOUSEHOLD_SIZE_WEIGHTS, n_accounts) + 1


def _tiers(rng: np.random.Generator, sizes: np.ndarray) -> np.ndarray:
    """Bigger households buy bigger plans."""
    p_basic = 0.38 - 0.06 * (sizes - 1)
    p_premium = 0.14 + 0.07 * (sizes - 1)
    u = rng.random(sizes.size)
    return np.where(u < p_basic, 0, np.where(u < 1.0 - p_premium, 1, 2)).astype(np.int8)


def _behaviour(
    rng: np.random.Generator, is_kids: np.ndarray, first_day: np.ndarray, new: bool
) -> dict[str, np.ndarray]:
    """Hidden per-profile traits: lifecycle segment, activity level, tastes and devices."""
    n = is_kids.size
    segment = categorical(rng, SEGMENT_WEIGHTS, n).astype(np.int8)
    p_active = SEGMENT_P_ACTIVE[segment] * rng.lognormal(0.0, 0.25, n)
    p_active = np.minimum(p_active, 0.95).astype(np.float32)
    grace = 14 if new else 0  # new sign-ups do not lapse in their first two weeks
    lapse_day = (first_day + grace + rng.geometric(PROFILE_LAPSE_HAZARD, n) - 1).astype(np.int32)
    gap_start = first_day + rng.integers(2, 36, n)
    gap_end = gap_start + rng.integers(28, 51, n)
    react = segment == REACTIVATING
    gap_start = np.where(react, gap_start, NEVER).astype(np.int32)
    gap_end = np.where(react, gap_end, NEVER).astype(np.int32)

    # Top-3 genres without replacement by weight (Gumbel top-k); kids lean hard on the kids genre.
    keys = np.log(np.asarray(ADULT_GENRE_WEIGHTS, np.float64)) + rng.gumbel(size=(n, N_GENRES))
    genres = np.argsort(-keys, axis=1)[:, :3].astype(np.int8)
    kids_side = KIDS_SIDE_GENRES[rng.integers(0, KIDS_SIDE_GENRES.size, n)]
    genres[is_kids] = np.stack([np.full(n, KIDS_GENRE), np.full(n, KIDS_GENRE), kids_side], axis=1)[
        is_kids
    ].astype(np.int8)

    device = np.where(
        is_kids, categorical(rng, KIDS_DEVICE_WEIGHTS, n), categorical(rng, ADULT_DEVICE_WEIGHTS, n)
    ).astype(np.int8)
    affinity = np.where(is_kids, rng.beta(2.0, 2.0, n), rng.beta(2.2, 1.8, n)).astype(np.float32)
    phase = rng.integers(0, SERIES_EPOCH_DAYS, n).astype(np.int16)
    return {
        "prof_segment": segment,
        "prof_p_active": p_active,
        "prof_lapse_day": lapse_day,
        "prof_gap_start": gap_start,
        "prof_gap_end": gap_end,
        "prof_genres": genres,
        "prof_device": device,
        "prof_series_affinity": affinity,
        "prof_phase": phase,
    }


def _base_batch(config: GeneratorConfig) -> _Batch:
    """Households that already exist on start_date, some already cancelled or with deleted profiles."""
    rng = rng_for(config.seed, STREAM_BASE)
    start_us = config.day_start_us(0)
    n = config.profiles
    sizes = _household_sizes(rng, int(n / MEAN_HOUSEHOLD_SIZE * 1.2) + 10)
    ends = np.cumsum(sizes)
    n_acc = int(np.searchsorted(ends, n)) + 1
    sizes = sizes[:n_acc].copy()
    sizes[-1] -= int(ends[n_acc - 1] - n)

    tenure_days = np.minimum(30 + rng.exponential(700, n_acc), 8 * 365)
    signup = start_us - (tenure_days * US_PER_DAY).astype(np.int64)
    country = categorical(rng, COUNTRY_WEIGHTS, n_acc).astype(np.int8)
    tier = _tiers(rng, sizes)
    updated = signup + (rng.random(n_acc) * (start_us - signup)).astype(np.int64)
    # Account status changes: 5% cancelled and 2% paused before the period, the rest by a daily hazard.
    u = rng.random(n_acc)
    before = u < 0.07
    before_us = signup + (rng.random(n_acc) * (start_us - signup)).astype(np.int64)
    during_day = rng.geometric(ACCOUNT_CHANGE_HAZARD, n_acc) - 1
    during_us = start_us + during_day * US_PER_DAY + rng.integers(0, US_PER_DAY, n_acc)
    change_us = np.where(before, before_us, during_us)
    change_status = np.where(
        before, np.where(u < 0.05, 2, 1), np.where(rng.random(n_acc) < 0.7, 2, 1)
    ).astype(np.int8)

    account = np.repeat(np.arange(n_acc), sizes)
    owner = np.ones(n, bool)
    owner[1:] = account[1:] != account[:-1]
    is_kids = ~owner & (rng.random(n) < 0.3)
    created = np.where(
        owner,
        signup[account],
        signup[account] + (rng.random(n) * (start_us - signup[account])).astype(np.int64),
    )
    deleted_before = rng.random(n) < 0.03
    before_del_us = created + (rng.random(n) * (start_us - created)).astype(np.int64)
    del_day = rng.geometric(PROFILE_DELETE_HAZARD, n) - 1
    del_us = np.where(
        deleted_before, before_del_us, start_us + del_day * US_PER_DAY + rng.integers(0, US_PER_DAY, n)
    )
    traits = _behaviour(rng, is_kids, np.zeros(n, np.int64), new=False)
    return _Batch(
        acc_signup_us=signup,
        acc_updated_us=updated,
        acc_country=country,
        acc_tier=tier,
        acc_change_day=_days_from_us(change_us, start_us),
        acc_change_us=change_us,
        acc_change_status=change_status,
        prof_account=account,
        prof_is_kids=is_kids,
        prof_created_us=created,
        prof_deleted_day=_days_from_us(del_us, start_us),
        prof_deleted_us=del_us,
        **traits,
    )


def _new_batch(config: GeneratorConfig, day: int) -> _Batch:
    """Households signing up on `day`: drawn from a stream of their own, so any day can be rebuilt."""
    rng = rng_for(config.seed, STREAM_NEW_HOUSEHOLDS, day)
    day_us = config.day_start_us(day)
    n_acc = int(rng.poisson(config.profiles * NEW_PROFILES_PER_DAY / MEAN_HOUSEHOLD_SIZE))
    sizes = _household_sizes(rng, n_acc)
    n = int(sizes.sum())
    signup = day_us + rng.integers(0, US_PER_DAY, n_acc)
    country = categorical(rng, COUNTRY_WEIGHTS, n_acc).astype(np.int8)
    tier = _tiers(rng, sizes)
    change_day = day + rng.geometric(ACCOUNT_CHANGE_HAZARD, n_acc)
    change_us = config.day_start_us(0) + change_day * US_PER_DAY + rng.integers(0, US_PER_DAY, n_acc)
    change_status = np.where(rng.random(n_acc) < 0.7, 2, 1).astype(np.int8)

    account = np.repeat(np.arange(n_acc), sizes)
    owner = np.ones(n, bool)
    owner[1:] = account[1:] != account[:-1]
    is_kids = ~owner & (rng.random(n) < 0.3)
    # Everyone in a new household is created the same day, the owner first.
    rest = day_us + US_PER_DAY - 1 - signup[account]
    created = signup[account] + np.where(owner, 0, (rng.random(n) * rest).astype(np.int64))
    del_day = day + rng.geometric(PROFILE_DELETE_HAZARD, n)
    del_us = config.day_start_us(0) + del_day * US_PER_DAY + rng.integers(0, US_PER_DAY, n)
    traits = _behaviour(rng, is_kids, np.full(n, day, np.int64), new=True)
    return _Batch(
        acc_signup_us=signup,
        acc_updated_us=signup.copy(),
        acc_country=country,
        acc_tier=tier,
        acc_change_day=change_day.astype(np.int32),
        acc_change_us=change_us,
        acc_change_status=change_status,
        prof_account=account,
        prof_is_kids=is_kids,
        prof_created_us=created,
        prof_deleted_day=del_day.astype(np.int32),
        prof_deleted_us=del_us,
        **traits,
    )


@dataclass(frozen=True)
class Population:
    """All accounts and profiles that exist up to `through_day`, in id order (base first, then by day)."""

    config: GeneratorConfig
    through_day: int
    accounts_by_day: np.ndarray  # accounts existing at the end of day d
    profiles_by_day: np.ndarray  # profiles existing at the end of day d
    acc_signup_us: np.ndarray
    acc_updated_us: np.ndarray
    acc_country: np.ndarray
    acc_tier: np.ndarray
    acc_change_day: np.ndarray
    acc_change_us: np.ndarray
    acc_change_status: np.ndarray
    prof_account: np.ndarray  # global account index
    prof_is_kids: np.ndarray
    prof_created_us: np.ndarray
    prof_deleted_day: np.ndarray
    prof_deleted_us: np.ndarray
    prof_segment: np.ndarray
    prof_p_active: np.ndarray
    prof_stop_day: np.ndarray  # first day without plays: own lapse or the account pausing/cancelling
    prof_gap_start: np.ndarray
    prof_gap_end: np.ndarray
    prof_genres: np.ndarray
    prof_device: np.ndarray
    prof_series_affinity: np.ndarray
    prof_phase: np.ndarray
    account_ids: pa.Array
    profile_ids: pa.Array

    def accounts_table(self, through_day: int) -> pa.Table:
        """Accounts as of the end of `through_day` (status and updated_at reflect changes by then)."""
        n = int(self.accounts_by_day[through_day])
        changed = self.acc_change_day[:n] <= through_day
        status = np.where(changed, self.acc_change_status[:n], 0)
        updated = np.where(
            changed, np.maximum(self.acc_change_us[:n], self.acc_updated_us[:n]), self.acc_updated_us[:n]
        )
        signup_date = np.floor_divide(self.acc_signup_us[:n], US_PER_DAY).astype(np.int32)
        return pa.Table.from_arrays(
            [
                self.account_ids.slice(0, n),
                pa.array(signup_date, pa.date32()),
                lookup(PLAN_TIERS, self.acc_tier[:n]),
                lookup(COUNTRIES, self.acc_country[:n]),
                lookup(ACCOUNT_STATUSES, status),
                pa.array(updated, ACCOUNTS_SCHEMA.field("updated_at").type),
            ],
            schema=ACCOUNTS_SCHEMA,
        )

    def profiles_table(self, through_day: int) -> pa.Table:
        """Profiles as of the end of `through_day`; deleted_at only for deletions that happened by then."""
        n = int(self.profiles_by_day[through_day])
        ts_type = PROFILES_SCHEMA.field("created_at").type
        not_deleted = self.prof_deleted_day[:n] > through_day
        return pa.Table.from_arrays(
            [
                self.profile_ids.slice(0, n),
                self.account_ids.take(pa.array(self.prof_account[:n])),
                pa.array(self.prof_is_kids[:n], pa.bool_()),
                pa.array(self.prof_created_us[:n], ts_type),
                pa.array(self.prof_deleted_us[:n], ts_type, mask=not_deleted),
            ],
            schema=PROFILES_SCHEMA,
        )


def build_population(config: GeneratorConfig, through_day: int) -> Population:
    """Base households plus every day's sign-ups for days 0..through_day."""
    batches = [_base_batch(config)] + [_new_batch(config, day) for day in range(through_day + 1)]
    acc_counts = np.array([b.acc_signup_us.size for b in batches], np.int64)
    prof_counts = np.array([b.prof_account.size for b in batches], np.int64)
    acc_offsets = np.concatenate([[0], np.cumsum(acc_counts)[:-1]])

    def cat(name: str) -> np.ndarray:
        return np.concatenate([getattr(b, name) for b in batches])

    prof_account = np.concatenate([b.prof_account + off for b, off in zip(batches, acc_offsets, strict=True)])
    acc_change_day = cat("acc_change_day")
    lapse = cat("prof_lapse_day")
    n_acc, n_prof = int(acc_counts.sum()), int(prof_counts.sum())
    return Population(
        config=config,
        through_day=through_day,
        accounts_by_day=np.cumsum(acc_counts)[1:],
        profiles_by_day=np.cumsum(prof_counts)[1:],
        acc_signup_us=cat("acc_signup_us"),
        acc_updated_us=cat("acc_updated_us"),
        acc_country=cat("acc_country"),
        acc_tier=cat("acc_tier"),
        acc_change_day=acc_change_day,
        acc_change_us=cat("acc_change_us"),
        acc_change_status=cat("acc_change_status"),
        prof_account=prof_account,
        prof_is_kids=cat("prof_is_kids"),
        prof_created_us=cat("prof_created_us"),
        prof_deleted_day=cat("prof_deleted_day"),
        prof_deleted_us=cat("prof_deleted_us"),
        prof_segment=cat("prof_segment"),
        prof_p_active=cat("prof_p_active"),
        prof_stop_day=np.minimum(lapse, acc_change_day[prof_account]),
        prof_gap_start=cat("prof_gap_start"),
        prof_gap_end=cat("prof_gap_end"),
        prof_genres=cat("prof_genres"),
        prof_device=cat("prof_device"),
        prof_series_affinity=cat("prof_series_affinity"),
        prof_phase=cat("prof_phase"),
        account_ids=format_ids("a-", np.arange(1, n_acc + 1), 7),
        profile_ids=format_ids("p-", np.arange(1, n_prof + 1), 7),
    )
