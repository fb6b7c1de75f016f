"""Connecting to the online store, and the Python client that reads it.

    from featurestore.online.client import OnlineStoreClient

    store = OnlineStoreClient()                      # REDIS_URL (or the local Redis), FS_PREFIX
    rows = store.get_many(["p-0000051", "p-404"])     # one round trip, values as of the store's feature date
    rows["p-0000051"]["days_since_last_play"]        # as of meta feature_date, not as of the stored row
    rows["p-0000051"]["watch_minutes_7d"]             # 448.35 (float), ints as int, booleans as bool
    rows["p-404"]                                     # None: not in the store (not an error)
    store.get_many(["p-0000051"], as_of=date(2026, 10, 1))  # a later day (not before the store's date)
    store.meta().feature_date                         # datetime.date

Every read returns each profile's values **as of the store's feature date** (meta `feature_date`, read in the
same round trip) or a given later `as_of`: the stored row brought forward (`asof.py`), equal to dbt's
`profile_features_as_of` for that date. `get_stored_many` returns the hashes as stored.

Values are typed with the `schema` published in `<prefix>:meta` (int, double, boolean, string, date), so the
client follows the store it reads, not the catalog of the checkout it runs from.

Reads speak RESP2 (an HGETALL reply is a flat list, which hiredis builds in C without hashing a field name;
under redis-py's default RESP3 it builds a dict of bytes first, ~1.4 ms per 100 profiles) and, on a standalone
Redis, send the whole batch as one pre-packed buffer on one pooled connection and read the replies back in
order, without redis-py's per-command pipeline machinery (~2 ms per 100 commands). Typing: `decode.py`.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import chain
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import redis
from redis.backoff import NoBackoff
from redis.cluster import RedisCluster
from redis.retry import Retry

from featurestore.online import OnlineStoreError
from featurestore.online.asof import AsOfError, bring_forward_in_place
from featurestore.online.decode import ProfileDecoder
from featurestore.online.layout import FEATURE_DATE_FIELD, Layout, configured_prefix
from featurestore.paths import ProjectPaths

RedisLike = redis.Redis | RedisCluster


def redact(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<invalid REDIS_URL>"
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, f"{user}:***@{host}", parts.path, parts.query, parts.fragment))


def resolve_url(url: str | None = None, start_local: bool = False, paths: ProjectPaths | None = None) -> str:
    """`url`, else REDIS_URL, else the local Redis (started when `start_local`)."""
    if url:
        return url
    if env := os.environ.get("REDIS_URL"):
        return env
    from featurestore.online.server import ensure_local_redis, local_server

    if start_local:
        return ensure_local_redis(paths)
    return local_server(paths).url


def _retry() -> Retry:
    # one immediate retry (a pooled connection the server closed), no backoff: fail fast with a clear message
    return Retry(NoBackoff(), 1)


def _refused(where: str, reason: str) -> str:
    return (
        f"Redis at {where} refused the credentials: {reason.rstrip('.')}. Set REDIS_URL to its current "
        "password (redis://:PASSWORD@host:port/db, or redis://USER:PASSWORD@... for an ACL user)."
    )


def open_redis(url: str, socket_timeout: float | None = 60.0, protocol: int | None = None) -> RedisLike:
    """A connected client (standalone or cluster, detected with INFO), or OnlineStoreError(exit_code=2).

    `protocol`: 2 or 3 (RESP version); None: redis-py's default."""
    where = redact(url)
    options: dict[str, Any] = {} if protocol is None else {"protocol": protocol}
    try:
        client: RedisLike = redis.Redis.from_url(
            url,
            socket_connect_timeout=5,
            socket_timeout=socket_timeout,
            decode_responses=False,
            retry=_retry(),
            **options,
        )
        client.ping()
        cluster_enabled = int(client.info("cluster").get("cluster_enabled", 0))
    except redis.AuthenticationError as exc:
        raise OnlineStoreError(_refused(where, str(exc)), exit_code=2) from exc
    except redis.ResponseError as exc:
        text = str(exc)
        if "NOAUTH" in text or "WRONGPASS" in text or "AUTH" in text:
            raise OnlineStoreError(_refused(where, text), exit_code=2) from exc
        raise OnlineStoreError(f"Redis at {where} answered with an error: {text}", exit_code=2) from exc
    except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
        raise OnlineStoreError(f"Cannot reach Redis at {where}: {exc}", exit_code=2) from exc
    except ValueError as exc:  # a malformed URL
        raise OnlineStoreError(f"Invalid REDIS_URL {where}: {exc}", exit_code=2) from exc
    if cluster_enabled:
        client.close()
        try:
            client = RedisCluster.from_url(
                url,
                socket_connect_timeout=5,
                socket_timeout=socket_timeout,
                decode_responses=False,
                retry=_retry(),
                **options,
            )
            client.ping(target_nodes=RedisCluster.PRIMARIES)
        except redis.RedisError as exc:
            raise OnlineStoreError(f"Cannot use the Redis Cluster at {where}: {exc}", exit_code=2) from exc
    return client


