"""Flat cost: does a daily build cost what the day's activity costs, not the size of the profile base?

Two scenarios over the same activity, each in its own work folder:
  base     N profiles, D days of generated Gold data;
  dormant  the same files plus 10 x N dormant profiles (`dormant.py`) whose values cannot change on the
           measured days.
For each: a full `dbt build`, then the next day is appended and the daily incremental `dbt build` is run
`repeats` times (median; re-running the same day does the same work). Rows written by the daily build are
the rows of the dates each incremental model replaced (from its newest date before the run minus
`lookback_days`) plus every row of the models materialised as tables.
Goals: dormant / base <= 1.3x daily time and <= 1.1x rows written.

(Formerly scripts/benchmark_flat_cost.py.)
"""

from __future__ import annotations

import json
import shutil
import statistics
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from featurestore.bench.measure import duckdb_settings, machine_facts, now_utc
from featurestore.bench.steps import Display, NoDisplay, StepFailed, StepRunner, Workspace

TIME_RATIO_GOAL = 1.3
ROWS_RATIO_GOAL = 1.1
DORMANT_FACTOR = 10
DATE_COLUMNS = ("event_date", "feature_date")
LOOKBACK_DAYS = 3
TOP_NODES = 8
# Written by the publish's post-hook, not a dbt node (macros/features/profile_features_latest_snapshot.sql): each
# profile's newest log row, so the rows a daily run rewrote are those dated in its look-back window.
HOOK_WRITTEN = {"main_marts.profile_features_latest_snapshot": "feature_date"}


def incremental_relations(warehouse: Path, target: Path) -> tuple[dict[str, str], list[str]]:
    """Incremental models and tables written by hooks (relation -> its date column), and the models
    materialised as tables."""
    import duckdb

    manifest = json.loads((target / "manifest.json").read_text())
    incremental: dict[str, str] = {}
    tables: list[str] = []
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for node in manifest["nodes"].values():
            kind = node.get("config", {}).get("materialized")
            if node["resource_type"] not in ("model", "snapshot"):
                continue
            relation = f"{node['schema']}.{node['alias']}"
            if kind == "incremental":
                columns = {r[0] for r in con.execute(f"describe {relation}").fetchall()}
                incremental[relation] = next(c for c in DATE_COLUMNS if c in columns)
            elif kind == "table":
                tables.append(relation)
        listed = con.execute("select table_schema, table_name from information_schema.tables").fetchall()
        existing = {f"{schema}.{name}" for schema, name in listed}
        incremental.update({rel: col for rel, col in HOOK_WRITTEN.items() if rel in existing})
    return incremental, sorted(tables)


def latest_dates(warehouse: Path, incremental: dict[str, str]) -> dict[str, date | None]:
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {
            rel: (con.execute(f"select max({col}) from {rel}").fetchone() or (None,))[0]
            for rel, col in incremental.items()
        }


