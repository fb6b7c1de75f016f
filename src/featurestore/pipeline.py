"""The main job: make sure there is Gold data, build everything with dbt, report what was built."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from featurestore.invocations import DbtInvocation, DbtStop, run_dbt
from featurestore.paths import ProjectPaths
from featurestore.run_results import RunResults

logger = logging.getLogger(__name__)

GOLD_TABLES = ("accounts", "profiles", "content", "viewing_events", "engagement_events")

# Relations reported after a local build, in lineage order.
REPORTED_RELATIONS = (
    "main_staging.stg_gold__accounts",
    "main_staging.stg_gold__profiles",
    "main_staging.stg_gold__content",
    "main_staging.stg_gold__viewing_events",
    "main_staging.stg_gold__engagement_events",
    "main_staging.stg_gold__quarantined_events",
    "main_snapshots.accounts_snapshot",
    "main_intermediate.int_profile_days_aggregated",
    "main_marts.profile_features",
    "main_marts.profile_features_latest",
    "main_marts.dq_feature_quality_history",
)


def has_gold_data(raw_dir: Path) -> bool:
    """True when every Gold table folder holds at least one Parquet file."""
    return all(any((raw_dir / table).rglob("*.parquet")) for table in GOLD_TABLES)


@dataclass(frozen=True)
class BuildOutcome:
    """What this `dbt build` did: its own results (never an earlier invocation's) or why it stopped."""

    invocation: DbtInvocation

    @property
    def success(self) -> bool:
        return self.invocation.success

    @property
    def results(self) -> RunResults | None:
        """This invocation's results; None when dbt stopped before writing any."""
        return self.invocation.results

    @property
    def stop(self) -> DbtStop | None:
        return self.invocation.stop

    @property
    def exit_code(self) -> int:
        return self.invocation.exit_code


def build(
    paths: ProjectPaths,
    target: str,
    full_refresh: bool = False,
    extra: list[str] | None = None,
    caller: str | None = None,
) -> BuildOutcome:
    """`dbt build` on the target, in this process; the outcome of this invocation only."""
    args = ["build", "--target", target, *(["--full-refresh"] if full_refresh else []), *(extra or [])]
    return BuildOutcome(run_dbt(args, paths, caller=caller, target=target))
