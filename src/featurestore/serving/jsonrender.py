"""The API's JSON answers built straight from the stored bytes, without typing every value into Python.

The contract writes every value as text that is already its JSON form or nearly: integers in decimal,
doubles in shortest round-trip form (Python's `repr`: `0.1`, `1e-05`, valid JSON numbers), booleans `1`/`0`,
strings. So a profile's JSON object is spliced from the hash's bytes: numbers as they are, `1`/`0` as
`true`/`false`, strings quoted and escaped (orjson), a missing field (NULL) as `null`. Only the calendar
features of a profile whose row is older than the answer's date are parsed and recomputed
(`online.asof`'s rules: day counts + elapsed days, lifecycle stage, `is_reactivated_7d`,
`watch_minutes_1d` = 0).

Why: typing 100 profiles x 62 values into Python objects (`decode.ProfileDecoder`, ~3 ms, a third of it
`float()`) and serializing them again (orjson, ~1 ms) was most of a batch's CPU in the server (measured in
docs/serving.md); splicing costs ~1 ms. `tests/online/test_dbt_integration.py` checks the answers against
dbt's as-of view for every feature of every live profile, JSON types included.

A double that is not a finite number (`nan`, `inf`: no feature produces one) is answered as `null`, as
orjson does for non-finite floats; an int field that is not an integer is answered as a JSON string.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date

import orjson

from featurestore.online.asof import DAY_COUNTS, lifecycle_stage
from featurestore.online.layout import FEATURE_DATE_FIELD

_FEATURE_DATE = FEATURE_DATE_FIELD.encode()
_REACTIVATION = b"last_reactivation_date"
_INT, _DOUBLE, _BOOL, _STRING, _DATE = range(5)
_KINDS = {"int": _INT, "double": _DOUBLE, "boolean": _BOOL, "string": _STRING, "date": _DATE}


class _Dates(dict[bytes, date]):
    LIMIT = 50_000

    def __missing__(self, key: bytes) -> date:
        value = date.fromisoformat(key.decode())
        if len(self) < self.LIMIT:
            self[key] = value
        return value


def _string(raw: bytes) -> bytes:
    return orjson.dumps(raw.decode())


def _number(raw: bytes, kind: int) -> bytes:
    if kind == _INT:
        return raw if raw.lstrip(b"-").isdigit() else _string(raw)
    return b"null" if (b"n" in raw or b"N" in raw) else raw  # nan / inf are not JSON numbers


# A value token that cannot start a JSON value right after a key (a hash edited by hand, `nan`, `inf`): the
# answer is then rebuilt value by value. Strings holding ":" may match too; that only costs the slow path.
_SUSPECT = re.compile(rb':(?!-?[0-9][0-9.eE+-]*[,}]|"|true[,}]|false[,}]|null[,}])')


class JsonRenderer:
    """JSON answers for one schema: `features` (names, in answer order), `types` (name -> contract type)."""

    def __init__(self, features: Sequence[str], types: Mapping[str, str]) -> None:
        self.features = list(features)
        self._fields = [
            (name.encode(), orjson.dumps(name) + b":", _KINDS.get(types.get(name, "string"), _STRING))
            for name in self.features
        ]
        self._numbers = [(key, prefix) for key, prefix, kind in self._fields if kind in (_INT, _DOUBLE)]
        self._booleans = [(key, prefix) for key, prefix, kind in self._fields if kind == _BOOL]
        self._strings = [(key, prefix) for key, prefix, kind in self._fields if kind in (_STRING, _DATE)]
        self._dates = _Dates()

    def stored_date(self, values: Mapping[bytes, bytes]) -> date | None:
        raw = values.get(_FEATURE_DATE)
        return self._dates[raw] if raw else None

    def _calendar(self, values: dict[bytes, bytes], elapsed: int, as_of: date) -> None:
        """`values` (a hash's fields) brought forward by `elapsed` > 0 days, in place, as contract bytes."""
        counts: dict[str, int | None] = {}
        for name in DAY_COUNTS:
            key = name.encode()
            raw = values.get(key)
            counts[name] = None if raw is None else int(raw) + elapsed
            if raw is not None:
                values[key] = str(counts[name]).encode()
        stage = lifecycle_stage(counts["profile_tenure_days"], counts["days_since_last_play"])
        values[b"lifecycle_stage"] = stage.encode()
        reactivated = values.get(_REACTIVATION)
        values[b"is_reactivated_7d"] = (
            b"1" if reactivated is not None and (as_of - self._dates[reactivated]).days <= 6 else b"0"
        )
        values[b"watch_minutes_1d"] = b"0.0"

    def _object(self, values: dict[bytes, bytes]) -> bytes:
        """The JSON object of one profile's (brought-forward) values: numbers spliced as they are."""
        get = values.get
        parts = [prefix + (get(key) or b"null") for key, prefix in self._numbers]
        parts += [
            prefix + (b"null" if (v := get(key)) is None else (b"true" if v == b"1" else b"false"))
            for key, prefix in self._booleans
        ]
        parts += [
            prefix + (b"null" if (v := get(key)) is None else _string(v)) for key, prefix in self._strings
        ]
        return b"{" + b",".join(parts) + b"}"

    def _object_checked(self, values: dict[bytes, bytes]) -> bytes:
        """The same, every number checked (`nan`/`inf` -> null, a non-integer int -> a string)."""
        parts = []
        get = values.get
        for key, prefix, kind in self._fields:
            raw = get(key)
            if raw is None:
                parts.append(prefix + b"null")
            elif kind == _DOUBLE or kind == _INT:
                parts.append(prefix + _number(raw, kind))
            elif kind == _BOOL:
                parts.append(prefix + (b"true" if raw == b"1" else b"false"))
            else:
                parts.append(prefix + _string(raw))
        return b"{" + b",".join(parts) + b"}"

    def profile(self, values: dict[bytes, bytes], as_of: date | None) -> bytes:
        """One profile's JSON object (every feature; NULL as null), brought forward to `as_of`."""
        if as_of is not None:
            stored = self.stored_date(values)
            if stored is not None and as_of > stored:
                self._calendar(values, (as_of - stored).days, as_of)
        body = self._object(values)
        return self._object_checked(values) if _SUSPECT.search(body) else body

    def answer(
        self,
        profiles: Mapping[str, Sequence[bytes] | None],
        requested: date | None,
        store_date: date | None,
        contract: str,
    ) -> tuple[date | None, bytes]:
        """(the answer's date, the whole JSON answer) for stored flat replies (None: missing).

        The answer's date: `requested` or the store's date, moved up to the newest stored row in the batch
        (while a sync is writing): the same rule as `client.reading_date`."""
        hashes: dict[str, dict[bytes, bytes] | None] = {}
        newest: date | None = None
        for pid, reply in profiles.items():
            if reply is None:
                hashes[pid] = None
                continue
            it = iter(reply)
            values = dict(zip(it, it, strict=True))
            hashes[pid] = values
            stored = self.stored_date(values)
            if stored is not None and (newest is None or stored > newest):
                newest = stored
        target = requested or store_date
        if target is None or (newest is not None and newest > target):
            target = newest
        body = [
            b'{"feature_date":',
            orjson.dumps(target),
            b',"contract":',
            orjson.dumps(contract),
            b',"profiles":{',
        ]
        items = []
        for pid, values in hashes.items():
            items.append(
                orjson.dumps(pid) + b":" + (b"null" if values is None else self.profile(values, target))
            )
        body.append(b",".join(items))
        body.append(b"}}")
        return target, b"".join(body)
