"""Point-in-time reads of the feature log from Python: the `profile_features_point_in_time` macro, compiled by dbt.

The macro is the one definition of "features as of a date"; this module only compiles it for a requests
relation (any SQL relation with `profile_id` and a date column) and, for training sets, runs it on the
embedded DuckDB warehouse.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import duckdb

from featurestore.dbt_invoke import invoke_dbt
from featurestore.failures import explain
from featurestore.paths import ProjectPaths
from featurestore.warehouse import connect

logger = logging.getLogger(__name__)


class PointInTimeError(RuntimeError):
    """The point-in-time query could not be compiled or run; the message says what to do."""


def compile_point_in_time(requests_sql: str, date_column: str, paths: ProjectPaths, target: str = "local") -> str:
    """SQL returning the features of every (profile_id, date_column) pair of `requests_sql`, as of that date."""
    if '"' in requests_sql:
        raise PointInTimeError("requests_sql must not contain double quotes")
    inline = f'{{{{ profile_features_point_in_time("{requests_sql}", "{date_column}") }}}}'
    # its own target folder: a compile writes run_results.json, and the one of the last `dbt build` is what
    # the Redis sync's publish gate reads
    target_path = paths.target_dir / "point_in_time"
    result = invoke_dbt(
        # silent: its errors come back as result.exception, explained in one line by the caller
        ["--log-level", "none", "compile", "--quiet", "--target", target, "--target-path", str(target_path),
         "--inline", inline],
        paths,
    )
    if not result.success:
        message, _code = explain(result.exception, "dbt could not compile the point-in-time query")
        raise PointInTimeError(message)
    return str(result.result.results[0].node.compiled_code)


@dataclass(frozen=True)
class TrainingSetReport:
    labels: int
    with_features: int
    out: Path


def build_training_set(labels: Path, out: Path, paths: ProjectPaths, date_column: str = "label_date") -> TrainingSetReport:
    """Join each label row (profile_id, label_date, label columns...) to the features as of its label date."""
    if not labels.is_file():
        raise PointInTimeError(f"Labels file not found: {labels}")
    labels_sql = f"read_parquet('{labels.resolve()}')"
    with duckdb.connect() as probe:
        columns = [row[0] for row in probe.execute(f"describe select * from {labels_sql}").fetchall()]
    missing = {"profile_id", date_column} - set(columns)
    if missing:
        raise PointInTimeError(
            f"Labels file {labels} lacks column(s) {', '.join(sorted(missing))}; "
            f"it needs profile_id, {date_column} and any label columns."
        )
    features_sql = compile_point_in_time(labels_sql, date_column, paths)
    out.parent.mkdir(parents=True, exist_ok=True)
    # Label rows come out in the file's order, stated explicitly: the warehouse may run with
    # preserve_insertion_order off (profiles.yml), which lets a join return rows in any order.
    query = f"""
        select
            labels.* exclude (file_row_number),
            features.* exclude (profile_id, feature_date)
        from read_parquet('{labels.resolve()}', file_row_number = true) as labels
        left join ({features_sql}) as features
            on labels.profile_id = features.profile_id
            and cast(labels.{date_column} as date) = features.feature_date
        order by labels.file_row_number
    """
    with connect(paths.duckdb_path) as con:
        con.execute(f"copy ({query}) to '{out.resolve()}' (format parquet)")
        total, matched = con.execute(
            f"select count(*), count(source_feature_date) from read_parquet('{out.resolve()}')"
        ).fetchall()[0]
    return TrainingSetReport(labels=int(total), with_features=int(matched), out=out)
