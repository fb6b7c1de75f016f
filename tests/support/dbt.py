"""Run the real dbt project against a temporary RAW_DATA_DIR / warehouse and read the results."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from featurestore.env import temporary_environment
from featurestore.paths import ProjectPaths, find_project_dir
from featurestore.run_results import RunResults

PROJECT_DIR = find_project_dir(Path(__file__).parent)


@dataclass
class DbtOutcome:
    success: bool
    messages: list[str]
    results: RunResults | None

    @property
    def text(self) -> str:
        return "\n".join(self.messages)


@dataclass
class DbtHarness:
    """One isolated copy of the project's state: its own Gold folder, warehouse and dbt target folder."""

    root: Path
    target: str = "local"
    env: dict[str, str] = field(default_factory=dict)
    project_dir: Path = PROJECT_DIR

    @property
    def raw_dir(self) -> Path:
        return self.root / "raw"

    @property
    def duckdb_path(self) -> Path:
        return self.root / "warehouse.duckdb"

    def _env(self) -> dict[str, str]:
        return {
            "RAW_DATA_DIR": str(self.raw_dir),
            "DUCKDB_PATH": str(self.duckdb_path),
            "SPARK_HOME_DIR": str(self.root / "spark"),
            "DBT_TARGET_PATH": str(self.root / "target"),
            "DBT_LOG_PATH": str(self.root / "logs"),
            **self.env,
        }

    def dbt(self, *args: str) -> DbtOutcome:
        from dbt.cli.main import dbtRunner

        from featurestore.dbt_invoke import invoke_dbt

        messages: list[str] = []

        def collect(event: Any) -> None:
            messages.append(event.info.msg)

        with temporary_environment(self._env()):
            paths = ProjectPaths(self.project_dir)
            result = invoke_dbt([*args, "--target", self.target], paths, runner=dbtRunner(callbacks=[collect]))
            try:
                results = RunResults.load(paths.target_dir)
            except FileNotFoundError:
                results = None
        if result.exception is not None:
            messages.append(str(result.exception))
        return DbtOutcome(bool(result.success), messages, results)

    def build(self, *args: str) -> DbtOutcome:
        return self.dbt("build", *args)

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        if self.target == "local":
            with duckdb.connect(str(self.duckdb_path)) as con:
                return con.execute(sql).fetchall()
        from pyspark.sql import SparkSession

        # dbt ran the session in its own threads; the default session is process-wide.
        spark = SparkSession.builder.getOrCreate()
        assert spark is not None, "no Spark session: build on the spark target first"
        return [tuple(row) for row in spark.sql(sql).collect()]

    def schema(self, layer: str) -> str:
        """Physical schema of a layer on this target (dbt's default <target schema>_<custom schema>)."""
        return f"{'main' if self.target == 'local' else 'featurestore'}_{layer}"


def copy_project(destination: Path) -> Path:
    """A copy of the dbt project (no data, no environment) that a test may edit to inject a bug."""
    import shutil

    ignore = shutil.ignore_patterns(".venv", ".git", "data", "target", "logs", "__pycache__", "*.duckdb", "src",
                                    "functional", "unit", "online", "support", "benchmarks", "reports")
    shutil.copytree(PROJECT_DIR, destination, ignore=ignore)
    return destination


def point_in_time(harness: DbtHarness, requests_sql: str, date_column: str) -> list[dict[str, Any]]:
    """Features as of each requested (profile_id, date) pair, through the project's point-in-time macro."""
    from featurestore.point_in_time import compile_point_in_time

    with temporary_environment(harness._env()):
        sql = compile_point_in_time(requests_sql, date_column, ProjectPaths(PROJECT_DIR), target=harness.target)
    if harness.target == "local":
        with duckdb.connect(str(harness.duckdb_path)) as con:
            cursor = con.execute(sql)
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row)) for row in cursor.fetchall()]
    from pyspark.sql import SparkSession

    return [row.asDict() for row in SparkSession.builder.getOrCreate().sql(sql).collect()]
