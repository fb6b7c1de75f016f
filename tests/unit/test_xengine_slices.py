"""Slices of featurestore.xengine on a real DuckDB: every profile (account) is read by exactly one slice."""

from __future__ import annotations

import duckdb
import pytest

from featurestore import xengine

PLAYS = '"memory"."main"."plays"'
PROFILES = '"memory"."main"."profiles"'


@pytest.fixture()
def connection() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    # profile p-k (k = 0..6) plays i = k, k + 7, ..., k + 63 seconds; accounts a-0 (p-0..p-2), a-1 (p-3..p-6)
    con.execute("create table plays as select 'p-' || (i % 7) as profile_id, i as seconds from range(70) as r(i)")
    con.execute(
        "create table profiles as select 'p-' || k as profile_id, 'a-' || (k // 3 > 0)::int as account_id "
        "from range(7) as r(k)"
    )
    return con


def sliced_rows(con: duckdb.DuckDBPyConnection, sql: str, key: str, members: str | None) -> dict[str, list[int]]:
    seen: dict[str, list[int]] = {}
    for index in range(3):
        filters = xengine.slice_filters(con, [PLAYS], key, members, 3, index)
        for profile_id, seconds in con.execute(xengine.in_slice(sql, filters)).fetchall():
            seen.setdefault(profile_id, []).append(int(seconds))
    return seen


QUERY = f"WITH t AS (SELECT profile_id, seconds FROM {PLAYS}) SELECT profile_id, sum(seconds) AS s FROM t GROUP BY 1"


def test_each_profile_is_read_by_exactly_one_slice(connection: duckdb.DuckDBPyConnection) -> None:
    # 10 rows per profile summing to 10k + 315, all in one slice
    assert sliced_rows(connection, QUERY, "profile_id", None) == {f"p-{k}": [10 * k + 315] for k in range(7)}


def test_slices_by_account_read_a_table_without_it_through_the_members(
    connection: duckdb.DuckDBPyConnection,
) -> None:
    assert sliced_rows(connection, QUERY, "account_id", PROFILES) == {f"p-{k}": [10 * k + 315] for k in range(7)}
    slice_of = {}
    for index in range(3):
        condition = xengine.slice_filters(connection, [PLAYS], "account_id", PROFILES, 3, index)[PLAYS]
        for (profile_id,) in connection.execute(f"select distinct profile_id from plays where {condition}").fetchall():
            slice_of[profile_id] = index
    assert len({slice_of[f"p-{k}"] for k in range(3)}) == 1  # a-0's members together
    assert len({slice_of[f"p-{k}"] for k in range(3, 7)}) == 1  # a-1's members together


def test_a_table_read_other_than_from_is_refused(connection: duckdb.DuckDBPyConnection) -> None:
    sql = f"SELECT {PLAYS}.profile_id FROM {PLAYS}"
    with pytest.raises(RuntimeError, match="cannot slice it"):
        xengine.in_slice(sql, xengine.slice_filters(connection, [PLAYS], "profile_id", None, 2, 0))


def test_a_table_without_the_key_and_no_members_is_refused(connection: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(RuntimeError, match="has no account_id column"):
        xengine.slice_filters(connection, [PLAYS], "account_id", None, 2, 0)
