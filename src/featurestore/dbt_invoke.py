"""Run dbt in-process, on any target, with the environment the project's profiles.yml expects.

dbt-spark's `session` method runs SQL in a local SparkSession but has no way to run Python models.
For the `spark` target this module registers a small job helper that executes the compiled Python model
in the same SparkSession, which is what Databricks does on a cluster.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from contextlib import contextmanager
from typing import Any, Iterator

from featurestore.env import temporary_environment
from featurestore.paths import ProjectPaths

logger = logging.getLogger(__name__)


class SparkSessionPythonJob:
    """Executes a compiled dbt Python model in the active local SparkSession."""

    def __init__(self, parsed_model: dict[str, Any], credentials: Any) -> None:
        self.parsed_model = parsed_model

    def submit(self, compiled_code: str) -> None:
        from pyspark.sql import SparkSession

        spark = SparkSession.getActiveSession() or SparkSession.builder.getOrCreate()
        code = compile(compiled_code.lstrip(), self.parsed_model["original_file_path"], "exec")
        exec(code, {"spark": spark, "__name__": "__dbt_model__"})


def _enable_spark_python_models() -> None:
    from dbt.adapters.spark.impl import SparkAdapter

    SparkAdapter.python_submission_helpers = property(  # type: ignore[method-assign,assignment]
        lambda self: {"session": SparkSessionPythonJob}
    )
    SparkAdapter.default_python_submission_method = property(  # type: ignore[method-assign,assignment]
        lambda self: "session"
    )


@contextmanager
def project_environment(paths: ProjectPaths) -> Iterator[None]:
    """Set absolute data paths (and the working directory) for the duration of a dbt invocation."""
    values = {
        **paths.dbt_env(),
        "PWD": str(paths.project_dir),
        # Without it Spark warns that the hostname resolves to a loopback address and picks another interface.
        "SPARK_LOCAL_IP": os.environ.get("SPARK_LOCAL_IP", "127.0.0.1"),
    }
    previous_cwd = os.getcwd()
    with temporary_environment(values):
        os.chdir(paths.project_dir)
        try:
            yield
        finally:
            os.chdir(previous_cwd)


def target_of(args: Sequence[str]) -> str:
    """The dbt target an argument list selects (profiles.yml default: DBT_TARGET or `local`)."""
    args = list(args)
    for flag in ("--target", "-t"):
        if flag in args and args.index(flag) + 1 < len(args):
            return args[args.index(flag) + 1]
    return os.environ.get("DBT_TARGET", "local")


def invoke_dbt(args: Sequence[str], paths: ProjectPaths | None = None, runner: Any = None) -> Any:
    """Run `dbt <args>` in this process and return dbt's `dbtRunnerResult`.

    `runner` may be a preconfigured `dbtRunner` (e.g. with event callbacks).
    """
    from dbt.cli.main import dbtRunner

    paths = paths or ProjectPaths.discover()
    if target_of(args) == "spark":
        _enable_spark_python_models()
        paths.spark_dir.mkdir(parents=True, exist_ok=True)
    logger.info("dbt %s", " ".join(args))
    with project_environment(paths):
        try:
            return (runner or dbtRunner()).invoke(list(args))
        finally:
            release_duckdb()


def release_duckdb() -> None:
    """Close the DuckDB database dbt-duckdb keeps open in this process after an invocation.

    dbt-duckdb keeps one database instance per process for the next invocation; while it is open no other
    process can open the file, not even to read it. So a process that ran dbt would block every reader (and
    the next writer, after it has released the warehouse's writer lock) until it exits.
    """
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:  # dbt-duckdb not installed (a Spark- or Databricks-only install)
        return
    with DuckDBConnectionManager._LOCK:
        environment = DuckDBConnectionManager._ENV
        DuckDBConnectionManager._ENV = None
        if environment is not None:
            try:
                environment.close()
            except Exception as exc:  # closing is best effort: the process exit releases the file anyway
                logger.debug("closing dbt-duckdb's database failed: %s", exc)
