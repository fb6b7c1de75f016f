"""Compare feature rows from the warehouse with the oracle, feature by feature."""

from __future__ import annotations

from datetime import date
from typing import Any

from featurestore.catalog import load_catalog
from featurestore.parity import same_value
from tests.support.dbt import PROJECT_DIR

FEATURES = [f.name for f in load_catalog(PROJECT_DIR)]


def same(expected: Any, actual: Any) -> bool:
    # the oracle computes in another order than SQL: 1e-9 around zero as well
    return same_value(expected, actual, abs_tol=1e-9)


def differences(rows: list[dict[str, Any]], expected: dict[tuple[str, date], dict[str, Any]]) -> list[str]:
    """Human-readable mismatches (empty when every feature of every expected pair matches)."""
    got = {(r["profile_id"], r["feature_date"]): r for r in rows}
    problems = [f"missing row {key}" for key in expected if key not in got]
    problems += [f"unexpected row {key}" for key in got if key not in expected]
    for key, want in expected.items():
        row = got.get(key)
        if row is None:
            continue
        for name in FEATURES:
            if not same(want[name], row[name]):
                problems.append(f"{key[0]} {key[1]} {name}: expected {want[name]!r}, got {row[name]!r}")
    return problems
