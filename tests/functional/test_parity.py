"""`featurestore parity` end to end: generated Gold data built on DuckDB and on local Spark, in a child
process (its own SparkSession, so the scratch Spark warehouse is its own), agrees value for value.

The data is generated with seed 2027 (the golden tests use hand-written cases, the fault tests seeds 3 and 42)
and kept tiny, because the Spark build dominates the time.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from featurestore.generator import GeneratorConfig, generate
from tests.support.cli import run_cli
from tests.support.dbt import DbtHarness

pytestmark = pytest.mark.spark


def test_local_and_spark_agree_on_generated_data(tmp_path: Path) -> None:
    harness = DbtHarness(tmp_path / "user")
    config = GeneratorConfig(out_dir=harness.raw_dir, profiles=60, days=14, seed=2027, start_date=date(2026, 8, 1))
    generate(config)
    scratch = tmp_path / "scratch"
    # the Spark build takes minutes, many more on a busy two-core machine
    done = run_cli(harness, "parity", "--scratch-dir", str(scratch), timeout=3600)
    assert done.returncode == 0, done.output[-4000:]
    assert "0 differences" in done.stdout
    assert "[1/3] dbt build --full-refresh (profile_features, no data tests) on local" in done.stdout
    assert "[2/3] dbt build --full-refresh (profile_features, no data tests) on spark" in done.stdout
    rows = [line for line in done.stdout.splitlines() if line.startswith("profile_features:")]
    assert rows and " 0 rows on local" not in rows[0], "an empty log proves nothing"
    # the user's own warehouse, target folder and Spark metastore were never created
    assert not harness.duckdb_path.exists()
    assert not (harness.root / "target").exists()
    assert not (harness.root / "spark").exists()
    assert (scratch / "local.duckdb").is_file()


def test_without_gold_data_it_exits_2(tmp_path: Path) -> None:
    harness = DbtHarness(tmp_path / "user")
    done = run_cli(harness, "parity")
    assert done.returncode == 2, done.output
    assert len(done.error_lines) == 1 and "featurestore generate" in done.error_lines[0]
