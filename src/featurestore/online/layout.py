"""The Redis layout of the online store (contract v1): key names, field names and value formatting.

The contract is documented in `docs/online-store.md`; this module is its one implementation on the Python side.
Two implementations produce the same strings:

- `format_value` formats one Python value: the reference, used by `verify` and by tests;
- `resp.value_sql` renders a whole column in DuckDB: the sync's hot path (see `resp.py`).

`tests/online/test_layout.py` proves that both agree, including on the edge cases of float formatting.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pyarrow as pa

from featurestore.catalog import load_catalog

CONTRACT = "v1"
DEFAULT_PREFIX = "fs:v1"
DEFAULT_TTL_DAYS = 120

FEATURE_DATE_FIELD = "_feature_date"
CONTRACT_FIELD = "_contract"

# Stored in every row of the feature log next to the features: the dates the calendar-driven values
# (tenures, days since first/last play, lifecycle stage, is_reactivated_7d) derive from. The sync reads
# last_play_date and profile_created_date for the TTL rule.
ANCHOR_DATES = (
    "profile_created_date",
    "account_signup_date",
    "first_play_date",
    "last_play_date",
    "last_reactivation_date",
)
# Anchors Redis carries. The other four are not stored: each is `_feature_date` minus a day-count feature of
# the same row (profile_tenure_days, account_tenure_days, days_since_first_play, days_since_last_play), so a
# reader brings those features forward by adding the days elapsed since `_feature_date` (`asof.py`). Only
# is_reactivated_7d needs a date no feature gives back. Measured: the four cost ~300 bytes of Redis memory
# per profile (they push the hash past jemalloc's 2,048-byte size class) and ~4% of write throughput.
STORED_ANCHOR_DATES = ("last_reactivation_date",)
# Columns of the feature log the sync reads besides the stored fields (the TTL anchor).
TTL_ANCHOR_COLUMNS = ("last_play_date", "profile_created_date")
ANCHOR_CATEGORY = "anchor_date"

# Catalog data types -> the Arrow types the published table is allowed to have for them.
_COMPATIBLE = {
    "int": (pa.types.is_integer,),
    "double": (pa.types.is_floating,),
    "boolean": (pa.types.is_boolean,),
    "string": (pa.types.is_string, pa.types.is_large_string),
    "date": (pa.types.is_date,),
}


@dataclass(frozen=True)
class FieldSpec:
    """One value field of a profile hash: its name, contract type and category."""

    name: str
    type: str  # int | double | boolean | string | date
    category: str

    def as_schema_entry(self) -> dict[str, str]:
        return {"name": self.name, "type": self.type, "category": self.category}

    def accepts(self, arrow_type: pa.DataType) -> bool:
        return any(check(arrow_type) for check in _COMPATIBLE.get(self.type, ()))


@dataclass(frozen=True)
class Layout:
    """Key names and the field list of one online store (one prefix)."""

    prefix: str
    fields: tuple[FieldSpec, ...]

    @classmethod
    def from_catalog(cls, prefix: str | None = None, project_dir: Path | None = None) -> "Layout":
        features = [FieldSpec(f.name, f.data_type, f.category) for f in load_catalog(project_dir)]
        anchors = [FieldSpec(name, "date", ANCHOR_CATEGORY) for name in STORED_ANCHOR_DATES]
        return cls(prefix or configured_prefix(), tuple(features + anchors))

    @property
    def features(self) -> tuple[FieldSpec, ...]:
        return tuple(f for f in self.fields if f.category != ANCHOR_CATEGORY)

    @property
    def meta_key(self) -> str:
        return f"{self.prefix}:meta"

    @property
    def profile_key_prefix(self) -> str:
        return f"{self.prefix}:profile:"

    def profile_key(self, profile_id: str) -> str:
        return f"{self.prefix}:profile:{profile_id}"

    def profile_id_of(self, key: str) -> str:
        return key[len(self.profile_key_prefix) :]

    @property
    def scan_pattern(self) -> str:
        """SCAN MATCH pattern of every profile key (glob characters of the prefix escaped)."""
        escaped = "".join("\\" + c if c in "*?[]\\" else c for c in self.profile_key_prefix)
        return escaped + "*"

    def schema_json(self) -> str:
        return json.dumps([f.as_schema_entry() for f in self.fields], separators=(",", ":"))


def configured_prefix() -> str:
    return os.environ.get("FS_PREFIX") or DEFAULT_PREFIX


def configured_ttl_days() -> int:
    """`FS_TTL_DAYS` (default 120); 0 disables expiry."""
    raw = os.environ.get("FS_TTL_DAYS")
    if raw is None or raw.strip() == "":
        return DEFAULT_TTL_DAYS
    try:
        value = int(raw)
    except ValueError as exc:
        raise ValueError(f"FS_TTL_DAYS must be a whole number of days, got {raw!r}") from exc
    if value < 0:
        raise ValueError(f"FS_TTL_DAYS must be >= 0 (0 disables expiry), got {value}")
    return value


# --- one value (reference implementation) ------------------------------------------------------------------


def format_value(value: object) -> str | None:
    """Contract formatting of one value; None means "no field" (a NULL)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def parse_value(text: str, type_name: str) -> object:
    """Inverse of `format_value` for a contract type (what the client returns)."""
    if type_name == "int":
        return int(text)
    if type_name == "double":
        return float(text)
    if type_name == "boolean":
        return text == "1"
    if type_name == "date":
        return date.fromisoformat(text)
    return text
