"""profiles.yml outputs rendered as dbt renders them, for the code that configures an engine like the build."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from featurestore.dbt_profiles import ProfileOutputError, rendered_output
from featurestore.failures import FeaturestoreError
from featurestore.online import OnlineStoreError
from featurestore.online.spark_sync import local_spark_settings
from featurestore.paths import ProjectPaths
from featurestore.warehouse import open_for_writing

PROFILES = """\
shop:
  target: local
  outputs:
    local:
      type: duckdb
      threads: "{{ env_var('SHOP_THREADS', '3') | as_number }}"
      settings:
        memory_limit: "{{ env_var('SHOP_MEMORY', '5GB') }}"
    spark:
      type: spark
      server_side_parameters:
        spark.master: "local[2]"
        spark.sql.warehouse.dir: "{{ env_var('SPARK_HOME_DIR', env_var('PWD') ~ '/data/spark') }}/warehouse"
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "dbt_project.yml").write_text("name: shop\nprofile: shop\n")
    (tmp_path / "profiles.yml").write_text(PROFILES)
    return tmp_path


def test_env_var_defaults_and_dbt_filters_render(project: Path) -> None:
    local = rendered_output(project, "local", {})
    assert local["threads"] == 3  # as_number: an int, not the string "3"
    assert local["settings"] == {"memory_limit": "5GB"}


def test_the_given_environment_wins_over_the_defaults(project: Path) -> None:
    local = rendered_output(project, "local", {"SHOP_THREADS": "1", "SHOP_MEMORY": "12GB"})
    assert local["threads"] == 1
    assert local["settings"] == {"memory_limit": "12GB"}


def test_profiles_dir_moves_the_file(project: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    elsewhere = tmp_path_factory.mktemp("profiles")
    (elsewhere / "profiles.yml").write_text(PROFILES.replace("'5GB'", "'7GB'"))
    local = rendered_output(project, "local", {"DBT_PROFILES_DIR": str(elsewhere)})
    assert local["settings"] == {"memory_limit": "7GB"}


def test_a_missing_output_names_the_file(project: Path) -> None:
    with pytest.raises(ProfileOutputError, match=r"profiles\.yml has no output 'databricks'"):
        rendered_output(project, "databricks", {})


def test_a_missing_file_names_it(tmp_path: Path) -> None:
    (tmp_path / "dbt_project.yml").write_text("name: shop\nprofile: shop\n")
    with pytest.raises(ProfileOutputError, match=r"cannot read .*profiles\.yml"):
        rendered_output(tmp_path, "local", {})


def test_a_value_that_does_not_render_is_named(project: Path) -> None:
    broken = PROFILES.replace("env_var('SHOP_MEMORY', '5GB')", "env_var('SHOP_MEMORY')")
    (project / "profiles.yml").write_text(broken)
    with pytest.raises(ProfileOutputError, match="'local' output of .* does not render"):
        rendered_output(project, "local", {})


def test_local_spark_home_defaults_under_the_project_folder(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SPARK_HOME_DIR", raising=False)
    monkeypatch.delenv("PWD", raising=False)
    settings = local_spark_settings(ProjectPaths(project))
    assert settings == {
        "spark.master": "local[2]",
        "spark.sql.warehouse.dir": f"{project}/data/spark/warehouse",
    }


def test_local_spark_home_follows_the_environment(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPARK_HOME_DIR", "/elsewhere/spark")
    assert local_spark_settings(ProjectPaths(project))["spark.sql.warehouse.dir"] == "/elsewhere/spark/warehouse"


def test_a_broken_spark_output_is_a_configuration_error(project: Path) -> None:
    (project / "profiles.yml").write_text(PROFILES.replace("    spark:\n", "    sparky:\n"))
    with pytest.raises(OnlineStoreError, match="Fix profiles.yml's `spark` output") as raised:
        local_spark_settings(ProjectPaths(project))
    assert raised.value.exit_code == 2


def test_the_warehouse_opened_outside_dbt_gets_the_builds_memory_limit_and_threads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DUCKDB_MEMORY_LIMIT", "1GB")
    monkeypatch.setenv("DUCKDB_THREADS", "1")
    with open_for_writing(tmp_path / "warehouse.duckdb") as con:
        limit, threads = con.execute("select current_setting('memory_limit'), current_setting('threads')").fetchone()
    assert (limit, int(threads)) == ("953.6 MiB", 1)  # 1 GB = 10^9 bytes = 953.6 MiB


def test_a_memory_limit_duckdb_refuses_is_a_one_line_configuration_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DUCKDB_MEMORY_LIMIT", "lots")
    with pytest.raises(FeaturestoreError, match=r"memory_limit = 'lots'.*DUCKDB_MEMORY_LIMIT") as raised:
        open_for_writing(tmp_path / "warehouse.duckdb")
    assert raised.value.exit_code == 2
    duckdb.connect(str(tmp_path / "warehouse.duckdb")).close()  # the refused connection did not keep the file
