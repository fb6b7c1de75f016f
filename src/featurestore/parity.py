"""Engine parity: `profile_features` built by DuckDB (`local`) and by Spark (`spark`) from the same Gold data,
compared value for value.

Both builds run with `--full-refresh`, only `profile_features` and what it is built from, without the data tests
(`BUILD_ARGS`), in a scratch folder (their own warehouse, Spark warehouse and dbt target folder); the user's warehouse, target/ and Spark metastore are never opened. The Spark table is exported to
Parquet by the Spark session that built it, then DuckDB joins the two logs on (profile_id, feature_date) and
hands the joined rows over in batches, so memory stays flat whatever the size of the log. Doubles agree when
they are within 1e-9 of each other relatively (`same_value`): the engines add in different orders; every other
type must be equal.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from featurestore import pipeline
from featurestore.env import temporary_environment
from featurestore.failures import EXIT_FAILED, EXIT_INPUT, FeaturestoreError
from featurestore.paths import ProjectPaths

logger = logging.getLogger(__name__)

KEYS = ("profile_id", "feature_date")
PUBLISHED_TABLE = {"local": "main_marts.profile_features", "spark": "featurestore_marts.profile_features"}
REL_TOL = 1e-9
ABS_TOL = 1e-12  # below this both values are rounding noise around zero (a share of 0 vs 1e-17)
BATCH_ROWS = 50_000
# The data tests judge the data, not the engines, and every other build runs them; on two cores they are most
# of a small Spark build (153 of 195 nodes). Without them a check that would fail does not stop the comparison.
# The models downstream of the log (latest, BI and CRM marts) are not compared, so not built.
BUILD_ARGS = ["--select", "+profile_features", "--exclude-resource-type", "test", "--exclude-resource-type",
              "unit_test"]


def same_value(left: Any, right: Any, abs_tol: float = ABS_TOL) -> bool:
    """Do two engines agree on a value? Floats within REL_TOL relatively (or `abs_tol` around zero); anything
    else exactly."""
    if left is None or right is None:
        return left is None and right is None
    if isinstance(left, float) or isinstance(right, float):
        left_f, right_f = float(left), float(right)
        if math.isnan(left_f) or math.isnan(right_f):
            return math.isnan(left_f) and math.isnan(right_f)
        return math.isclose(left_f, right_f, rel_tol=REL_TOL, abs_tol=abs_tol)
    return bool(left == right)


@dataclass(frozen=True)
class Difference:
    """One disagreement: a value of a feature, or a row only one engine has (`column` None)."""

    profile_id: str
    feature_date: Any
    column: str | None
    left: Any = None
    right: Any = None
    only_in: str | None = None

    def describe(self, left_name: str = "local", right_name: str = "spark") -> str:
        where = f"profile {self.profile_id} on {self.feature_date}"
        if self.column is None:
            return f"{where}: row only on {self.only_in}"
        return f"{where}: {self.column} {left_name}={self.left!r} {right_name}={self.right!r}"


@dataclass
class Comparison:
    left_rows: int = 0
    right_rows: int = 0
    total: int = 0  # differences found (all of them)
    first: list[Difference] = field(default_factory=list)  # the first `limit`, in key order
    columns: list[str] = field(default_factory=list)


def compare_relations(
    con: duckdb.DuckDBPyConnection,
    left: str,
    right: str,
    *,
    left_name: str = "local",
    right_name: str = "spark",
    limit: int = 20,
    on_progress: Callable[[int], None] | None = None,
) -> Comparison:
    """Compare two relations of the same columns (readable by `con`) row by row on KEYS."""
    left_columns = [row[0] for row in con.execute(f"describe select * from {left}").fetchall()]
    right_columns = {row[0] for row in con.execute(f"describe select * from {right}").fetchall()}
    missing = [c for c in left_columns if c not in right_columns] + [
        f"{c} (only on {right_name})" for c in sorted(right_columns - set(left_columns))
    ]
    if missing:
        raise FeaturestoreError(
            f"profile_features has different columns on {left_name} and {right_name}: {', '.join(missing)}. "
            "Both builds ran the same models, so this is an engine-specific model bug.",
            EXIT_FAILED,
        )
    values = [c for c in left_columns if c not in KEYS]
    result = Comparison(
        left_rows=int(con.execute(f"select count(*) from {left}").fetchone()[0]),  # type: ignore[index]
        right_rows=int(con.execute(f"select count(*) from {right}").fetchone()[0]),  # type: ignore[index]
        columns=values,
    )
    select = ", ".join(
        ["coalesce(l.profile_id, r.profile_id)", "coalesce(l.feature_date, r.feature_date)",
         "l.profile_id is not null", "r.profile_id is not null"]
        + [f'l."{c}"' for c in values] + [f'r."{c}"' for c in values]
    )
    cursor = con.execute(
        f"select {select} from {left} as l full outer join {right} as r "
        "on l.profile_id = r.profile_id and l.feature_date = r.feature_date order by 1, 2"
    )
    width = len(values)
    seen = 0
    while batch := cursor.fetchmany(BATCH_ROWS):
        for row in batch:
            profile_id, feature_date, on_left, on_right = row[:4]
            if not (on_left and on_right):
                result.total += 1
                if len(result.first) < limit:
                    only = left_name if on_left else right_name
                    result.first.append(Difference(profile_id, feature_date, None, only_in=only))
                continue
            for index, column in enumerate(values):
                left_value, right_value = row[4 + index], row[4 + width + index]
                if not same_value(left_value, right_value):
                    result.total += 1
                    if len(result.first) < limit:
                        result.first.append(
                            Difference(profile_id, feature_date, column, left_value, right_value)
                        )
        seen += len(batch)
        if on_progress is not None:
            on_progress(seen)
    return result


@dataclass(frozen=True)
class ScratchPaths:
    """Where the parity builds write: nothing of the user's (warehouse, target/, Spark metastore)."""

    root: Path

    def environment(self, target: str) -> dict[str, str]:
        return {
            "DUCKDB_PATH": str(self.root / "local.duckdb"),
            "SPARK_HOME_DIR": str(self.root / "spark"),
            "DBT_TARGET_PATH": str(self.root / f"target-{target}"),
            "DBT_LOG_PATH": str(self.root / "logs"),
        }

    @property
    def spark_export(self) -> Path:
        return self.root / "spark_profile_features"


