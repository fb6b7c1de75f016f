"""One day of behaviour: who plays what, when, on which device, and what they click around it.

All rows of a day are drawn as whole numpy arrays from an RNG seeded by (seed, day), so a day can be
regenerated on its own and never depends on the days before it. Continuity across days (a profile
working through "its" series) comes from stable per-profile hashes instead of carried state.
The output here is clean; `quality.py` adds lateness, duplicates and dirty rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from featurestore.generator.config import (
    ADD_TO_LIST,
    GENRES,
    SEARCH,
    THUMBS_DOWN,
    THUMBS_UP,
    TRAILER_VIEW,
    US_PER_DAY,
    US_PER_HOUR,
    US_PER_SECOND,
    GeneratorConfig,
)
from featurestore.generator.population import SERIES_EPOCH_DAYS, Catalog, Population
from featurestore.generator.sampling import (
    STREAM_EVENTS,
    SegmentedSampler,
    categorical,
    hash_uniform,
    rng_for,
)

N_GENRES = len(GENRES)

#: Probability multiplier of playing at all, Monday..Sunday.
WEEKDAY_ACTIVITY = np.array([0.92, 0.90, 0.93, 0.97, 1.08, 1.25, 1.20])
#: Session start hour (UTC) weights: evening prime time 18-22 dominates; weekends add daytime;
#: kids watch earlier (after school) and hardly at night.
_ADULT_WEEKDAY = np.array(
    [1.0, 0.6, 0.4, 0.3, 0.3, 0.4, 0.8, 1.2, 1.3, 1.2, 1.2, 1.4,
     1.8, 1.8, 1.6, 1.7, 2.2, 3.0, 4.5, 6.0, 6.5, 6.0, 4.2, 2.2]
)  # fmt: skip
_DAYTIME = np.array([1.0] * 9 + [1.8] * 9 + [1.0] * 6)
_KIDS_WEEKDAY = np.array(
    [0.1, 0.05, 0.05, 0.05, 0.05, 0.1, 0.6, 1.2, 0.8, 0.5, 0.5, 0.6,
     0.8, 1.0, 1.6, 2.6, 3.4, 3.6, 3.8, 3.2, 2.0, 0.8, 0.3, 0.15]
)  # fmt: skip
HOURLY = np.stack([_ADULT_WEEKDAY, _ADULT_WEEKDAY * _DAYTIME, _KIDS_WEEKDAY, _KIDS_WEEKDAY * _DAYTIME])
_HOUR_SAMPLER = SegmentedSampler(np.repeat(np.arange(4), 24), HOURLY.ravel(), 4)

EXTRA_SESSIONS_MEAN = 0.5  # sessions per active day = 1 + Poisson(this)
PREFERRED_DEVICE_SHARE = 0.7
GLOBAL_DEVICE_WEIGHTS = (40, 30, 15, 15)
EXPLORE_SHARE = 0.2  # series sessions that sample a new show from episode 1
BINGE_CONTINUE_P = 0.42  # episodes per series session ~ Geometric(this), mean ~2.4
SEARCH_PER_SESSION = 0.25
TRAILER_PER_SESSION = 0.15
LIST_AFTER_TRAILER = 0.2
LIST_PER_PLAY = 0.035
IDLE_SEARCH = 0.01  # alive profiles that do not play today may still browse
IDLE_TRAILER = 0.006


@dataclass(frozen=True)
class RawEvents:
    """Clean events of one table for one day, as parallel arrays (not yet ordered)."""

    profile: np.ndarray  # int64 profile index
    content: np.ndarray  # int64 content index, -1 = none (search)
    ts: np.ndarray  # int64 microseconds
    value: np.ndarray  # viewing: watch_seconds; engagement: event type code
    device: np.ndarray | None  # viewing only: device code


def _pick_genre(pop: Population, prof: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Genre by taste: 55% top genre, 25% second, 10% third, 10% anything (kids: third instead)."""
    genres = pop.prof_genres[prof]
    anything = np.minimum(((u - 0.9) * 10 * N_GENRES).astype(np.int64), N_GENRES - 1)
    third = (u < 0.9) | pop.prof_is_kids[prof]
    return np.where(
        u < 0.55, genres[:, 0], np.where(u < 0.8, genres[:, 1], np.where(third, genres[:, 2], anything))
    ).astype(np.int64)


