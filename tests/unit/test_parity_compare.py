"""The parity comparator on two hand-made feature logs: what counts as a difference and how it is named."""

from __future__ import annotations

import duckdb
import pytest

from featurestore.parity import compare_relations, same_value

LOG = """
    select * from (values
        ('p1', date '2026-08-02', 30.0::double, 'basic', 3::bigint),
        ('p1', date '2026-08-03', 45.5, 'basic', 4),
        ('p2', date '2026-08-03', 12.5, 'premium', 1)
    ) as t(profile_id, feature_date, watch_minutes_7d, plan_tier, plays_7d)
"""


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(f"create table local_log as {LOG}")
    con.execute(f"create table spark_log as {LOG}")
    return con


def test_identical_logs_and_rounding_noise_agree(con: duckdb.DuckDBPyConnection) -> None:
    # 45.5 * (1 + 1e-12): a relative error a thousand times below the tolerance
    con.execute(
        "update spark_log set watch_minutes_7d = 45.5 * (1 + 1e-12) where profile_id = 'p1' and feature_date = '2026-08-03'"
    )
    result = compare_relations(con, "local_log", "spark_log")
    assert (result.left_rows, result.right_rows, result.total) == (3, 3, 0)
    assert result.columns == ["watch_minutes_7d", "plan_tier", "plays_7d"]


def test_a_planted_difference_is_named_by_profile_date_and_feature(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("update spark_log set watch_minutes_7d = 12.6 where profile_id = 'p2'")
    result = compare_relations(con, "local_log", "spark_log")
    assert result.total == 1
    assert [d.describe() for d in result.first] == ["profile p2 on 2026-08-03: watch_minutes_7d local=12.5 spark=12.6"]


def test_strings_integers_and_missing_rows_are_exact(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("update spark_log set plan_tier = 'standard', plays_7d = 5 where feature_date = '2026-08-02'")
    con.execute("delete from spark_log where profile_id = 'p2'")
    con.execute("insert into spark_log values ('p3', date '2026-08-01', 0.0, 'basic', 0)")
    result = compare_relations(con, "local_log", "spark_log", limit=3)
    assert result.total == 4  # two values of p1 on 08-02, p2 missing on spark, p3 only on spark
    assert [d.describe() for d in result.first] == [
        "profile p1 on 2026-08-02: plan_tier local='basic' spark='standard'",
        "profile p1 on 2026-08-02: plays_7d local=3 spark=5",
        "profile p2 on 2026-08-03: row only on local",
    ]


@pytest.mark.parametrize(
    ("left", "right", "agree"),
    [
        (1.0, 1.0 + 1e-10, True),  # 1e-10 relative
        (1.0, 1.0 + 1e-8, False),  # 1e-8 relative
        (0.0, 1e-15, True),  # noise around zero
        (None, None, True),
        (None, 0.0, False),
        (3, 3.0, True),
        ("a", "b", False),
    ],
)
def test_same_value(left: object, right: object, agree: bool) -> None:
    assert same_value(left, right) is agree