@dataclass(frozen=True)
class StoreMeta:
    """`<prefix>:meta`: what the last completed sync loaded."""

    feature_date: date | None
    loaded_at: str | None
    profiles: int | None
    features: int | None
    schema: list[dict[str, str]] = field(default_factory=list)
    raw: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_hash(cls, values: dict[bytes, bytes] | dict[str, str]) -> "StoreMeta":
        raw = {_text(k): _text(v) for k, v in values.items()}
        return cls(
            feature_date=date.fromisoformat(raw["feature_date"]) if raw.get("feature_date") else None,
            loaded_at=raw.get("loaded_at"),
            profiles=int(raw["profiles"]) if raw.get("profiles") else None,
            features=int(raw["features"]) if raw.get("features") else None,
            schema=json.loads(raw["schema"]) if raw.get("schema") else [],
            raw=raw,
        )

    @property
    def types(self) -> dict[str, str]:
        return {entry["name"]: entry["type"] for entry in self.schema}


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def read_meta(client: RedisLike, layout: Layout) -> StoreMeta | None:
    values = client.hgetall(layout.meta_key)
    return StoreMeta.from_hash(values) if values else None


def packed_command(*parts: bytes) -> bytes:
    """The RESP bytes of one command."""
    return b"*%d\r\n" % len(parts) + b"".join(b"$%d\r\n%s\r\n" % (len(p), p) for p in parts)


def hgetall_command(key: bytes) -> bytes:
    """The RESP bytes of `HGETALL key`."""
    return b"*2\r\n$7\r\nHGETALL\r\n$%d\r\n%s\r\n" % (len(key), key)


def packed_batch(client: redis.Redis, payload: bytes, replies: int) -> list[Any]:
    """Send pre-packed commands in one buffer on one pooled connection; read `replies` replies in order.

    A connection error is retried once on a fresh connection (the client's Retry policy; reads are
    idempotent); any other error closes the connection (its unread replies must not reach the next user).
    """
    pool = client.connection_pool
    conn = pool.get_connection()

    def exchange() -> list[Any]:
        conn.send_packed_command([payload], check_health=False)
        return [conn.read_response() for _ in range(replies)]

    try:
        return conn.retry.call_with_retry(exchange, lambda _error: conn.disconnect())  # type: ignore[no-any-return]
    except BaseException:
        conn.disconnect()
        raise
    finally:
        pool.release(conn)


def hgetall_batch(client: redis.Redis, keys: Sequence[bytes]) -> list[list[bytes]]:
    """HGETALL of every key in one round trip (`packed_batch`). With a RESP2 connection each reply is a flat
    `[field, value, ...]` list ([]: no such key)."""
    return packed_batch(client, b"".join(map(hgetall_command, keys)), len(keys))


@dataclass(frozen=True)
class Reading:
    """Profiles read in one round trip, every one as of `feature_date`.

    `feature_date` is the requested `as_of`, else the store's feature date (meta). While a sync is writing
    (meta still at the previous date), a profile already rewritten may hold a newer row: the whole reading is
    then as of that newer date, so no profile is ever brought backwards. None: an empty store."""

    feature_date: date | None
    profiles: dict[str, dict[str, Any] | None]


def reading_date(requested: date | None, store_date: date | None, stored: Iterable[date]) -> date | None:
    """The as-of date of a reading: `requested` or the store's date, moved up to the newest stored row."""
    target = requested or store_date
    newest = max(stored, default=None)
    if target is None:
        return newest
    return newest if newest is not None and newest > target else target


def check_as_of(as_of: date | None, store_date: date | None) -> None:
    """AsOfError unless `as_of` is None or not before the store's feature date."""
    if as_of is not None and store_date is not None and as_of < store_date:
        raise AsOfError(
            f"as_of {as_of} is before the online store's feature date {store_date}: Redis holds each "
            "profile's current values only. Ask for a date on or after it, or read the past from the "
            "warehouse (`featurestore training-set`, the profile_features_as_of macro)."
        )


def bring_forward_all(
    rows: dict[str, dict[str, Any] | None], as_of: date | None, store_date: date | None
) -> Reading:
    """Decoded stored rows -> a Reading as of `reading_date(...)` (rows changed in place)."""
    check_as_of(as_of, store_date)
    found = [row for row in rows.values() if row is not None]
    target = reading_date(as_of, store_date, (row[FEATURE_DATE_FIELD] for row in found))
    if target is not None:
        for row in found:
            bring_forward_in_place(row, target)
    return Reading(target, rows)


