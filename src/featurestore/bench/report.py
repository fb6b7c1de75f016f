"""bench.json (merged across invocations), bench.md (tables) and bench.png (time vs profiles).

`bench.json` holds one entry per size (profiles), newer replacing older, so sizes can be measured one
invocation at a time into the same --out folder; `flat_cost` holds the latest flat-cost experiment.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from featurestore.bench.measure import machine_facts, now_utc
from featurestore.bench.steps import SIZE_STEPS

SCHEMA_VERSION = 1
JSON_NAME = "bench.json"
MD_NAME = "bench.md"
PNG_NAME = "bench.png"


class ReportError(Exception):
    """An unreadable bench.json in --out (refused rather than overwritten)."""


def empty_results() -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "updated_at": None,
        "machine": None,
        "sizes": [],
        "flat_cost": None,
    }


def load(out: Path) -> dict[str, Any]:
    path = out / JSON_NAME
    if not path.is_file():
        return empty_results()
    try:
        data = json.loads(path.read_text())
    except ValueError as exc:
        raise ReportError(f"{path} is not valid JSON ({exc}); move it away or choose another --out.") from exc
    if (
        not isinstance(data, dict)
        or data.get("schema_version") != SCHEMA_VERSION
        or not isinstance(data.get("sizes"), list)
    ):
        raise ReportError(
            f"{path} is not a bench.json of this version; move it away or choose another --out."
        )
    return data


def _wall(entry: dict[str, Any], step: str) -> float | None:
    record = entry.get("steps", {}).get(step) or {}
    return record.get("wall_s") if record.get("success") else None


def _ratio(a: float | None, b: float | None, digits: int = 3) -> float | None:
    return round(a / b, digits) if a is not None and b else None


def ratios(entry: dict[str, Any]) -> dict[str, float | None]:
    """The headline ratios of one size (None where a step did not succeed)."""
    full, daily = _wall(entry, "full_build"), _wall(entry, "daily_build")
    scan, write = _wall(entry, "scan_floor"), _wall(entry, "write_floor")
    floors = scan + write if scan is not None and write is not None else None
    profiles = entry.get("profiles") or 0
    live = (entry.get("data") or {}).get("live_profiles")
    return {
        "floors_s": None if floors is None else round(floors, 3),
        "full_over_floors": _ratio(full, floors, 2),
        "daily_over_full": _ratio(daily, full),
        "full_ms_per_profile": _ratio(None if full is None else 1000 * full, profiles, 4),
        "daily_ms_per_profile": _ratio(None if daily is None else 1000 * daily, profiles, 4),
        "full_ms_per_live_profile": _ratio(None if full is None else 1000 * full, live, 4),
    }


def merge_size(results: dict[str, Any], entry: dict[str, Any]) -> dict[str, Any]:
    """Put `entry` in, replacing an older entry of the same number of profiles; sizes sorted by profiles."""
    entry = {**entry, "ratios": ratios(entry)}
    sizes = [e for e in results["sizes"] if e.get("profiles") != entry["profiles"]]
    sizes.append(entry)
    results["sizes"] = sorted(sizes, key=lambda e: e["profiles"])
    return results


def save(out: Path, results: dict[str, Any]) -> list[Path]:
    """Write bench.json, bench.md and bench.png (atomically replacing each); return the paths."""
    out.mkdir(parents=True, exist_ok=True)
    results["updated_at"] = now_utc()
    results["machine"] = machine_facts()
    json_path = out / JSON_NAME
    _atomic_write(json_path, json.dumps(results, indent=2, default=str) + "\n")
    md_path = out / MD_NAME
    _atomic_write(md_path, render_markdown(results))
    png_path = out / PNG_NAME
    render_chart(results, png_path)
    return [json_path, md_path, png_path]


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


# --- Markdown ---------------------------------------------------------------------------------------------


def _s(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.1f} s" if value >= 10 else f"{value:.2f} s"


def _x(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _n(value: Any) -> str:
    return "-" if value is None else f"{value:,}"


def _row(*cells: str) -> str:
    return "| " + " | ".join(cells) + " |"


def _mb(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def _step_note(name: str, record: dict[str, Any]) -> str:
    d = record.get("details") or {}
    if d.get("skipped"):
        return "skipped (an earlier step failed)"
    if d.get("error"):
        return "FAILED: " + str(d["error"]).replace("|", "/")[:160]
    if name == "generate":
        return f"{_n(d.get('total_rows'))} rows, {d.get('first_date')}..{d.get('last_date')}"
    if name == "scan_floor":
        return f"{_n(d.get('events_read'))} events -> {_n(d.get('profile_days_written'))} profile-days"
    if name in ("full_build", "daily_build"):
        statuses = d.get("statuses") or {}
        counts = ", ".join(f"{k} {v}" for k, v in sorted(statuses.items()))
        top = (d.get("top_models") or [])[:3]
        slow = "; ".join(f"{t['model']} {t['seconds']:.1f} s" for t in top)
        return f"{d.get('nodes', '-')} nodes ({counts}); slowest: {slow}"
    if name == "write_floor":
        rows, export = _n(d.get("rows_written")), _s(d.get("export_s"))
        return f"{rows} rows x {d.get('columns')} columns (untimed Parquet export: {export})"
    if name in ("initial_sync", "daily_sync"):
        written = _n(d.get("profiles_written"))
        return f"{d.get('mode')} sync, {written} profiles written, feature date {d.get('feature_date')}"
    if name == "append_day":
        return f"day {d.get('day')}, {_n(d.get('total_rows'))} rows (dimensions rewritten)"
    return ""


def render_markdown(results: dict[str, Any]) -> str:
    lines = ["# featurestore bench", ""]
    machine = results.get("machine") or {}
    lines.append(
        f"Updated {results.get('updated_at')}. Machine: {machine.get('cpus_usable')} usable CPUs "
        f"({machine.get('cpu_model') or '?'}), {machine.get('ram_gb')} GB RAM, "
        f"Python {machine.get('python')}, DuckDB {machine.get('duckdb')}, "
        f"dbt-core {machine.get('dbt_core')}, dbt-duckdb {machine.get('dbt_duckdb')}. "
        "Each size's own machine facts, date, load average and DuckDB settings are in bench.json."
    )
    lines.append("")
    sizes = results.get("sizes") or []
    if sizes:
        lines += [
            "## Builds vs floors",
            "",
            "| profiles x days | live profiles | events | full build | daily build | daily / full "
            "| scan floor | write floor | full / (scan + write) | day's sync (profiles) | full ms / profile "
            "| ok |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for e in sizes:
            r = e.get("ratios") or ratios(e)
            data = e.get("data") or {}
            sync = e.get("steps", {}).get("daily_sync") or {}
            synced = _n((sync.get("details") or {}).get("profiles_written"))
            sync_cell = f"{_s(sync.get('wall_s'))} ({synced})" if sync.get("success") else "-"
            lines.append(
                _row(
                    f"{e['profiles']:,} x {e['days']}",
                    _n(data.get("live_profiles")),
                    _n(data.get("events")),
                    _s(_wall(e, "full_build")),
                    _s(_wall(e, "daily_build")),
                    _x(r.get("daily_over_full"), 3),
                    _s(_wall(e, "scan_floor")),
                    _s(_wall(e, "write_floor")),
                    _x(r.get("full_over_floors"), 1),
                    sync_cell,
                    _x(r.get("full_ms_per_profile"), 3),
                    "yes" if e.get("success") else "NO",
                )
            )
        lines += [
            "",
            "## Every step",
            "",
            "| profiles x days | step | wall time | peak RSS (MB) | ok | details |",
            "|---|---|---|---|---|---|",
        ]
        for e in sizes:
            for name, label in SIZE_STEPS:
                record = e.get("steps", {}).get(name)
                if record is None:
                    continue
                lines.append(
                    f"| {e['profiles']:,} x {e['days']} | {label} | {_s(record.get('wall_s'))} "
                    f"| {_mb(record.get('peak_rss_mb'))} | {'yes' if record.get('success') else 'no'} "
                    f"| {_step_note(name, record)} |"
                )
        failed = [e for e in sizes if e.get("error")]
        if failed:
            lines += ["", "Failures:", ""] + [f"- {e['profiles']:,} profiles: {e['error']}" for e in failed]
        lines += ["", f"![time vs profiles]({PNG_NAME})", ""]
    flat = results.get("flat_cost")
    if flat:
        lines += render_flat_cost(flat)
    lines += [
        "Wall times: dbt builds are the whole `dbt build` process (start-up included); the Python steps "
        "(generate, floors, syncs) are the step's own work inside its child process, without interpreter "
        "start-up. Peak RSS is the child process's `ru_maxrss`. Definitions: docs/benchmarks.md.",
        "",
    ]
    return "\n".join(lines)


def render_flat_cost(flat: dict[str, Any]) -> list[str]:
    runs = f"median of {flat['repeats']} runs" if flat["repeats"] > 1 else "one run"
    lines = [
        "## Flat cost: 10x dormant profiles, same activity",
        "",
        f"{flat['profiles']:,} profiles x {flat['days']} days, "
        f"plus {flat['dormant_profiles']:,} dormant ones; "
        f"daily build = {runs}; measured {flat.get('measured_at')}.",
        "",
    ]
    if not flat.get("success"):
        return lines + [f"Not completed: {flat.get('error')}", ""]
    lines += [
        "| scenario | live profiles | full build | daily build (runs) | rows written by the daily build "
        "| feature-log rows | daily peak RSS (MB) |",
        "|---|---|---|---|---|---|---|",
    ]
    for s in flat["scenarios"]:
        runs = ", ".join(f"{t:.1f}" for t in s["daily_runs_s"])
        lines.append(
            _row(
                s["scenario"],
                f"{s['live_profiles']:,}",
                _s(s["full_build_s"]),
                f"{_s(s['daily_build_s'])} ({runs})",
                f"{s['daily_rows_written']:,}",
                f"{s['feature_log_rows']:,}",
                _mb(s["daily_peak_rss_mb"]),
            )
        )
    goals = flat["goals"]
    verdict = "met" if flat.get("met") else "NOT met"
    lines += [
        f"| **ratio** | | | **{flat['time_ratio']:.2f}x** (goal <= {goals['time_ratio_max']}x) "
        f"| **{flat['rows_ratio']:.2f}x** (goal <= {goals['rows_ratio_max']}x) | | |",
        "",
        f"Flat-cost goal {verdict}.",
        "",
    ]
    return lines


# --- chart ------------------------------------------------------------------------------------------------

SERIES = (
    ("full build", "full_build", "o-"),
    ("daily build", "daily_build", "s-"),
    ("scan floor", "scan_floor", "v--"),
    ("write floor", "write_floor", "^--"),
)


def render_chart(results: dict[str, Any], path: Path) -> Path:
    """Log-log chart of wall time vs profiles: builds, floors and their sum."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = results.get("sizes") or []
    fig, ax = plt.subplots(figsize=(8, 5), dpi=110)
    plotted = False
    for label, step, style in SERIES:
        points = [(e["profiles"], _wall(e, step)) for e in sizes]
        points = [(x, y) for x, y in points if y is not None and y > 0]
        if points:
            ax.plot(*zip(*points, strict=True), style, label=label)
            plotted = True
    floors = [(e["profiles"], (e.get("ratios") or ratios(e)).get("floors_s")) for e in sizes]
    floors = [(x, y) for x, y in floors if y]
    if floors:
        ax.plot(*zip(*floors, strict=True), "d:", color="grey", label="floors sum (scan + write)")
    if plotted:
        from matplotlib.ticker import FixedLocator, NullLocator

        ax.set_xscale("log")
        ax.set_yscale("log")
        ticks = sorted({e["profiles"] for e in sizes})
        ax.xaxis.set_major_locator(FixedLocator(ticks))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.set_xticklabels([f"{t:,}" for t in ticks])
        ax.legend(loc="upper left", fontsize=9)
    else:
        ax.text(0.5, 0.5, "no successful size yet", ha="center", va="center", transform=ax.transAxes)
    days = sorted({e["days"] for e in sizes})
    machine = results.get("machine") or {}
    ax.set_title(
        f"featurestore bench: wall time vs profiles ({'/'.join(map(str, days)) or '?'} days; "
        f"{machine.get('cpus_usable', '?')} CPUs, {machine.get('ram_gb', '?')} GB)",
        fontsize=10,
    )
    ax.set_xlabel("profiles at start")
    ax.set_ylabel("wall time (s)")
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    tmp = path.with_name(path.stem + ".tmp.png")
    fig.savefig(tmp)
    plt.close(fig)
    os.replace(tmp, path)
    return path
