"""The Redis layout of the online store (contract v1): key names, field names and value formatting.

The contract lives in `shared/spec/ONLINE_STORE.md`; this module is its one implementation on the Python side.
Two formatters produce the same strings:

- `format_value` formats one Python value (the reference, used by `verify` and by tests);
- `format_column` formats a whole Arrow column at once (the sync's hot path, see `resp.py`).

`tests/online/test_layout.py` proves that both agree, including on the edge cases of float formatting.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from featurestore.catalog import load_catalog

CONTRACT = "v1"
DEFAULT_PREFIX = "fs:v1"
DEFAULT_TTL_DAYS = 120

FEATURE_DATE_FIELD = "_feature_date"
CONTRACT_FIELD = "_contract"

# Stored in every row of the feature log next to the features: the dates the calendar-driven values
# (tenures, days since first/last play, lifecycle stage) derive from. Redis carries them so a reader can
# bring those values forward from `_feature_date` to today (see docs/online-store.md).
ANCHOR_DATES = (
    "profile_created_date",
    "account_signup_date",
    "first_play_date",
    "last_play_date",
    "last_reactivation_date",
)
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
        anchors = [FieldSpec(name, "date", ANCHOR_CATEGORY) for name in ANCHOR_DATES]
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
        return key[len(self.profile_key_prefix):]

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


# --- a whole column (vectorised, the sync's hot path) ------------------------------------------------------

# Python's repr switches to exponent notation outside [1e-4, 1e16); Arrow's cast (shortest round-trip digits
# too) switches at other thresholds. Inside [1e-4, 1e15) both print the same digits in positional notation,
# except that Arrow drops the ".0" of integral values. Outside that range (rare for features), repr is used.
_POSITIONAL_LOW = 1e-4
_POSITIONAL_HIGH = 1e15


def format_double_column(values: pa.Array) -> pa.Array:
    """float64 -> contract strings (Python `repr`), vectorised; nulls stay null."""
    values = values.cast(pa.float64())
    text = pc.cast(values, pa.string())  # nan, inf, -inf: same text as repr
    magnitude = pc.abs(values)
    zero = pc.equal(magnitude, 0.0)
    positional = pc.or_(
        zero, pc.and_(pc.greater_equal(magnitude, _POSITIONAL_LOW), pc.less(magnitude, _POSITIONAL_HIGH))
    )
    # "0" -> "0.0", "-0" -> "-0.0", "12" -> "12.0"
    integral = pc.and_(positional, pc.equal(values, pc.floor(values)))
    text = pc.if_else(integral, pc.binary_join_element_wise(text, ".0", ""), text)
    # tiny and huge magnitudes: repr for exactly those (few) elements
    odd = pc.and_(pc.is_finite(values), pc.invert(positional))
    if pc.any(odd).as_py():
        odd = pc.fill_null(odd, False)
        replacements = pa.array([repr(v) for v in pc.filter(values, odd).to_pylist()], pa.string())
        text = pc.replace_with_mask(text, odd, replacements)
    return text


def format_column(values: pa.Array) -> pa.Array:
    """Any supported Arrow column -> contract strings (nulls stay null)."""
    kind = values.type
    if pa.types.is_floating(kind):
        return format_double_column(values)
    if pa.types.is_boolean(kind):
        return pc.if_else(values, "1", "0")
    if pa.types.is_string(kind):
        return values
    if pa.types.is_large_string(kind) or pa.types.is_string_view(kind):
        return values.cast(pa.string())
    if pa.types.is_dictionary(kind):
        return format_column(values.dictionary_decode())
    return pc.cast(values, pa.string())