def rows_written(
    warehouse: Path,
    incremental: dict[str, str],
    before: dict[str, date | None],
    tables: list[str],
    lookback: int,
) -> dict[str, int]:
    """Rows each model wrote in the last run: the replaced dates of incremental models, all rows of tables."""
    import duckdb

    written: dict[str, int] = {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for rel, col in incremental.items():
            newest = before.get(rel)
            where = f"where {col} >= date '{newest - timedelta(days=lookback)}'" if newest else ""
            written[rel] = int((con.execute(f"select count(*) from {rel} {where}").fetchone() or (0,))[0])
        for rel in tables:
            written[rel] = int((con.execute(f"select count(*) from {rel}").fetchone() or (0,))[0])
    return written


def _count(warehouse: Path, relation: str) -> int:
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as con:
        return int((con.execute(f"select count(*) from {relation}").fetchone() or (0,))[0])


def _slowest(run_results: dict[str, Any]) -> dict[str, float]:
    return {m["model"]: m["seconds"] for m in (run_results.get("top_models") or [])[:TOP_NODES]}


@dataclass
class FlatCostBench:
    """Runs both scenarios; `result` (what bench.json keeps under `flat_cost`) fills in as they complete."""

    profiles: int
    days: int
    seed: int
    repeats: int
    root: Path
    project_dir: Path
    display: Display = field(default_factory=NoDisplay)
    keep: bool = False
    result: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.result = {
            "profiles": self.profiles,
            "dormant_profiles": DORMANT_FACTOR * self.profiles,
            "days": self.days,
            "seed": self.seed,
            "repeats": self.repeats,
            "measured_at": now_utc(),
            "machine": machine_facts(),
            "duckdb_env": duckdb_settings(),
            "goals": {"time_ratio_max": TIME_RATIO_GOAL, "rows_ratio_max": ROWS_RATIO_GOAL},
            "success": False,
            "error": None,
            "scenarios": [],
        }

    def run(self) -> dict[str, Any]:
        try:
            base = self._scenario("base", 0)
            dormant = self._scenario("dormant", DORMANT_FACTOR * self.profiles)
        except StepFailed as exc:
            self.result["error"] = str(exc)
            raise
        time_ratio = dormant["daily_build_s"] / base["daily_build_s"]
        rows_ratio = dormant["daily_rows_written"] / max(base["daily_rows_written"], 1)
        self.result.update(
            {
                "time_ratio": round(time_ratio, 3),
                "rows_ratio": round(rows_ratio, 3),
                "daily_vs_full_base": round(base["daily_build_s"] / base["full_build_s"], 3),
                "met": time_ratio <= TIME_RATIO_GOAL and rows_ratio <= ROWS_RATIO_GOAL,
                "success": True,
            }
        )
        if not self.keep:
            shutil.rmtree(self.root, ignore_errors=True)
        return self.result

    def _scenario(self, name: str, dormant: int) -> dict[str, Any]:
        ws = Workspace(self.root / name, self.project_dir)
        ws.prepare()
        context = (
            f"flat cost, {name}: {self.profiles:,}"
            + (f" + {dormant:,} dormant" if dormant else "")
            + " profiles"
        )
        runner = StepRunner(ws, self.display, context)
        runner.worker(
            "generate",
            "generate Gold data",
            "generate",
            "--raw",
            str(ws.raw),
            "--profiles",
            str(self.profiles),
            "--days",
            str(self.days),
            "--seed",
            str(self.seed),
        )
        if dormant:
            runner.worker(
                "add_dormant",
                f"add {dormant:,} dormant profiles",
                "add-dormant",
                "--raw",
                str(ws.raw),
                "--count",
                str(dormant),
                "--seed",
                str(self.seed + 1),
            )
        full = runner.dbt_build("full_build", "full dbt build")
        incremental, tables = incremental_relations(ws.warehouse, ws.target)
        runner.worker("append_day", "append one day", "append-day", "--raw", str(ws.raw))
        before = latest_dates(ws.warehouse, incremental)
        daily = [
            runner.dbt_build(f"daily_build_{i + 1}", f"daily dbt build ({i + 1} of {self.repeats})")
            for i in range(self.repeats)
        ]
        written = rows_written(ws.warehouse, incremental, before, tables, LOOKBACK_DAYS)
        times = [d.wall_s or 0.0 for d in daily]
        scenario = {
            "scenario": name,
            "dormant_profiles": dormant,
            "live_profiles": _count(ws.warehouse, "main_staging.stg_gold__profiles"),
            "full_build_s": round(full.wall_s or 0.0, 3),
            "full_build_peak_rss_mb": round(full.peak_rss_mb or 0.0, 1),
            "daily_build_s": round(statistics.median(times), 3),
            "daily_runs_s": [round(t, 3) for t in times],
            "daily_peak_rss_mb": round(max(d.peak_rss_mb or 0.0 for d in daily), 1),
            "daily_rows_written": sum(written.values()),
            "daily_rows_by_relation": written,
            "daily_slowest_nodes": _slowest(daily[-1].details),
            "feature_log_rows": _count(ws.warehouse, "main_marts.profile_features"),
        }
        self.result["scenarios"].append(scenario)
        return scenario
