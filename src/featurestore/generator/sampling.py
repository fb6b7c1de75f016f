"""Deterministic random streams and vectorised sampling helpers.

Every independent part of the world draws from its own `numpy.random.Generator` seeded by
`(seed, stream, key...)`. Nothing is shared between days, so any single day can be regenerated on its
own (that is how `--append-day` finds late arrivals of earlier days without storing state).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# Stream ids: part of the RNG seed, so adding a stream never shifts the numbers of another.
STREAM_BASE = 1
STREAM_CONTENT = 2
STREAM_NEW_HOUSEHOLDS = 3
STREAM_EVENTS = 4
STREAM_QUALITY = 5
STREAM_HASH = 6


def rng_for(seed: int, stream: int, *keys: int) -> np.random.Generator:
    """A generator that depends only on (seed, stream, keys): same inputs, same numbers, any order."""
    return np.random.default_rng([seed, stream, *keys])


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


def _splitmix64(x: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser on a uint64 array (wrapping arithmetic is intended)."""
    z = x + _GOLDEN
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    return z ^ (z >> np.uint64(31))


def hash_uniform(seed: int, *keys: np.ndarray | int) -> np.ndarray:
    """Uniform [0, 1) numbers that are a pure function of (seed, keys) per element.

    Used where a choice must stay stable across days without carrying state, e.g. which series a
    profile is currently watching during a three-week stretch.
    """
    with np.errstate(over="ignore"):
        h = _splitmix64(np.asarray(seed + STREAM_HASH * 1_000_003, dtype=np.uint64))
        for key in keys:
            h = _splitmix64(h ^ np.asarray(key, dtype=np.int64).astype(np.uint64))
    return (h >> np.uint64(11)).astype(np.float64) * (1.0 / (1 << 53))


class SegmentedSampler:
    """Weighted choice of an item within a segment, for many (segment, uniform) pairs at once.

    Items of every segment are laid out on one axis where segment `s` occupies (s, s+1], with the
    cumulative normalised weights inside; one `searchsorted` then samples all rows regardless of their
    segment. Used for "a title of genre g by popularity" and "an hour for weekday/kids pattern k".
    """

    def __init__(self, segments: np.ndarray, weights: np.ndarray, n_segments: int) -> None:
        segments = np.asarray(segments, dtype=np.int64)
        weights = np.asarray(weights, dtype=np.float64)
        order = np.argsort(segments, kind="stable")
        self.items = order
        seg_sorted = segments[order]
        w_sorted = weights[order]
        counts = np.bincount(seg_sorted, minlength=n_segments)
        if (counts == 0).any():
            empty = np.flatnonzero(counts == 0).tolist()
            raise ValueError(f"segments without items: {empty}")
        self.begin = np.concatenate([[0], np.cumsum(counts)[:-1]])
        self.end = self.begin + counts
        totals = np.bincount(seg_sorted, weights=w_sorted, minlength=n_segments)
        within = np.cumsum(w_sorted) - np.repeat(np.cumsum(totals) - totals, counts)
        self.axis = seg_sorted + within / totals[seg_sorted]

    def sample(self, segment: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Item index (into the original arrays) for each (segment, u in [0,1)) pair."""
        segment = np.asarray(segment, dtype=np.int64)
        pos = np.searchsorted(self.axis, segment + u, side="right")
        pos = np.clip(pos, self.begin[segment], self.end[segment] - 1)
        return self.items[pos]


def categorical(rng: np.random.Generator, weights: np.ndarray | tuple[float, ...], size: int) -> np.ndarray:
    """`size` draws of indices 0..k-1 (int64) with the given (unnormalised) weights."""
    cdf = np.cumsum(np.asarray(weights, dtype=np.float64))
    cdf /= cdf[-1]
    return np.minimum(np.searchsorted(cdf, rng.random(size), side="right"), len(cdf) - 1)


def format_ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """`prefix` + zero-padded numbers as an Arrow string array, built by Arrow kernels (no Python loop)."""
    digits = pc.utf8_lpad(pc.cast(pa.array(np.asarray(numbers, dtype=np.int64)), pa.string()), width, "0")
    return pc.binary_join_element_wise(pa.scalar(prefix, pa.string()), digits, "")


def lookup(values: tuple[str | None, ...] | pa.Array, index: np.ndarray) -> pa.Array:
    """Strings for integer codes, via Arrow `take` on a small dictionary; negative codes become null."""
    dictionary = values if isinstance(values, pa.Array) else pa.array(values, pa.string())
    index = np.asarray(index, dtype=np.int64)
    missing = index < 0
    idx = pa.array(np.where(missing, 0, index), mask=missing if missing.any() else None)
    return dictionary.take(idx)