class OnlineStoreClient:
    """Batch reads of the online store, typed with the schema in meta.

    `url`: a Redis URL (default REDIS_URL, else the local Redis of this checkout);
    `prefix`: default FS_PREFIX.
    """

    META_MAX_AGE_SECONDS = 60.0

    def __init__(self, url: str | None = None, prefix: str | None = None) -> None:
        self.url = resolve_url(url)
        self.prefix = prefix or configured_prefix()
        self._layout = Layout(self.prefix, ())
        self._client = open_redis(self.url, socket_timeout=10.0, protocol=2)
        self._meta: StoreMeta | None = None
        self._meta_read_at = 0.0
        self._decoder = ProfileDecoder({})

    @property
    def redis(self) -> RedisLike:
        return self._client

    def meta(self) -> StoreMeta | None:
        """The store's meta, read now (None before the first completed sync)."""
        self._set_meta(read_meta(self._client, self._layout))
        return self._meta

    def _set_meta(self, meta: StoreMeta | None) -> None:
        if meta is None or self._meta is None or meta.schema != self._meta.schema:
            self._decoder = ProfileDecoder(meta.types if meta else {})
        self._meta = meta
        self._meta_read_at = time.monotonic()

    def _round_trip(self, profile_ids: Iterable[str]) -> tuple[list[str], dict[str, dict[str, Any] | None]]:
        """One round trip: `HGET meta feature_date` (and the whole meta when due) and HGETALL of every id.

        The schema comes from meta, cached for `META_MAX_AGE_SECONDS` and re-read at once when the store's
        feature date moves (a sync completed)."""
        ids: list[str] = list(dict.fromkeys(profile_ids))
        meta_key = self._layout.meta_key.encode()
        refresh = self._meta is None or time.monotonic() - self._meta_read_at > self.META_MAX_AGE_SECONDS
        keys = [self._layout.profile_key(pid).encode() for pid in ids]
        if isinstance(self._client, RedisCluster):
            pipe = self._client.pipeline(transaction=False)
            pipe.hget(meta_key, "feature_date")
            for key in keys:
                pipe.hgetall(key)
            if refresh:
                pipe.hgetall(meta_key)
            results = pipe.execute()
            replies: list[Any] = [results[0]] + [
                list(chain.from_iterable(reply.items())) for reply in results[1:]
            ]
        else:
            payload = packed_command(b"HGET", meta_key, b"feature_date") + b"".join(
                map(hgetall_command, keys + ([meta_key] if refresh else []))
            )
            replies = packed_batch(self._client, payload, len(keys) + 1 + refresh)  # type: ignore[arg-type]
        if refresh:
            meta_hash = replies.pop()
            meta = dict(zip(meta_hash[0::2], meta_hash[1::2], strict=True))
            self._set_meta(StoreMeta.from_hash(meta) if meta else None)
        elif (self._meta.feature_date if self._meta else None) != (
            date.fromisoformat(_text(replies[0])) if replies[0] else None
        ):
            self.meta()  # a sync completed since meta was read (or the store was emptied): schema may differ
        flat = self._decoder.flat
        rows = {pid: (flat(reply) if reply else None) for pid, reply in zip(ids, replies[1:], strict=True)}
        return ids, rows

    def read(self, profile_ids: Iterable[str], as_of: date | None = None) -> Reading:
        """Every requested profile -> its typed values as of `as_of` (default: the store's feature date), or
        None when the store has no such profile. One round trip: pipelined HGETALL, no transaction (on a
        cluster, one per node). AsOfError (a ValueError) when `as_of` is before the store's feature date."""
        if self._meta is not None:
            check_as_of(as_of, self._meta.feature_date)
        _, rows = self._round_trip(profile_ids)
        return bring_forward_all(rows, as_of, self._meta.feature_date if self._meta else None)

    def get_many(
        self, profile_ids: Iterable[str], as_of: date | None = None
    ) -> dict[str, dict[str, Any] | None]:
        """`read(...).profiles`: each profile's values as of `as_of` or the store's feature date.

        A profile's dict holds its non-NULL features (NULL: no key), `last_reactivation_date`,
        `_feature_date` (the as-of date of the values), `_source_feature_date` (the date of the stored row)
        and `_contract`."""
        return self.read(profile_ids, as_of).profiles

    def get(self, profile_id: str, as_of: date | None = None) -> dict[str, Any] | None:
        return self.get_many([profile_id], as_of)[profile_id]

    def get_stored_many(self, profile_ids: Iterable[str]) -> dict[str, dict[str, Any] | None]:
        """The hashes as stored (values as of each one's own `_feature_date`), typed; None when missing."""
        return self._round_trip(profile_ids)[1]

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> "OnlineStoreClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
