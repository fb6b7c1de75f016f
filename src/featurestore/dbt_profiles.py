"""One output of the project's profiles.yml, rendered by dbt itself.

Code that must configure an engine exactly as the dbt build does (the benchmark floors' DuckDB settings, the
Spark session of `featurestore sync --target spark`) reads the same output through dbt's `ProfileRenderer`:
`env_var` with its defaults, dbt's filters (`as_number`, ...) and any future Jinja profiles.yml uses all
render as they do for `dbt build`, instead of through a second, hand-made Jinja environment.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any


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
