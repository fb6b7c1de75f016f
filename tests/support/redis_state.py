"""Everything a Redis holds, in a form two runs can be compared by: key for key, hash for hash."""

from __future__ import annotations

import math

import redis

RedisState = dict[bytes, tuple[dict[bytes, bytes], int]]


def redis_state(client: redis.Redis, meta_key: bytes = b"fs:v1:meta") -> RedisState:
    """Every key: its hash and its TTL in whole days (-1: none). meta's loaded_at (a wall-clock time) is left
    out; the sync sets EXPIRE to a whole number of days, so the seconds elapsed since do not matter."""
    state: RedisState = {}
    for key in client.scan_iter(match="*", count=1000):
        assert client.type(key) == b"hash", key
        value = client.hgetall(key)
        if key == meta_key:
            value.pop(b"loaded_at", None)
        ttl = client.ttl(key)
        state[key] = (value, -1 if ttl < 0 else math.ceil(ttl / 86400))
    return state


def torn_keys(
    state: RedisState, before: RedisState, after: RedisState, meta_key: bytes = b"fs:v1:meta"
) -> list[bytes]:
    """Profile keys whose content is neither what they held before a sync nor what a clean sync leaves."""
    return [
        key
        for key, value in state.items()
        if key != meta_key and value not in (before.get(key), after.get(key))
    ]


def wait_for_execs(client: redis.Redis, count: int, timeout: float = 30) -> None:
    """Until Redis has executed `count` transactions since it started (INFO commandstats)."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        stats = client.info("commandstats").get("cmdstat_exec")
        if stats and int(stats["calls"]) >= count:
            return
        assert time.monotonic() < deadline, "Redis did not execute the relayed transactions"
        time.sleep(0.02)
