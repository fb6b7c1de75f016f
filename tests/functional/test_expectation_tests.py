"""The dbt-expectations stand-ins (tests/dbt/generic/) on hand-made data, on DuckDB and on local Spark.

`expectations_project/` is a tiny dbt project that loads the main project's generic tests and applies each one
to three small seeds, where it must pass and where it must fail. EXPECTED below holds, for every fixture test,
the generic test it uses and the number of failing rows it must return (0: it must pass), worked out by hand
from the seed rows (the reasoning is in the comments of expectations_project/models/_fixtures.yml).

dbt runs in a subprocess: it keeps its environment to itself, and a SparkSession is process-wide (another test
module may already hold one in this process, with other directories).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

PROJECT_DIR = Path(__file__).parent / "expectations_project"
GENERIC_DIR = Path(__file__).parents[1] / "dbt" / "generic"
FIXTURE_PROJECT_NAME = "expectations_fixtures"

# the generic tests under test
ROW_COUNT_EQUAL_OTHER = "expect_table_row_count_to_equal_other_table"
NON_NULL_PROPORTION = "expect_column_proportion_of_non_null_values_to_be_between"
ROW_COUNT_BETWEEN = "expect_table_row_count_to_be_between"
VALUES_BETWEEN = "expect_column_values_to_be_between"
IN_SET = "expect_column_values_to_be_in_set"
NOT_NULL = "expect_column_values_to_not_be_null"
COMPOUND_UNIQUE = "expect_compound_columns_to_be_unique"
MEAN_BETWEEN = "expect_column_mean_to_be_between"
STDEV_BETWEEN = "expect_column_stdev_to_be_between"

# fixture test name -> (generic test it applies, failing rows it must return)
EXPECTED: dict[str, tuple[str, int]] = {
    # measurements: 8 rows; a = ids 1-4, b = ids 5-8
    "pass__row_count_between__exact": (ROW_COUNT_BETWEEN, 0),
    "pass__row_count_between__group_by": (ROW_COUNT_BETWEEN, 0),
    "pass__row_count_between__row_condition_max_only": (ROW_COUNT_BETWEEN, 0),
    "fail__1__row_count_between__max_only": (ROW_COUNT_BETWEEN, 1),
    "fail__1__row_count_between__strictly": (ROW_COUNT_BETWEEN, 1),
    "fail__2__row_count_between__group_by_row_condition": (ROW_COUNT_BETWEEN, 2),
    # half: 4 rows, 2 per team
    "pass__row_count_equal_other__factor": (ROW_COUNT_EQUAL_OTHER, 0),
    "pass__row_count_equal_other__group_by": (ROW_COUNT_EQUAL_OTHER, 0),
    "pass__row_count_equal_other__row_conditions": (ROW_COUNT_EQUAL_OTHER, 0),
    "fail__1__row_count_equal_other__default_factor": (ROW_COUNT_EQUAL_OTHER, 1),
    "fail__2__row_count_equal_other__group_by": (ROW_COUNT_EQUAL_OTHER, 2),
    "fail__1__row_count_equal_other__compare_row_condition": (ROW_COUNT_EQUAL_OTHER, 1),
    # score: a = 0, 5, 10, NULL; b = -1, 11, 6, 4
    "pass__values_between__inclusive_bounds": (VALUES_BETWEEN, 0),
    "pass__values_between__row_condition": (VALUES_BETWEEN, 0),
    "pass__values_between__min_only": (VALUES_BETWEEN, 0),
    "fail__2__values_between__out_of_range": (VALUES_BETWEEN, 2),
    "fail__2__values_between__strictly": (VALUES_BETWEEN, 2),
    "fail__1__values_between__max_only": (VALUES_BETWEEN, 1),
    "pass__mean_between__inclusive_bounds": (MEAN_BETWEEN, 0),
    "pass__mean_between__group_by": (MEAN_BETWEEN, 0),
    "fail__1__mean_between__strictly": (MEAN_BETWEEN, 1),
    "fail__1__mean_between__min_only": (MEAN_BETWEEN, 1),
    "fail__1__mean_between__group_by_row_condition": (MEAN_BETWEEN, 1),
    "pass__stdev_between__sample": (STDEV_BETWEEN, 0),
    "pass__stdev_between__group_by": (STDEV_BETWEEN, 0),
    "fail__1__stdev_between__max_only": (STDEV_BETWEEN, 1),
    "fail__1__stdev_between__group_by": (STDEV_BETWEEN, 1),
    "fail__1__stdev_between__row_condition": (STDEV_BETWEEN, 1),
    # label: x y z x y w x z; code: 10 .. 80; note: NULL at ids 2 and 6
    "pass__in_set__all_values": (IN_SET, 0),
    "pass__in_set__row_condition": (IN_SET, 0),
    "fail__1__in_set__missing_value": (IN_SET, 1),
    "pass__in_set__unquoted": (IN_SET, 0),
    "fail__4__in_set__unquoted": (IN_SET, 4),
    "pass__in_set__nulls_filtered": (IN_SET, 0),
    "fail__2__in_set__null_is_not_in_set": (IN_SET, 2),
    "pass__not_null__no_nulls": (NOT_NULL, 0),
    "pass__not_null__row_condition": (NOT_NULL, 0),
    "fail__2__not_null__nulls": (NOT_NULL, 2),
    "fail__1__not_null__row_condition": (NOT_NULL, 1),
    # featurestore extension: note 6/8 = 0.75 non-null, score 7/8
    "pass__non_null_proportion__inclusive_bounds": (NON_NULL_PROPORTION, 0),
    "pass__non_null_proportion__row_condition": (NON_NULL_PROPORTION, 0),
    "pass__non_null_proportion__no_rows": (NON_NULL_PROPORTION, 0),
    "fail__1__non_null_proportion__strictly": (NON_NULL_PROPORTION, 1),
    "fail__1__non_null_proportion__max_only": (NON_NULL_PROPORTION, 1),
    "fail__1__non_null_proportion__score_min_only": (NON_NULL_PROPORTION, 1),
    # pairs: (1,a) (1,b) (2,a) (NULL,NULL) x2 (3,NULL) x2 in batch 1; (4,c) x2 in batch 2
    "pass__compound_unique__any_value_is_missing": (COMPOUND_UNIQUE, 0),
    "pass__compound_unique__quote_columns": (COMPOUND_UNIQUE, 0),
    "fail__1__compound_unique__row_condition": (COMPOUND_UNIQUE, 1),
    "fail__2__compound_unique__defaults": (COMPOUND_UNIQUE, 2),
}

PUBLIC_TESTS = {
    VALUES_BETWEEN,
    IN_SET,
    NOT_NULL,
    ROW_COUNT_BETWEEN,
    ROW_COUNT_EQUAL_OTHER,
    COMPOUND_UNIQUE,
    MEAN_BETWEEN,
    STDEV_BETWEEN,
}
EXTENSION_TESTS = {NON_NULL_PROPORTION}


def _dbt_executable() -> str:
    beside_python = Path(sys.executable).parent / "dbt"
    found = str(beside_python) if beside_python.exists() else shutil.which("dbt")
    assert found, "no dbt executable next to this Python or on PATH"
    return found


def _build(tmp: Path, target: str) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """`dbt build` of the fixture project; returns its results by node name and its manifest."""
    env = {
        **os.environ,
        "EXPECTATIONS_DUCKDB_PATH": str(tmp / "fixtures.duckdb"),
        "EXPECTATIONS_SPARK_DIR": str(tmp / "spark"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    target_dir = tmp / "target"
    command = [
        _dbt_executable(),
        "build",
        "--project-dir", str(PROJECT_DIR),
        "--profiles-dir", str(PROJECT_DIR),
        "--target", target,
        "--target-path", str(target_dir),
        "--log-path", str(tmp / "logs"),
        "--no-partial-parse",
    ]  # fmt: skip
    proc = subprocess.run(command, env=env, cwd=tmp, capture_output=True, text=True, timeout=900)
    # 1 = some tests failed (expected: half of them must); anything else is dbt itself failing.
    assert proc.returncode in (0, 1), proc.stdout[-5000:] + proc.stderr[-5000:]
    run_results = json.loads((target_dir / "run_results.json").read_text())
    manifest = json.loads((target_dir / "manifest.json").read_text())
    by_name = {manifest["nodes"][r["unique_id"]]["name"]: r for r in run_results["results"]}
    return by_name, manifest


def _check(results: dict[str, dict[str, Any]], manifest: dict[str, Any]) -> None:
    nodes = {n["name"]: n for n in manifest["nodes"].values() if n["resource_type"] == "test"}
    assert set(nodes) == set(EXPECTED), "fixture tests in the YAML differ from EXPECTED"

    for name in ("seed_measurements", "seed_pairs", "half", "measurements", "pairs"):
        assert results[name]["status"] == "success", (name, results[name]["message"])

    wrong = {}
    for name, (generic, failing_rows) in EXPECTED.items():
        node = nodes[name]
        # the fixture applies the intended test, loaded from this repository's tests/dbt/generic/
        assert node["test_metadata"]["name"] == generic, name
        macro = manifest["macros"][f"macro.{FIXTURE_PROJECT_NAME}.test_{generic}"]
        assert Path(macro["original_file_path"]).parts[-3:-1] == (
            "generic",
            "featurestore" if generic in EXTENSION_TESTS else "dbt_expectations",
        ), macro["original_file_path"]

        result = results[name]
        expected = ("pass", 0) if failing_rows == 0 else ("fail", failing_rows)
        if (result["status"], result["failures"]) != expected:
            got = (result["status"], result["failures"], result["message"])
            wrong[name] = {"expected": expected, "got": got}
    assert not wrong, json.dumps(wrong, indent=2)


def test_fixture_names_agree_with_expected_outcomes() -> None:
    """Each fixture test says what it expects in its name (pass__*, fail__<rows>__*), as EXPECTED does."""
    for name, (_, failing_rows) in EXPECTED.items():
        if failing_rows == 0:
            assert name.startswith("pass__"), name
        else:
            assert name.startswith(f"fail__{failing_rows}__"), name
    applied = {generic for generic, _ in EXPECTED.values()}
    assert applied == PUBLIC_TESTS | EXTENSION_TESTS
    for generic in applied:
        outcomes = {rows > 0 for g, rows in EXPECTED.values() if g == generic}
        assert outcomes == {True, False}, f"{generic} needs a passing and a failing fixture"


def test_folders_hold_exactly_the_cataloged_tests() -> None:
    """dbt_expectations/ holds the package's tests only, each in its README; the extension lives apart."""
    folder = GENERIC_DIR / "dbt_expectations"
    public = {p.stem for p in folder.glob("*.sql")}
    assert public == PUBLIC_TESTS
    assert {p.stem for p in (GENERIC_DIR / "featurestore").glob("*.sql")} >= EXTENSION_TESTS
    readme = (folder / "README.md").read_text()
    cataloged = set(re.findall(r"^### (expect_\w+)$", readme, flags=re.MULTILINE))
    assert cataloged == PUBLIC_TESTS | EXTENSION_TESTS


def test_expectation_tests_pass_and_fail_as_worked_out_on_duckdb(tmp_path: Path) -> None:
    _check(*_build(tmp_path, "duckdb"))


@pytest.mark.spark
def test_expectation_tests_pass_and_fail_as_worked_out_on_spark(tmp_path: Path) -> None:
    pytest.importorskip("pyspark")
    _check(*_build(tmp_path, "spark"))
