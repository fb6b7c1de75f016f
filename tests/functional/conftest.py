"""Shared state of the functional fault tests: one small published build per test session, copied by each
scenario (building it costs ~30 s; a copy costs nothing)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from featurestore.generator import GeneratorConfig, generate
from tests.support.dbt import DbtHarness

SMALL_PROFILES, SMALL_DAYS = 300, 20


@pytest.fixture(scope="session")
def small_published(tmp_path_factory: pytest.TempPathFactory) -> DbtHarness:
    """Generated Gold data (300 profiles x 20 days) built and published once, in this process."""
    harness = DbtHarness(tmp_path_factory.mktemp("small-published"))
    generate(GeneratorConfig(out_dir=harness.raw_dir, profiles=SMALL_PROFILES, days=SMALL_DAYS, seed=42))
    outcome = harness.build()
    assert outcome.success, outcome.text
    harness.query("force checkpoint")  # everything in the file, nothing in the write-ahead log: copies are whole
    return harness


def copy_state(source: DbtHarness, root: Path, *, warehouse: bool = True, target: bool = True) -> DbtHarness:
    """A new harness under `root` with a copy of the source's Gold files (and warehouse, dbt target folder)."""
    harness = DbtHarness(root)
    shutil.copytree(source.raw_dir, harness.raw_dir)
    if warehouse:
        shutil.copy(source.duckdb_path, harness.duckdb_path)
    if target:
        shutil.copytree(source.root / "target", harness.root / "target")
    return harness
