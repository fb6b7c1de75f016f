"""The `databricks` target, checked without a workspace: it parses, the parts that need no connection compile,
and the Databricks configs resolve on the parsed manifest as docs/databricks.md and ADR 0007 say.

The placeholder environment is the one profiles.yml.example documents; nothing here opens a connection (the
host does not resolve). Each parse writes to its own temporary target folder, never the project's target/.

What cannot compile offline, and why: every incremental model reads its own newest date while compiling (the
cutoff, `incremental_cutoff_date`, `is_incremental()`), the Gold base models and everything downstream of them
depend on those, and the staging tests scope themselves to the rows of this run (`get_where_subquery` reads the
relation's columns). Those are introspective queries: dbt needs the warehouse to render them. They are compiled
and run on the real engine by the local Spark tests with the same models.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.dbt import DbtHarness

WHEEL = "/Volumes/ml_prod/features/wheels/featurestore-0.1.0-py3-none-any.whl"
# %pip install <these> <wheel>: the models need only featurestore.xengine (why: dbt_project.yml).
PIP_OPTIONS = ["--no-deps", "--ignore-requires-python"]
PLACEHOLDERS = {
    "DATABRICKS_HOST": "dbc-00000000-0000.cloud.databricks.invalid",
    "DATABRICKS_HTTP_PATH": "/sql/1.0/warehouses/0000000000000000",
    "DATABRICKS_TOKEN": "placeholder-not-a-token",
    "DATABRICKS_CATALOG": "ml_prod",
    "DATABRICKS_SCHEMA": "features",
    "GOLD_SCHEMA": "gold_v1",
    "FEATURESTORE_WHEEL": WHEEL,
}
CONSUMER_GROUPS = ["crm-readers", "ml-engineers"]
DATE_KEYED_MARTS = [
    "features_watch_behavior",
    "features_content_consumption",
    "features_engagement_quality",
    "features_lifecycle",
    "features_affinity",
    "features_household_share",
]
PYTHON_MODELS = ["features_affinity", "features_household_share"]
# The nodes that render without reading the warehouse: the dimension staging views, the plan history, the
# accounts snapshot (Delta, MERGE) and the seeds with their tests. Everything else introspects (module docstring).
OFFLINE_COMPILABLE = [
    "stg_gold__accounts",
    "stg_gold__content",
    "stg_gold__profiles",
    "int_account_plans_historized",
    "accounts_snapshot",
    "resource_type:seed",
]


def parse(root: Path, target: str, env: dict[str, str], *args: str) -> dict[str, Any]:
    harness = DbtHarness(root, target=target, env=env)
    outcome = harness.dbt("parse", *args)
    assert outcome.success, outcome.text
    return json.loads((root / "target" / "manifest.json").read_text())


def models(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {node["name"]: node for node in manifest["nodes"].values() if node["resource_type"] == "model"}


@pytest.fixture(scope="module")
def databricks_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("databricks")


@pytest.fixture(scope="module")
def databricks(databricks_root: Path) -> dict[str, dict[str, Any]]:
    """The project parsed on `databricks` with the default vars plus consumer groups for the grants."""
    groups = json.dumps({"databricks_consumer_groups": CONSUMER_GROUPS})
    return models(parse(databricks_root, "databricks", PLACEHOLDERS, "--vars", groups))


def test_every_model_is_delta_and_the_date_keyed_ones_replace_their_dates(databricks: dict[str, Any]) -> None:
    for name, node in databricks.items():
        assert node["config"]["file_format"] == "delta", name
    for name in [*DATE_KEYED_MARTS, "profile_features"]:
        config = databricks[name]["config"]
        assert config["materialized"] == "incremental", name
        # One atomic INSERT INTO ... REPLACE ON the date key: the dates in the new rows replace the stored ones.
        assert (config["incremental_strategy"], config["unique_key"]) == ("delete+insert", "feature_date"), name
        assert config["on_schema_change"] == "fail", name


def test_tables_are_liquid_clustered_not_partitioned(databricks: dict[str, Any]) -> None:
    incremental = {name: node["config"] for name, node in databricks.items()
                   if node["config"]["materialized"] == "incremental"}
    assert set(DATE_KEYED_MARTS) | {"profile_features", "base_gold__viewing_events"} <= set(incremental)
    for name, config in incremental.items():
        # Every incremental table is clustered by the date it replaces (the published one also by profile).
        expected = ["feature_date", "profile_id"] if name == "profile_features" else [config["unique_key"]]
        assert config["liquid_clustered_by"] == expected, name
        assert not config.get("partition_by"), f"{name}: Delta cannot combine PARTITIONED BY and CLUSTER BY"


def test_table_properties(databricks: dict[str, Any]) -> None:
    auto_optimize = {"delta.autoOptimize.optimizeWrite": "true", "delta.autoOptimize.autoCompact": "true"}
    for name in DATE_KEYED_MARTS:
        assert databricks[name]["config"]["tblproperties"] == auto_optimize, name
    assert databricks["profile_features"]["config"]["tblproperties"] == {
        **auto_optimize,
        "delta.enableChangeDataFeed": "true",
    }


def test_public_models_are_granted_to_the_consumer_groups(databricks: dict[str, Any]) -> None:
    public = {name for name, node in databricks.items() if node["access"] == "public"}
    assert {"profile_features", "profile_features_latest", "dq_feature_quality_history"} <= public
    for name, node in databricks.items():
        expected = {"select": CONSUMER_GROUPS} if name in public else {}
        assert node["config"]["grants"] == expected, name


def test_profile_features_is_a_unity_catalog_feature_table(databricks: dict[str, Any]) -> None:
    node = databricks["profile_features"]
    assert node["config"]["contract"]["enforced"] is True
    constraints = {constraint["type"]: constraint for constraint in node["constraints"]}
    assert constraints["not_null"]["columns"] == ["profile_id", "feature_date"]
    assert constraints["custom"]["name"] == "profile_features_pk"
    assert constraints["custom"]["expression"] == "primary key (profile_id, feature_date timeseries)"
    # The key columns are in the contract with their types (FeatureLookup joins on them).
    assert node["columns"]["profile_id"]["data_type"] == "string"
    assert node["columns"]["feature_date"]["data_type"] == "date"


def test_python_models_run_serverless_by_default_and_install_the_wheel(databricks: dict[str, Any]) -> None:
    for name in PYTHON_MODELS:
        config = databricks[name]["config"]
        assert databricks[name]["language"] == "python"
        assert config["submission_method"] == "serverless_cluster", name
        assert config["packages"] == [*PIP_OPTIONS, WHEEL], name
        assert config["notebook_scoped_libraries"] is True, name
        assert config["create_notebook"] is True, name
        assert config["job_cluster_config"] == {}, name


def test_python_models_on_a_job_cluster_chosen_by_vars(tmp_path: Path) -> None:
    cluster = {"spark_version": "17.3.x-scala2.13", "node_type_id": "Standard_D4ds_v5", "num_workers": 4}
    chosen = json.dumps({"databricks_python_submission_method": "job_cluster", "databricks_job_cluster": cluster})
    parsed = models(parse(tmp_path, "databricks", PLACEHOLDERS, "--vars", chosen))
    for name in PYTHON_MODELS:
        config = parsed[name]["config"]
        assert config["submission_method"] == "job_cluster", name
        assert config["job_cluster_config"] == cluster, name
        assert config["packages"] == [*PIP_OPTIONS, WHEEL], name


def test_catalog_and_schemas_come_from_the_environment(databricks: dict[str, Any]) -> None:
    node = databricks["profile_features"]
    assert (node["database"], node["schema"]) == ("ml_prod", "features_marts")
    assert (databricks["stg_gold__profiles"]["database"], databricks["stg_gold__profiles"]["schema"]) == (
        "ml_prod",
        "features_staging",
    )


def test_the_connection_free_part_compiles_for_databricks(databricks_root: Path, databricks: dict[str, Any]) -> None:
    harness = DbtHarness(databricks_root, target="databricks", env=PLACEHOLDERS)
    outcome = harness.dbt(
        "compile", "--no-populate-cache", "--no-introspect", "--indirect-selection", "empty",
        "--select", *OFFLINE_COMPILABLE,
        "--vars", json.dumps({"databricks_consumer_groups": CONSUMER_GROUPS}),
    )
    assert outcome.success, outcome.text
    compiled = databricks_root / "target" / "compiled" / "featurestore"
    view = (compiled / "models" / "staging" / "gold" / "stg_gold__profiles.sql").read_text()
    assert "`ml_prod`.`gold_v1`.`profiles`" in view
    assert (compiled / "models" / "intermediate" / "int_account_plans_historized.sql").is_file()


def test_local_targets_get_none_of_the_databricks_configs(tmp_path: Path) -> None:
    local = models(parse(tmp_path, "local", {}))
    for name in [*DATE_KEYED_MARTS, "profile_features"]:
        config = local[name]["config"]
        assert (config["incremental_strategy"], config.get("file_format")) == ("delete+insert", None), name
        for key in ("liquid_clustered_by", "tblproperties", "partition_by"):
            assert not config.get(key), f"{name}: {key} leaks into the local target"
        assert config["grants"] == {}, name
    assert local["profile_features"]["constraints"] == []
    for name in PYTHON_MODELS:
        config = local[name]["config"]
        assert config.get("submission_method") is None, name
        assert not config["packages"] and not config.get("notebook_scoped_libraries"), name
