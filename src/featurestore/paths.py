"""Where things live: the project root, data folders and the environment variables that move them."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def find_project_dir(start: Path | None = None) -> Path:
    """Return the dbt project root: `FS_PROJECT_DIR`, else the nearest parent holding `dbt_project.yml`.

    Falls back to the checkout this package was installed from (editable install), so the CLI works
    from any working directory.
    """
    if env := os.environ.get("FS_PROJECT_DIR"):
        return Path(env).resolve()
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / "dbt_project.yml").is_file():
            return candidate
    checkout = PACKAGE_DIR.parent.parent
    if (checkout / "dbt_project.yml").is_file():
        return checkout
    raise FileNotFoundError(
        "Cannot find the dbt project (no dbt_project.yml in this folder or its parents). "
        "Run from the project checkout or set FS_PROJECT_DIR."
    )


@dataclass(frozen=True)
class ProjectPaths:
    """Resolved locations, honouring the documented environment variables."""

    project_dir: Path

    @classmethod
    def discover(cls) -> "ProjectPaths":
        return cls(find_project_dir())

    @property
    def data_dir(self) -> Path:
        return self.project_dir / "data"

    @property
    def raw_data_dir(self) -> Path:
        return self._env_path("RAW_DATA_DIR", self.data_dir / "raw")

    @property
    def duckdb_path(self) -> Path:
        return self._env_path("DUCKDB_PATH", self.data_dir / "featurestore.duckdb")

    @property
    def spark_dir(self) -> Path:
        return self._env_path("SPARK_HOME_DIR", self.data_dir / "spark")

    @property
    def target_dir(self) -> Path:
        """dbt's artefact folder (`DBT_TARGET_PATH`, as dbt itself reads it)."""
        return self._env_path("DBT_TARGET_PATH", self.project_dir / "target")

    @property
    def redis_dir(self) -> Path:
        return self.data_dir / "redis"

    @property
    def runs_dir(self) -> Path:
        return self.data_dir / "runs"

    def _env_path(self, name: str, default: Path) -> Path:
        value = os.environ.get(name)
        if not value:
            return default
        path = Path(value)
        return path if path.is_absolute() else (self.project_dir / path)

    def dbt_env(self) -> dict[str, str]:
        """Environment for a dbt invocation: every path absolute, so profiles.yml needs no cwd."""
        return {
            "RAW_DATA_DIR": str(self.raw_data_dir),
            "DUCKDB_PATH": str(self.duckdb_path),
            "SPARK_HOME_DIR": str(self.spark_dir),
        }
