"""The Databricks Asset Bundle (databricks.yml + resources/*.yml), checked offline.

No workspace is reachable here, so this does what `databricks bundle validate` does without one: merge the
includes, apply each target, resolve `${var.*}`, validate against the bundle JSON schema of the Databricks CLI
(vendored: tests/fixtures/databricks_bundle/README.md), and check that what the job points at exists: the dbt
project and its `databricks` profile, the wheel's package and entry point, every `featurestore` command line
(parsed by the real CLI), the dbt command, the dbt vars and the job parameters it uses.
"""

from __future__ import annotations

import copy
import fnmatch
import json
import re
import shlex
import tomllib
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.support.dbt import PROJECT_DIR

SCHEMA_PATH = PROJECT_DIR / "tests" / "fixtures" / "databricks_bundle" / "jsonschema.json"
# Variables without a default are given at deploy time (`databricks bundle deploy --var ...`).
DEPLOY_VARS = {"warehouse_id": "0123456789abcdef", "failure_email": "oncall@example.com"}
VAR_REF = re.compile(r"\$\{var\.([A-Za-z0-9_-]+)\}")
JOB_PARAM_REF = re.compile(r"\{\{\s*job\.parameters\.([A-Za-z0-9_]+)\s*\}\}")


def python_pattern(pattern: str) -> str:
    """A Go/RE2 pattern with its `\\p{L}` / `\\p{N}` classes spelled for Python's `re`, which lacks them (ASCII
    letters and digits: enough for this bundle's names, which are ASCII)."""
    out, inside, i = [], False, 0
    while i < len(pattern):
        for prop, chars in ((r"\p{L}", "a-zA-Z"), (r"\p{N}", "0-9")):
            if pattern.startswith(prop, i):
                out.append(chars if inside else f"[{chars}]")
                i += len(prop)
                break
        else:
            char = pattern[i]
            if char == "\\":
                out.append(pattern[i : i + 2])
                i += 2
                continue
            inside = True if char == "[" else False if char == "]" else inside
            out.append(char)
            i += 1
    return "".join(out)


def python_patterns(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: python_pattern(v) if k == "pattern" else python_patterns(v) for k, v in node.items()}
    if isinstance(node, list):
        return [python_patterns(v) for v in node]
    return node


def schema_errors(validator: jsonschema.protocols.Validator, instance: Any) -> list[str]:
    """Each violation at its deepest point (a oneOf's own message says only "not valid under any")."""
    found = []
    for error in validator.iter_errors(instance):
        deepest = jsonschema.exceptions.best_match([error])
        while deepest.context:
            deepest = jsonschema.exceptions.best_match(deepest.context)
        found.append(f"{'/'.join(map(str, deepest.absolute_path))}: {deepest.message[:300]}")
    return found


@pytest.fixture(scope="module")
def validator() -> jsonschema.protocols.Validator:
    schema = python_patterns(json.loads(SCHEMA_PATH.read_text()))
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    return cls(schema)


def load_bundle() -> tuple[dict[str, Any], dict[str, Path]]:
    """databricks.yml with its includes merged; and for each job, the file it came from (paths are relative
    to the file that declares them)."""
    root = yaml.safe_load((PROJECT_DIR / "databricks.yml").read_text())
    sources: dict[str, Path] = {}
    for pattern in root.get("include", []):
        matched = sorted(PROJECT_DIR.glob(pattern))
        assert matched, f"include {pattern!r} matches no file"
        for path in matched:
            part = yaml.safe_load(path.read_text())
            for kind, items in part.get("resources", {}).items():
                for name, resource in items.items():
                    root.setdefault("resources", {}).setdefault(kind, {})[name] = resource
                    sources[name] = path
    return root, sources


def for_target(bundle: dict[str, Any], target: str) -> dict[str, Any]:
    """The configuration `databricks bundle deploy -t <target>` would deploy, ${var.*} resolved."""
    config = copy.deepcopy(bundle)
    chosen = config.pop("targets")[target]
    values = {name: spec.get("default") for name, spec in config.get("variables", {}).items()}
    values.update(DEPLOY_VARS)
    values.update(chosen.get("variables", {}))
    missing = [name for name, value in values.items() if value is None]
    assert not missing, f"variables without a value on {target}: {missing}"
    # `mode` is checked in the raw file (it is no root key); the target's workspace settings apply as written
    config["workspace"] = {**config.get("workspace", {}), **chosen.get("workspace", {})}

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: resolve(v) for k, v in node.items()}
        if isinstance(node, list):
            return [resolve(v) for v in node]
        if isinstance(node, str):
            whole = VAR_REF.fullmatch(node)
            if whole:  # a whole-value reference keeps the variable's type (num_workers: 2)
                return values[whole.group(1)]
            return VAR_REF.sub(lambda m: str(values[m.group(1)]), node)
        return node

    config = resolve(config)
    config["variables"] = {name: {"default": value} for name, value in values.items()}
    return config