@contextmanager
def scratch_environment(scratch: ScratchPaths, target: str) -> Iterator[ProjectPaths]:
    with temporary_environment(scratch.environment(target)):
        yield ProjectPaths.discover()


def build_target(scratch: ScratchPaths, target: str) -> float:
    """`dbt build --full-refresh` on `target` in the scratch folder; seconds taken, or FeaturestoreError."""
    started = time.perf_counter()
    with scratch_environment(scratch, target) as paths:
        outcome = pipeline.build(paths, target, full_refresh=True, extra=BUILD_ARGS)
    if outcome.stop is not None:
        raise FeaturestoreError(
            f"parity: the {target} build stopped: {outcome.stop.line()}", outcome.exit_code
        ) from outcome.invocation.exception
    if not outcome.success:
        failed = outcome.results.failed if outcome.results else []
        first_error = next((line.strip() for n in failed for line in (n.message or "").splitlines() if line.strip()),
                           "")
        named = ", ".join(n.unique_id for n in failed[:3]) or "see logs"
        raise FeaturestoreError(
            f"parity: the {target} build failed ({named}{': ' + first_error[:300] if first_error else ''}; logs in "
            f"{scratch.root / 'logs'}): fix it before comparing engines (`featurestore dbt build --target "
            f"{target}` shows the same on your own warehouse).",
            EXIT_FAILED,
        )
    return time.perf_counter() - started


def export_spark_table(scratch: ScratchPaths) -> None:
    """Write the Spark-built log as Parquet with the session that built it (this process)."""
    from pyspark.sql import SparkSession

    spark = SparkSession.builder.getOrCreate()
    spark.table(PUBLISHED_TABLE["spark"]).write.mode("overwrite").parquet(str(scratch.spark_export))


def compare_builds(
    scratch: ScratchPaths, limit: int, on_progress: Callable[[int], None] | None = None
) -> Comparison:
    """profile_features of the two scratch builds, compared."""
    with duckdb.connect() as con:
        con.execute(f"attach '{scratch.root / 'local.duckdb'}' as local_build (read_only)")
        con.execute(
            "create view spark_build as select * from "
            f"read_parquet('{scratch.spark_export}/**/*.parquet', hive_partitioning = true)"
        )
        return compare_relations(
            con,
            f"local_build.{PUBLISHED_TABLE['local']}",
            "spark_build",
            limit=limit,
            on_progress=on_progress,
        )


def require_gold(paths: ProjectPaths) -> None:
    if not pipeline.has_gold_data(paths.raw_data_dir):
        raise FeaturestoreError(
            f"No Gold data in {paths.raw_data_dir} (RAW_DATA_DIR): every table of "
            f"{', '.join(pipeline.GOLD_TABLES)} needs Parquet files. Generate a sample with `featurestore "
            "generate`, or point RAW_DATA_DIR at yours.",
            EXIT_INPUT,
        )
