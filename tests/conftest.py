from __future__ import annotations

import os
from pathlib import Path

import pytest

from featurestore.xengine import PLAN_CACHE_ENV
from tests.support.dbt import DbtHarness


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The Spark tests first (stable otherwise): they are the longest files, so under pytest-xdist
    (`make test`: two workers, one file at a time) they start at once instead of ending the run alone."""
    items.sort(key=lambda item: item.get_closest_marker("spark") is None)


@pytest.fixture(scope="session", autouse=True)
def shared_plan_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """One SQLFrame plan cache for every build of the session (each harness has its own target folder, so
    each build would plan the Python models again: ~30 s a build on two cores). The first build of each
    shape plans fresh; the cache's own behaviour is tested in tests/unit/test_xengine_plan_cache.py. Under
    pytest-xdist the workers share it (writes are atomic renames)."""
    root = tmp_path_factory.getbasetemp()
    shared = (root.parent if root.name.startswith("popen-gw") else root) / "xengine-plans"
    os.environ.setdefault(PLAN_CACHE_ENV, str(shared))


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
