"""The golden feature test on the local Spark target: SQL models on Spark SQL, Python models on PySpark."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.conftest import reset_raw_dir
from tests.functional import golden_cases as golden
from tests.functional.features_compare import differences
from tests.support.dbt import DbtHarness, point_in_time
from tests.support.gold import write_gold

pytestmark = pytest.mark.spark


def test_every_feature_matches_the_oracle_on_spark(spark_project: DbtHarness) -> None:
    reset_raw_dir(spark_project)
    write_gold(spark_project.raw_dir, golden.gold_tables())
    outcome = spark_project.build("--full-refresh")
    assert outcome.success, outcome.text

    pairs = golden.live_pairs()
    path = spark_project.root / "requests.parquet"
    pq.write_table(pa.table({"profile_id": [p for p, _ in pairs], "as_of_date": [d for _, d in pairs]}), path)
    rows = point_in_time(spark_project, f"parquet.`{path}`", "as_of_date")
    model = golden.oracle()
    problems = differences(rows, {(p, day): model.features(p, day) for p, day in pairs})
    assert not problems, f"{len(problems)} mismatches, first ones:\n" + "\n".join(problems[:40])