def _session_starts(
    rng: np.random.Generator, pop: Population, prof: np.ndarray, day_start: int, weekend: bool
) -> np.ndarray:
    pattern = pop.prof_is_kids[prof].astype(np.int64) * 2 + int(weekend)
    hour = _HOUR_SAMPLER.sample(pattern, rng.random(prof.size)) % 24
    return day_start + hour * US_PER_HOUR + rng.integers(0, US_PER_HOUR, prof.size)


def _earlier_in_group(profile: np.ndarray, series: np.ndarray, length: np.ndarray) -> np.ndarray:
    """For rows in time order: total `length` of earlier rows with the same (profile, series)."""
    order = np.lexsort((np.arange(profile.size), series, profile))  # stable: keeps time order
    sorted_len = length[order]
    before = np.cumsum(sorted_len) - sorted_len
    starts = np.ones(profile.size, bool)
    starts[1:] = (profile[order][1:] != profile[order][:-1]) | (series[order][1:] != series[order][:-1])
    group_base = np.maximum.accumulate(np.where(starts, before, 0))
    out = np.empty(profile.size, np.int64)
    out[order] = before - group_base
    return out


def simulate_day(
    config: GeneratorConfig, pop: Population, catalog: Catalog, day: int
) -> tuple[RawEvents, RawEvents]:
    """Clean viewing and engagement events of day index `day` (all with event_ts inside that UTC day)."""
    rng = rng_for(config.seed, STREAM_EVENTS, day)
    n = int(pop.profiles_by_day[day])
    ds = config.day_start_us(day)
    de = ds + US_PER_DAY
    weekday = config.day_date(day).weekday()
    weekend = weekday >= 5

    in_gap = (pop.prof_gap_start[:n] <= day) & (day < pop.prof_gap_end[:n])
    alive = (pop.prof_deleted_us[:n] > ds) & (pop.prof_stop_day[:n] > day) & ~in_gap
    active = alive & (rng.random(n) < pop.prof_p_active[:n] * WEEKDAY_ACTIVITY[weekday])

    # Sessions: when, on what device, movie or series.
    act = np.flatnonzero(active)
    s_prof = np.repeat(act, 1 + rng.poisson(EXTRA_SESSIONS_MEAN, act.size))
    n_sess = s_prof.size
    s_start = _session_starts(rng, pop, s_prof, ds, weekend)
    by_time = np.lexsort((s_start, s_prof))  # s_prof is sorted already; order each profile's sessions by time
    s_start = s_start[by_time]
    s_device = np.where(
        rng.random(n_sess) < PREFERRED_DEVICE_SHARE,
        pop.prof_device[s_prof],
        categorical(rng, GLOBAL_DEVICE_WEIGHTS, n_sess),
    )
    is_series = rng.random(n_sess) < pop.prof_series_affinity[s_prof]

    released = catalog.released_episodes(day)
    series_sampler = catalog.series_sampler(day, released)
    movie_sampler = catalog.movie_sampler(day)

    # Series sessions: the profile's current show for this three-week stretch (stable hash), picked up
    # where a steady viewer would be by now, then a binge of consecutive episodes.
    ss = np.flatnonzero(is_series)
    sp = s_prof[ss]
    phase_day = day + pop.prof_phase[sp].astype(np.int64)
    epoch = phase_day // SERIES_EPOCH_DAYS
    explore = rng.random(ss.size) < EXPLORE_SHARE
    u_genre = np.where(explore, rng.random(ss.size), hash_uniform(config.seed, sp, epoch, 1))
    u_series = np.where(explore, rng.random(ss.size), hash_uniform(config.seed, sp, epoch, 2))
    series = series_sampler.sample(_pick_genre(pop, sp, u_genre), u_series)
    n_released = released[series]
    progress = (phase_day % SERIES_EPOCH_DAYS) / SERIES_EPOCH_DAYS
    first_ep = np.where(explore, 0, np.minimum((progress * n_released).astype(np.int64), n_released - 1))
    binge = np.minimum(rng.geometric(BINGE_CONTINUE_P, ss.size), n_released - first_ep)
    # A later session of the same show that day continues where the earlier one stopped.
    first_ep += _earlier_in_group(sp, series, binge)
    binge = np.maximum(np.minimum(binge, n_released - first_ep), 0)

    ms = np.flatnonzero(~is_series)
    movie = movie_sampler.sample(_pick_genre(pop, s_prof[ms], rng.random(ms.size)), rng.random(ms.size))

    plays_per = np.ones(n_sess, np.int64)
    plays_per[ss] = binge
    first_content = np.empty(n_sess, np.int64)
    first_content[ms] = movie
    first_content[ss] = catalog.series_first[series] + first_ep

    # Plays: expand sessions, episodes in order.
    n_plays = int(plays_per.sum())
    session = np.repeat(np.arange(n_sess), plays_per)
    session_begin = np.cumsum(plays_per) - plays_per
    offset = np.arange(n_plays) - session_begin[session]
    content = first_content[session] + offset
    duration = catalog.duration[content].astype(np.int64)
    last_in_session = offset == plays_per[session] - 1

    # Completion: many finish, some stop midway, some abandon early; binge episodes that were
    # followed by another one were (nearly) finished; a few rewinds run past the duration.
    u = rng.random(n_plays)
    frac = np.where(
        u < 0.55,
        rng.uniform(0.9, 1.0, n_plays),
        np.where(u < 0.8, rng.beta(2.0, 2.0, n_plays) * 0.9, rng.uniform(0.005, 0.1, n_plays)),
    )
    frac = np.where(rng.random(n_plays) < 0.005, rng.uniform(1.0, 1.3, n_plays), frac)
    frac = np.where(~last_in_session & (rng.random(n_plays) < 0.9), rng.uniform(0.93, 1.0, n_plays), frac)
    watch = np.maximum(1, np.rint(duration * frac)).astype(np.int64)
    step = watch + rng.integers(5, 90, n_plays)
    cum = np.cumsum(step)
    before = cum - step - (cum - step)[session_begin[session]]
    # A profile's sessions do not overlap: a session starts no earlier than the previous one ended
    # plus a break. Sessions are in time order per profile, so this is a short loop over the rank of
    # a session within its profile's day (vectorised over all profiles at each rank).
    span = np.bincount(session, weights=step, minlength=n_sess).astype(np.int64) * US_PER_SECOND
    span += rng.integers(5 * 60, 45 * 60, n_sess) * US_PER_SECOND
    first_session = np.ones(n_sess, bool)
    first_session[1:] = s_prof[1:] != s_prof[:-1]
    rank = np.arange(n_sess) - np.maximum.accumulate(np.where(first_session, np.arange(n_sess), 0))
    for r in range(1, int(rank.max(initial=0)) + 1):
        at = np.flatnonzero(rank == r)
        s_start[at] = np.maximum(s_start[at], s_start[at - 1] + span[at - 1])
    ts = s_start[session] + before * US_PER_SECOND
    prof = s_prof[session]
    keep = (ts < de) & (ts >= pop.prof_created_us[prof]) & (ts < pop.prof_deleted_us[prof])
    prof, content, ts, watch, duration = prof[keep], content[keep], ts[keep], watch[keep], duration[keep]
    device = s_device[session[keep]].astype(np.int8)
    viewing = RawEvents(profile=prof, content=content, ts=ts, value=watch, device=device)

    # Engagement around the plays.
    n_kept = prof.size
    watched = watch / duration
    complete, abandoned = watched >= 0.9, watched < 0.15
    p_up = np.where(complete, 0.10, np.where(abandoned, 0.005, 0.03))
    p_down = np.where(abandoned, 0.06, np.where(complete, 0.004, 0.015))
    u = rng.random(n_kept)
    thumbs = np.flatnonzero(u < p_up + p_down)
    thumbs_type = np.where(u[thumbs] < p_up[thumbs], THUMBS_UP, THUMBS_DOWN)
    thumbs_ts = (
        ts[thumbs]
        + watch[thumbs] * US_PER_SECOND
        + rng.integers(US_PER_SECOND, 60 * US_PER_SECOND, thumbs.size)
    )
    listed = np.flatnonzero(rng.random(n_kept) < LIST_PER_PLAY)
    listed_ts = ts[listed] - rng.integers(10 * US_PER_SECOND, 300 * US_PER_SECOND, listed.size)

    search = np.flatnonzero(rng.random(n_sess) < SEARCH_PER_SESSION)
    search_ts = s_start[search] - rng.integers(5 * US_PER_SECOND, 180 * US_PER_SECOND, search.size)
    trailer = np.flatnonzero(rng.random(n_sess) < TRAILER_PER_SESSION)
    trailer_ts = s_start[trailer] - rng.integers(30 * US_PER_SECOND, 900 * US_PER_SECOND, trailer.size)
    trailer_content = movie_sampler.sample(
        _pick_genre(pop, s_prof[trailer], rng.random(trailer.size)), rng.random(trailer.size)
    )
    after_trailer = np.flatnonzero(rng.random(trailer.size) < LIST_AFTER_TRAILER)
    after_trailer_ts = trailer_ts[after_trailer] + rng.integers(
        5 * US_PER_SECOND, 60 * US_PER_SECOND, after_trailer.size
    )

    idle = np.flatnonzero(alive & ~active)
    idle_search = idle[rng.random(idle.size) < IDLE_SEARCH]
    idle_search_ts = _session_starts(rng, pop, idle_search, ds, weekend)
    idle_trailer = idle[rng.random(idle.size) < IDLE_TRAILER]
    idle_trailer_ts = _session_starts(rng, pop, idle_trailer, ds, weekend)
    idle_trailer_content = movie_sampler.sample(
        _pick_genre(pop, idle_trailer, rng.random(idle_trailer.size)), rng.random(idle_trailer.size)
    )

    e_prof = np.concatenate(
        [prof[thumbs], prof[listed], s_prof[search], s_prof[trailer], s_prof[trailer[after_trailer]],
         idle_search, idle_trailer]
    )  # fmt: skip
    e_content = np.concatenate(
        [content[thumbs], content[listed], np.full(search.size, -1), trailer_content,
         trailer_content[after_trailer], np.full(idle_search.size, -1), idle_trailer_content]
    )  # fmt: skip
    e_ts = np.concatenate(
        [thumbs_ts, listed_ts, search_ts, trailer_ts, after_trailer_ts, idle_search_ts, idle_trailer_ts]
    )
    e_type = np.concatenate(
        [thumbs_type, np.full(listed.size, ADD_TO_LIST), np.full(search.size, SEARCH),
         np.full(trailer.size, TRAILER_VIEW), np.full(after_trailer.size, ADD_TO_LIST),
         np.full(idle_search.size, SEARCH), np.full(idle_trailer.size, TRAILER_VIEW)]
    ).astype(np.int8)  # fmt: skip
    e_keep = (
        (e_ts >= ds)
        & (e_ts < de)
        & (e_ts >= pop.prof_created_us[e_prof])
        & (e_ts < pop.prof_deleted_us[e_prof])
    )
    engagement = RawEvents(
        profile=e_prof[e_keep],
        content=e_content[e_keep].astype(np.int64),
        ts=e_ts[e_keep],
        value=e_type[e_keep],
        device=None,
    )
    return viewing, engagement