def jobs(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return config["resources"]["jobs"]


def test_the_bundle_as_written_matches_the_schema(validator: jsonschema.protocols.Validator) -> None:
    bundle, _ = load_bundle()
    errors = schema_errors(validator, bundle)
    assert errors == []


@pytest.mark.parametrize("target", ["dev", "prod"])
def test_each_target_resolved_matches_the_schema(validator: jsonschema.protocols.Validator, target: str) -> None:
    config = for_target(load_bundle()[0], target)
    assert not VAR_REF.search(json.dumps(config)), "an unresolved ${var.*} is left"
    errors = schema_errors(validator, config)
    assert errors == []


def test_dev_and_prod_deployment_modes() -> None:
    targets = load_bundle()[0]["targets"]
    assert targets["dev"]["mode"] == "development" and targets["dev"].get("default") is True
    assert targets["prod"]["mode"] == "production"


def test_every_variable_is_declared_and_used() -> None:
    bundle, _ = load_bundle()
    text = json.dumps(bundle)
    used = set(VAR_REF.findall(text))
    declared = set(bundle["variables"])
    assert used <= declared, f"undeclared: {used - declared}"
    assert declared <= used, f"declared, never used: {declared - used}"


def test_the_daily_job_runs_build_then_sync_then_report() -> None:
    bundle, _ = load_bundle()
    job = jobs(bundle)["featurestore_daily"]
    tasks = {t["task_key"]: t for t in job["tasks"]}
    assert list(tasks) == ["build", "sync", "report"]
    assert "dbt_task" in tasks["build"]
    assert [d["task_key"] for d in tasks["sync"]["depends_on"]] == ["build"]
    assert [d["task_key"] for d in tasks["report"]["depends_on"]] == ["sync"]
    for task in tasks.values():
        assert task.get("run_if", "ALL_SUCCESS") == "ALL_SUCCESS", "a later stage must not run after a failure"
        assert "max_retries" in task and "timeout_seconds" in task
    assert job["timeout_seconds"] > 0
    assert job["email_notifications"]["on_failure"] == ["${var.failure_email}"]
    assert {p["name"] for p in job["parameters"]} >= {"as_of_date", "lookback_days"}


def relative_to_job(sources: dict[str, Path], job_name: str, path: str) -> Path:
    return (sources[job_name].parent / path).resolve()


def test_the_dbt_task_points_at_this_project_and_its_databricks_profile() -> None:
    bundle, sources = load_bundle()
    dbt_project = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())
    for name, job in jobs(bundle).items():
        params = {p["name"]: p["default"] for p in job.get("parameters", [])}
        for task in job["tasks"]:
            dbt_task = task.get("dbt_task")
            if dbt_task is None:
                continue
            project_dir = relative_to_job(sources, name, dbt_task["project_directory"])
            assert (project_dir / "dbt_project.yml").is_file(), project_dir
            profiles_dir = relative_to_job(sources, name, dbt_task.get("profiles_directory", "."))
            profiles = yaml.safe_load((profiles_dir / "profiles.yml").read_text())
            outputs = profiles[dbt_project["profile"]]["outputs"]
            for command in dbt_task["commands"]:
                referenced = set(JOB_PARAM_REF.findall(command))
                assert referenced <= set(params), f"undefined job parameters: {referenced - set(params)}"
                # as the job runs it with the default parameters
                argv = shlex.split(JOB_PARAM_REF.sub(lambda m: str(params[m.group(1)]), command))
                assert argv[:2] == ["dbt", "build"], argv
                target = argv[argv.index("--target") + 1]
                assert outputs[target]["type"] == "databricks"
                dbt_vars = yaml.safe_load(argv[argv.index("--vars") + 1])
                assert set(dbt_vars) <= set(dbt_project["vars"]), "a var the project does not declare"
                assert isinstance(dbt_vars["lookback_days"], int)


def test_the_wheel_tasks_run_existing_featurestore_commands() -> None:
    import typer

    from featurestore.cli import app

    bundle, sources = load_bundle()
    pyproject = tomllib.loads((PROJECT_DIR / "pyproject.toml").read_text())
    artifact = bundle["artifacts"]["featurestore_wheel"]
    assert (PROJECT_DIR / artifact["path"] / "pyproject.toml").is_file()
    built = [f["source"] for f in artifact["files"]]
    wheel = f"dist/{pyproject['project']['name']}-{pyproject['project']['version']}-py3-none-any.whl"
    assert any(fnmatch.fnmatch(wheel, pattern) for pattern in built), f"the artifact does not list {wheel}"
    group = typer.main.get_command(app)
    seen = 0
    for name, job in jobs(bundle).items():
        for task in job["tasks"]:
            for library in task.get("libraries", []):
                if "whl" in library:  # the wheel the artifact builds, relative to the resource file
                    pattern = relative_to_job(sources, name, library["whl"]).relative_to(PROJECT_DIR)
                    assert fnmatch.fnmatch(wheel, str(pattern)), f"{library['whl']} is not the built wheel"
            wheel_task = task.get("python_wheel_task")
            if wheel_task is None:
                continue
            seen += 1
            assert wheel_task["package_name"] == pyproject["project"]["name"]
            assert wheel_task["entry_point"] in pyproject["project"]["scripts"]
            argv = [VAR_REF.sub("x", arg) for arg in wheel_task["parameters"]]
            parent = group.make_context("featurestore", list(argv))
            assert group.get_command(parent, argv[0]) is not None, f"`featurestore {argv[0]}` does not exist"
            command_name, command, args = group.resolve_command(parent, argv)
            command.make_context(command_name, args, parent=parent)  # a usage error on an unknown option or value
    assert seen == 2
