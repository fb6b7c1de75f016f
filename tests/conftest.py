from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.dbt import DbtHarness


@pytest.fixture
def local_project(tmp_path: Path) -> DbtHarness:
    """The dbt project on the `local` target, with its own empty Gold folder and DuckDB file."""
    return DbtHarness(tmp_path, target="local")


@pytest.fixture(scope="session")
def spark_project(tmp_path_factory: pytest.TempPathFactory) -> DbtHarness:
    """The dbt project on the local `spark` target.

    One per test session: the in-process SparkSession (and its Derby metastore) is created once and keeps its
    warehouse location, so spark tests share it and rebuild with --full-refresh.
    """
    return DbtHarness(tmp_path_factory.mktemp("spark"), target="spark")


def reset_raw_dir(harness: DbtHarness) -> None:
    import shutil

    shutil.rmtree(harness.raw_dir, ignore_errors=True)
