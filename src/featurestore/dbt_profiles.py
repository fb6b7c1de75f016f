"""One output of the project's profiles.yml, rendered by dbt itself.

Code that must configure an engine exactly as the dbt build does (the benchmark floors' DuckDB settings, the
Spark session of `featurestore sync --target spark`) reads the same output through dbt's `ProfileRenderer`:
`env_var` with its defaults, dbt's filters (`as_number`, ...) and any future Jinja profiles.yml uses all
render as they do for `dbt build`, instead of through a second, hand-made Jinja environment.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import duckdb

logger = logging.getLogger(__name__)


class ProfileOutputError(ValueError):
    """profiles.yml is missing, unreadable, lacks the output, or one of its values does not render."""


def profiles_file(project_dir: Path, environ: Mapping[str, str] | None = None) -> Path:
    """profiles.yml as dbt finds it: in DBT_PROFILES_DIR when set, else in the project folder."""
    environ = os.environ if environ is None else environ
    return Path(environ.get("DBT_PROFILES_DIR") or project_dir) / "profiles.yml"


def rendered_output(project_dir: Path, target: str, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The `target` output of the project's profile, every value rendered with `environ` (default: this
    process's environment) as dbt renders it.

    Raises ProfileOutputError naming the file and what is wrong.
    """
    import yaml
    from dbt.config.renderer import ProfileRenderer
    from dbt_common.context import set_invocation_context
    from dbt_common.exceptions import DbtBaseException

    path = profiles_file(project_dir, environ)
    try:
        profile = (yaml.safe_load((project_dir / "dbt_project.yml").read_text()) or {}).get("profile")
        output = yaml.safe_load(path.read_text())[profile]["outputs"][target]
        # dbt's env_var reads the environment through the invocation context, not os.environ
        set_invocation_context(dict(os.environ if environ is None else environ))
        rendered = ProfileRenderer({}).render_data(output)
    except OSError as exc:
        raise ProfileOutputError(f"cannot read {exc.filename or path}: {exc.strerror or exc}") from exc
    except (KeyError, TypeError, yaml.YAMLError) as exc:
        raise ProfileOutputError(f"{path} has no output '{target}' in its profile ({exc})") from exc
    except DbtBaseException as exc:
        raise ProfileOutputError(f"the '{target}' output of {path} does not render: {exc}") from exc
    if not isinstance(rendered, dict):
        raise ProfileOutputError(f"the '{target}' output of {path} is not a mapping")
    return rendered


def duckdb_settings(project_dir: Path | None = None) -> dict[str, Any]:
    """The DuckDB `config_options` and `settings` of the `local` target (memory limit, threads, insertion order,
    time zone, ...), as the dbt build gets them. Empty, with a warning, when profiles.yml does not render."""
    from featurestore.paths import find_project_dir

    try:
        local = rendered_output(project_dir or find_project_dir(), "local")
    except (FileNotFoundError, ProfileOutputError) as exc:
        logger.warning("DuckDB runs with its defaults: profiles.yml's local target did not render (%s)", exc)
        return {}
    # config_options apply once per database, settings per cursor: the build gets both.
    settings = {**(local.get("config_options") or {}), **(local.get("settings") or {})}
    return {str(k): v for k, v in settings.items() if v is not None}


def with_duckdb_settings(con: duckdb.DuckDBPyConnection, project_dir: Path | None = None) -> duckdb.DuckDBPyConnection:
    """`con` with the `local` target's DuckDB settings, so work outside dbt (the sync, the benchmark floors) stays
    inside the same memory limit instead of DuckDB's default of 80% of RAM."""
    from featurestore.failures import EXIT_INPUT, FeaturestoreError

    for name, value in duckdb_settings(project_dir).items():
        try:
            con.execute(f"set {name} = {_literal(value)}")
        except duckdb.Error as exc:
            raise FeaturestoreError(
                f"DuckDB refuses {name} = {value!r} from profiles.yml's local target ({exc}). Fix the variable "
                "it reads (DUCKDB_MEMORY_LIMIT, DUCKDB_THREADS) and rerun.",
                EXIT_INPUT,
            ) from exc
    return con


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"
