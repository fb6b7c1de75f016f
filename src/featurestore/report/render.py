"""The report page: one self-contained HTML file (inline CSS, inline SVG, a little inline JavaScript).

Nothing is fetched from the network: no fonts, stylesheets, scripts or images. The charts are plain SVG, so
the page reads fine with JavaScript off; the script only adds hover read-outs and the card filters, and sets
`document.body.dataset.rendered = "1"` once done (errors are written into `#js-errors`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

from jinja2 import Environment, StrictUndefined, Template
from markupsafe import Markup, escape

from featurestore.report import charts
from featurestore.report.charts import HIST_W, HIST_X0, HIST_X1, fmt_number, fmt_pct
from featurestore.report.data import FeatureHistory, ReportData, load_report_data

STATUS_LABELS = {"ok": "Healthy", "warn": "Needs attention", "error": "Failing"}
DRIFT_LABELS = {"ok": "OK", "warn": "WARN", "error": "ERROR"}
NODE_STATUSES = ("success", "pass", "warn", "fail", "error", "skipped")


@dataclass(frozen=True)
class DriftScore:
    label: str
    value: str
    hint: str


@dataclass(frozen=True)
class FeatureView:
    """A feature card: the data plus its rendered charts."""

    feature: FeatureHistory
    anchor: str
    series: charts.HistorySeries
    history_svg: Markup
    distribution_svg: Markup
    scores: list[DriftScore]
    stats: list[tuple[str, str]]


def build_report(warehouse: Path, target_dir: Path, out: Path) -> Path:
    """Read the warehouse and dbt results, write the HTML page to `out` (folders created), return its path."""
    data = load_report_data(warehouse, target_dir)
    html = render_html(data)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    partial.write_text(html, encoding="utf-8")
    partial.replace(out)
    return out


def render_html(data: ReportData) -> str:
    views = {f.name: _feature_view(f) for f in data.features}
    blob = _chart_data(views)
    quarantine_max: dict[str, int] = {}  # bars compare rows within one outcome (duplicates dwarf the rest)
    for q in data.quarantine:
        quarantine_max[q.outcome] = max(quarantine_max.get(q.outcome, 0), q.rows, 1)
    return _template().render(
        data=data,
        run=data.run,
        views=views,
        status=data.status,
        status_label=STATUS_LABELS[data.status],
        drift_labels=DRIFT_LABELS,
        drift=data.drift_counts,
        quarantine_max=quarantine_max,
        chart_data=Markup(json.dumps(blob, separators=(",", ":")).replace("</", "<\\/")),
        chart_geometry={"w": HIST_W, "x0": HIST_X0, "x1": HIST_X1},
        fmt_time=_fmt_time,
        node_statuses=NODE_STATUSES,
        css=Markup(CSS + charts.CHART_CSS),
        script=Markup(SCRIPT),
        error_hook=Markup(ERROR_HOOK),
    )


def _feature_view(feature: FeatureHistory) -> FeatureView:
    series = charts.history_series(feature)
    latest = feature.latest
    scores = [
        DriftScore(
            "Δ null",
            "–" if latest.null_rate_change is None else f"{_signed(latest.null_rate_change * 100)} pp",
            "Change of the NULL rate vs the trailing days, in percentage points",
        ),
        DriftScore(
            "mean shift",
            "–" if latest.mean_shift_stddevs is None else f"{_signed(latest.mean_shift_stddevs)}σ",
            "Shift of the mean vs the trailing days, in standard deviations",
        ),
        DriftScore(
            "PSI",
            "–" if latest.psi is None else f"{latest.psi:.3f}",
            "Population stability index of the distribution vs the trailing days",
        ),
    ]
    if feature.is_categorical:
        stats = [(share.value, fmt_pct(share.share)) for share in charts.latest_shares(feature)[:3]]
    else:
        stats = [
            ("p01", fmt_number(latest.p01)),
            ("p50", fmt_number(latest.p50)),
            ("p99", fmt_number(latest.p99)),
            ("mean", fmt_number(latest.mean_value)),
            ("sd", fmt_number(latest.stddev_value)),
        ]
    return FeatureView(
        feature=feature,
        anchor=f"f-{feature.name}",
        series=series,
        history_svg=Markup(charts.history_svg(series, feature.name)),
        distribution_svg=Markup(charts.distribution_svg(feature)),
        scores=scores,
        stats=stats,
    )


def _chart_data(views: dict[str, FeatureView]) -> dict[str, object]:
    """Per feature, the points of its history chart, for the hover read-out (dates shared in one list)."""
    all_dates = sorted({d for v in views.values() for d in v.series.dates})
    index = {d: i for i, d in enumerate(all_dates)}
    features = {}
    for name, view in views.items():
        s = view.series
        features[name] = {
            "l": s.label,
            "d": [index[d] for d in s.dates],
            "v": [_compact(v) for v in s.values],
            "n": [_compact(n) for n in s.null_rates],
            "s": "".join({"warn": "w", "error": "e"}.get(st, "o") for st in s.statuses),
        }
    return {"dates": [d.isoformat() for d in all_dates], "features": features}


def _signed(value: float) -> str:
    """+1.2 / -0.4 / +0.0 (never -0.0)."""
    return f"{round(value, 1) + 0.0:+.1f}"


def _compact(value: float | None) -> float | None:
    return None if value is None else float(f"{value:.4g}")


def _ticks(text: str) -> Markup:
    """Escape, then show `backticked` parts as code."""
    parts = str(escape(text)).split("`")
    return Markup("".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts)))


def _fmt_time(moment: datetime | None) -> str:
    return "–" if moment is None else moment.strftime("%Y-%m-%d %H:%M UTC")


_ENV = Environment(autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
_ENV.filters["num"] = fmt_number
_ENV.filters["pct"] = fmt_pct
_ENV.filters["int"] = lambda v: "–" if v is None else f"{v:,}"
_ENV.filters["ticks"] = _ticks


@cache
def _template() -> Template:
    return _ENV.from_string(TEMPLATE)


CSS = """
:root {
  --bg: #f4f6f9; --panel: #ffffff; --ink: #1b2430; --muted: #5b6675; --line: #e3e7ee;
  --ok: #1a7f4b; --ok-bg: #e7f5ed; --warn: #b45309; --warn-bg: #fff4e0; --warn-line: #f0b552;
  --error: #c62828; --error-bg: #fdecec; --error-line: #ef8a8a; --accent: #2f6fb0;
}
* { box-sizing: border-box; }
[hidden] { display: none !important; }
html { scroll-behavior: smooth; scroll-padding-top: 12px; }
body { margin: 0; background: var(--bg); color: var(--ink); font: 14px/1.45 -apple-system, "Segoe UI", Roboto,
  "Helvetica Neue", "Liberation Sans", Arial, sans-serif; }
code, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "Liberation Mono", monospace; }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }

.top { background: #16202c; color: #fff; border-bottom: 4px solid var(--ok); }
.top.status-warn { border-bottom-color: #f59e0b; }
.top.status-error { border-bottom-color: #ef4444; }
.top .wrap { display: flex; justify-content: space-between; align-items: center; gap: 24px; padding: 18px 28px; }
.eyebrow { text-transform: uppercase; letter-spacing: .08em; font-size: 11px; color: #9fb0c4; }
h1 { margin: 2px 0 4px; font-size: 24px; font-weight: 650; }
.top .meta { color: #c8d3e0; font-size: 13px; }
.top .meta b { color: #fff; }
.pill { border-radius: 10px; padding: 10px 16px; min-width: 220px; text-align: right; }
.pill .label { display: block; font-size: 18px; font-weight: 700; }
.pill .why { display: block; font-size: 12px; opacity: .9; }
.pill.status-ok { background: #1f6f46; }
.pill.status-warn { background: #a55f06; }
.pill.status-error { background: #b42323; }

#js-errors { margin: 12px 28px; padding: 10px 14px; background: var(--error-bg); border: 1px solid var(--error-line);
  border-radius: 8px; color: var(--error); font-family: monospace; white-space: pre-wrap; }

.layout { display: grid; grid-template-columns: 236px minmax(0, 1fr); gap: 24px; padding: 20px 28px 40px; }
.toc { position: sticky; top: 12px; align-self: start; max-height: calc(100vh - 24px); overflow-y: auto;
  background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 12px 10px; font-size: 13px; }
.toc h2 { font-size: 11px; text-transform: uppercase; letter-spacing: .08em; color: var(--muted); margin: 4px 6px 6px; }
.toc ul { list-style: none; margin: 0; padding: 0; }
.toc > ul > li { margin-bottom: 4px; }
.toc .cat { display: flex; justify-content: space-between; align-items: center; padding: 4px 6px; border-radius: 6px;
  font-weight: 600; color: var(--ink); }
.toc .cat:hover { background: #eef3f9; text-decoration: none; }
.toc .features a { display: flex; align-items: center; gap: 6px; padding: 1px 6px 1px 14px; color: var(--muted);
  font-size: 12px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.toc .features a.status-warn { color: var(--warn); font-weight: 600; }
.toc .features a.status-error { color: var(--error); font-weight: 600; }
.dot { width: 7px; height: 7px; border-radius: 50%; background: #c5cdd8; flex: none; }
.dot.status-warn { background: #f59e0b; } .dot.status-error { background: #ef4444; } .dot.status-ok { background: #9ccfb1; }
.counts { display: inline-flex; gap: 3px; font-weight: 600; }
.mini { font-size: 11px; border-radius: 8px; padding: 0 6px; background: #eef1f5; color: var(--muted); }
.mini.status-warn { background: var(--warn-bg); color: var(--warn); }
.mini.status-error { background: var(--error-bg); color: var(--error); }

main { min-width: 0; }
h2.section { font-size: 18px; margin: 4px 0 12px; }
.note { background: #eef4fb; border: 1px solid #c9dcf1; color: #244a72; padding: 8px 12px; border-radius: 8px;
  margin-bottom: 10px; }
.kpis { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 12px; margin-bottom: 14px; }
.kpi { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 12px 14px; }
.kpi .k { font-size: 11px; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); }
.kpi .v { font-size: 24px; font-weight: 700; margin-top: 2px; }
.kpi .s { font-size: 12px; color: var(--muted); }
.kpi.status-warn { border-color: var(--warn-line); background: var(--warn-bg); }
.kpi.status-error { border-color: var(--error-line); background: var(--error-bg); }
.t-pass { color: var(--ok); } .t-warn { color: var(--warn); } .t-fail { color: var(--error); }

.panels { display: grid; grid-template-columns: repeat(auto-fit, minmax(400px, 1fr)); gap: 14px; margin-bottom: 26px; }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 12px 14px; min-width: 0;
  overflow-x: auto; }
.panel h3 { margin: 0 0 8px; font-size: 14px; }
.panel h3.gap { margin-top: 16px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th { text-align: left; font-weight: 600; color: var(--muted); font-size: 11px; text-transform: uppercase;
  letter-spacing: .04em; border-bottom: 1px solid var(--line); padding: 4px 6px; }
td { border-bottom: 1px solid #f0f2f6; padding: 4px 6px; vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.msg { color: var(--muted); font-size: 12px; }
td.name { overflow-wrap: anywhere; }
tr.older td { color: #98a2b0; }
.tag { display: inline-block; font-size: 11px; font-weight: 700; border-radius: 4px; padding: 0 6px; }
.tag.fail, .tag.error { background: var(--error-bg); color: var(--error); }
.tag.warn { background: var(--warn-bg); color: var(--warn); }
.barcell { width: 22%; min-width: 60px; }
.bar { height: 8px; background: #5b8fd1; border-radius: 3px; min-width: 1px; }
.bar.dup { background: #aab4c3; }
.allgood { color: var(--ok); font-weight: 600; }
.caption { color: var(--muted); font-size: 12px; margin: 8px 0 0; }

.features-head { display: flex; flex-wrap: wrap; align-items: center; justify-content: space-between; gap: 10px;
  margin-bottom: 6px; }
.legend { display: flex; flex-wrap: wrap; gap: 14px; font-size: 12px; color: var(--muted); align-items: center; }
.legend i { display: inline-block; vertical-align: middle; margin-right: 4px; }
.legend .l-line { width: 16px; height: 2px; background: #2f6fb0; }
.legend .l-area { width: 14px; height: 9px; background: #c9d3e0; border-top: 1px solid #7d8ca3; }
.legend .l-warn, .legend .l-error { width: 9px; height: 9px; border-radius: 50%; background: #d97706; }
.legend .l-error { background: #dc2626; }
.legend .l-box { width: 16px; height: 9px; background: #dbe7f7; border: 1px solid #2f6fb0; }
.toolbar { display: none; gap: 12px; align-items: center; font-size: 13px; }
.js .toolbar { display: flex; }
.toolbar input[type=search] { padding: 5px 9px; border: 1px solid #cfd6df; border-radius: 6px; width: 200px; font: inherit; }
.toolbar .count { color: var(--muted); }

section.category { margin-top: 18px; }
section.category > h3 { display: flex; align-items: baseline; gap: 10px; font-size: 16px; margin: 0 0 10px;
  padding-bottom: 6px; border-bottom: 1px solid var(--line); }
section.category > h3 .sub { font-size: 12px; font-weight: 400; color: var(--muted); }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(300px, 1fr)); gap: 12px; }
.card { background: var(--panel); border: 1px solid var(--line); border-left: 4px solid #cfe6d8; border-radius: 9px;
  padding: 10px 12px 8px; min-width: 0; scroll-margin-top: 12px; }
.card.status-warn { border-color: var(--warn-line); border-left-color: #f59e0b; background: #fffaf1; }
.card.status-error { border-color: var(--error-line); border-left-color: #ef4444; background: #fff6f6; }
.card:target { box-shadow: 0 0 0 3px #9cc3ee; }
.card header { display: flex; justify-content: space-between; align-items: center; gap: 8px; }
.card h4 { margin: 0; font-size: 13.5px; font-weight: 650; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.badge { font-size: 10.5px; font-weight: 700; border-radius: 4px; padding: 1px 7px; letter-spacing: .04em; flex: none; }
.badge.status-ok { background: var(--ok-bg); color: var(--ok); }
.badge.status-warn { background: #f59e0b; color: #fff; }
.badge.status-error { background: #dc2626; color: #fff; }
.card .sub { font-size: 12px; color: var(--muted); margin: 1px 0 6px; }
.scores { display: flex; gap: 6px; flex-wrap: wrap; margin-bottom: 4px; }
.score { font-size: 11.5px; border: 1px solid var(--line); border-radius: 5px; padding: 0 6px; background: #fafbfc;
  font-variant-numeric: tabular-nums; }
.score span { color: var(--muted); }
.status-warn .score { border-color: var(--warn-line); background: var(--warn-bg); color: #7a3f02; }
.status-error .score { border-color: var(--error-line); background: var(--error-bg); color: #8e1b1b; }
.chart-label { font-size: 11px; color: var(--muted); margin-top: 4px; }
.chart-label .flags { color: var(--warn); font-weight: 600; }
svg.chart { display: block; height: auto; overflow: visible; }
svg.chart text { font-family: inherit; }
svg.hist { cursor: crosshair; }
.stats { display: flex; flex-wrap: wrap; gap: 4px 10px; font-size: 11.5px; color: var(--muted);
  font-variant-numeric: tabular-nums; }
.stats b { color: var(--ink); font-weight: 600; }
#tooltip { position: fixed; z-index: 10; pointer-events: none; background: #16202c; color: #fff; font-size: 12px;
  padding: 6px 9px; border-radius: 6px; box-shadow: 0 4px 14px rgba(0,0,0,.25); white-space: nowrap; }
#tooltip .st-w { color: #fbbf24; font-weight: 700; } #tooltip .st-e { color: #f87171; font-weight: 700; }
footer { margin-top: 32px; color: var(--muted); font-size: 12px; }
@media (max-width: 900px) {
  .layout { grid-template-columns: 1fr; }
  .toc { position: static; max-height: none; }
  .top .wrap { flex-direction: column; align-items: flex-start; }
  .pill { text-align: left; }
}
@media print {
  .toc, .toolbar { display: none !important; }
  .layout { grid-template-columns: 1fr; }
  .card { break-inside: avoid; }
}
"""  # noqa: E501

SCRIPT = """
(function () {
  var blob = JSON.parse(document.getElementById("report-data").textContent);
  var geo = JSON.parse(document.getElementById("report-data").dataset.geometry);
  var tip = document.getElementById("tooltip");

  function fmt(v) {
    if (v === null || v === undefined) return "\\u2013";
    var a = Math.abs(v);
    if (a >= 1e6) return (v / 1e6).toFixed(2) + "M";
    if (a >= 1e4) return (v / 1e3).toFixed(1) + "k";
    if (v === Math.round(v)) return v.toLocaleString("en-US");
    if (a >= 100) return v.toFixed(0);
    if (a >= 1) return v.toFixed(2);
    if (a >= 0.01) return v.toFixed(3);
    return v.toPrecision(2);
  }
  function pct(v) { return v === null || v === undefined ? "\\u2013" : (v * 100).toFixed(v < 0.001 && v > 0 ? 3 : 1) + "%"; }
  function span(text, cls) { var s = document.createElement("span"); s.textContent = text; if (cls) s.className = cls; return s; }

  function xs(f) {
    // Same positions as the SVG: by calendar day between the feature's first and last date.
    var days = f.d.map(function (i) { return Date.parse(blob.dates[i]) / 864e5; });
    var first = days[0], span = days[days.length - 1] - first;
    return days.map(function (d) { return span > 0 ? geo.x0 + (d - first) / span * (geo.x1 - geo.x0) : (geo.x0 + geo.x1) / 2; });
  }

  function bind(svg) {
    var f = blob.features[svg.getAttribute("data-feature")];
    var guide = svg.querySelector("line.guide");
    if (!f || !f.d.length || !guide) return;
    f.x = xs(f);
    svg.addEventListener("mousemove", function (ev) {
      var r = svg.getBoundingClientRect();
      var vx = (ev.clientX - r.left) / r.width * geo.w;
      var best = 0;
      for (var i = 1; i < f.x.length; i++) if (Math.abs(f.x[i] - vx) < Math.abs(f.x[best] - vx)) best = i;
      guide.setAttribute("x1", f.x[best]); guide.setAttribute("x2", f.x[best]);
      guide.setAttribute("visibility", "visible");
      var st = f.s.charAt(best);
      tip.textContent = "";
      tip.appendChild(span(blob.dates[f.d[best]] + "  "));
      tip.appendChild(span(f.l + " " + fmt(f.v[best]) + " \\u00b7 null " + pct(f.n[best])));
      if (st === "w") tip.appendChild(span("  WARN", "st-w"));
      if (st === "e") tip.appendChild(span("  ERROR", "st-e"));
      tip.hidden = false;
      var x = ev.clientX + 14, y = ev.clientY + 14;
      if (x + tip.offsetWidth > window.innerWidth - 8) x = ev.clientX - tip.offsetWidth - 14;
      tip.style.left = x + "px"; tip.style.top = y + "px";
    });
    svg.addEventListener("mouseleave", function () { tip.hidden = true; guide.setAttribute("visibility", "hidden"); });
  }
  Array.prototype.forEach.call(document.querySelectorAll("svg.chart.hist"), bind);

  var search = document.getElementById("filter-text"), flagged = document.getElementById("filter-flagged");
  var counter = document.getElementById("filter-count");
  function apply() {
    var q = search ? search.value.trim().toLowerCase() : "", only = flagged ? flagged.checked : false, shown = 0;
    var cards = document.querySelectorAll("article.card");
    Array.prototype.forEach.call(cards, function (card) {
      var show = (!q || card.getAttribute("data-name").indexOf(q) >= 0) && (!only || card.getAttribute("data-status") !== "ok");
      card.hidden = !show; if (show) shown++;
    });
    Array.prototype.forEach.call(document.querySelectorAll("section.category"), function (sec) {
      sec.hidden = sec.querySelectorAll("article.card:not([hidden])").length === 0;
    });
    if (counter) counter.textContent = shown + " of " + cards.length + " shown";
  }
  if (search) search.addEventListener("input", apply);
  if (flagged) flagged.addEventListener("change", apply);
  apply();

  document.documentElement.className += " js";
  document.body.setAttribute("data-charts", String(document.querySelectorAll("svg.chart").length));
  document.body.setAttribute("data-rendered", "1");
})();
"""  # noqa: E501

ERROR_HOOK = """
window.onerror = function (message, source, line, column) {
  var box = document.getElementById("js-errors");
  var text = message + " (" + (source || "inline") + ":" + line + ":" + column + ")";
  if (box) { box.hidden = false; box.textContent += text + "\\n"; }
  if (document.body) document.body.setAttribute("data-js-errors", String((+document.body.getAttribute("data-js-errors") || 0) + 1));
};
"""  # noqa: E501

TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="featurestore report">
<title>Feature store quality · {{ data.latest_feature_date or "no data" }} · {{ status_label }}</title>
<script>{{ error_hook }}</script>
<style>{{ css }}</style>
</head>
<body data-rendered="0" data-status="{{ status }}" data-features="{{ data.features | length }}">
<header class="top status-{{ status }}">
  <div class="wrap">
    <div>
      <div class="eyebrow">Feature store · data quality report</div>
      <h1>Run health{% if data.latest_feature_date %} for {{ data.latest_feature_date }}{% endif %}</h1>
      <div class="meta">
        Latest feature date <b>{{ data.latest_feature_date or "–" }}</b>
        · dbt <b>{{ run.command }}</b>{% if run.target %} on <b>{{ run.target }}</b>{% endif %}
        finished {{ fmt_time(run.generated_at) }} in {{ "%.1f" | format(run.elapsed_seconds) }} s
        · invocation <code title="{{ run.invocation_id }}">{{ run.invocation_id[:8] }}</code>
      </div>
    </div>
    <div class="pill status-{{ status }}" id="overall-status">
      <span class="label">{{ status_label }}</span>
      <span class="why">{{ data.status_reasons | join(" · ") }}</span>
    </div>
  </div>
</header>
<div id="js-errors" hidden></div>
<div class="layout">
<nav class="toc" aria-label="Contents">
  <h2>Contents</h2>
  <ul>
    <li><a class="cat" href="#summary">Run summary</a></li>
    <li><a class="cat" href="#tests">Tests <span class="counts">
      {% if run.tests_failed %}<span class="mini status-error">{{ run.tests_failed | length }}</span>{% endif %}
      {% if run.tests_warned %}<span class="mini status-warn">{{ run.tests_warned | length }}</span>{% endif %}
    </span></a></li>
    <li><a class="cat" href="#quarantine">Quarantine</a></li>
  </ul>
  {% if data.features %}
  <h2>Features by category</h2>
  <ul>
    {% for group in data.categories %}
    <li>
      <a class="cat" href="#{{ group.anchor }}">{{ group.name }}
        <span class="counts">
          {% if group.count("error") %}<span class="mini status-error" title="drift errors">{{ group.count("error") }}</span>{% endif %}
          {% if group.count("warn") %}<span class="mini status-warn" title="drift warnings">{{ group.count("warn") }}</span>{% endif %}
          <span class="mini" title="features">{{ group.features | length }}</span>
        </span>
      </a>
      <ul class="features">
        {% for f in group.features %}
        <li><a class="status-{{ f.status }}" href="#{{ views[f.name].anchor }}" title="{{ f.name }}"><span class="dot status-{{ f.status }}"></span>{{ f.name }}</a></li>
        {% endfor %}
      </ul>
    </li>
    {% endfor %}
  </ul>
  {% endif %}
</nav>
<main>
<section id="summary">
  <h2 class="section">Run summary</h2>
  {% for note in data.notes %}<div class="note">{{ note | ticks }}</div>{% endfor %}
  <div class="kpis">
    <div class="kpi"><div class="k">Rows published</div><div class="v">{{ data.rows_total | int }}</div>
      <div class="s">{% if data.latest_published_date %}{{ data.rows_latest | int }} on {{ data.latest_published_date }}{% else %}profile_features not built{% endif %}</div></div>
    <div class="kpi {% if run.tests_failed %}status-error{% elif run.tests_warned %}status-warn{% endif %}" id="kpi-tests"><div class="k">Tests</div>
      <div class="v"><span class="t-pass">{{ run.tests_passed }}</span> passed</div>
      <div class="s"><span class="{{ 't-warn' if run.tests_warned else '' }}">{{ run.tests_warned | length }} warned</span> · <span class="{{ 't-fail' if run.tests_failed else '' }}">{{ run.tests_failed | length }} failed</span>{% if run.tests_skipped %} · {{ run.tests_skipped }} skipped{% endif %}</div></div>
    <div class="kpi"><div class="k">Quarantined rows</div><div class="v">{{ data.quarantined_rows | int }}</div>
      <div class="s">{{ data.duplicate_rows | int }} duplicates dropped (this run)</div></div>
    <div class="kpi {% if drift.error %}status-error{% elif drift.warn %}status-warn{% endif %}"><div class="k">Drift on latest date</div>
      <div class="v">{% if data.features %}<span class="t-fail">{{ drift.error }}</span> / <span class="t-warn">{{ drift.warn }}</span>{% else %}–{% endif %}</div>
      <div class="s">{% if data.features %}errors / warnings of {{ data.features | length }} features{% else %}no quality history{% endif %}</div></div>
    <div class="kpi {% if run.node_errors %}status-error{% endif %}"><div class="k">dbt nodes</div>
      <div class="v">{{ run.nodes_built | int }} <span class="s">built</span></div>
      <div class="s">{% for kind, counts in run.by_type.items() if kind not in ("test", "unit_test") %}{{ kind }} {{ counts.values() | sum }}{% if not loop.last %} · {% endif %}{% endfor %}{% if run.node_errors %} · <span class="t-fail">{{ run.node_errors | length }} errored</span>{% endif %}</div></div>
  </div>

  <div class="panels">
    <div class="panel" id="tests">
      <h3>Tests that failed or warned</h3>
      {% set flagged_tests = run.tests_failed + run.tests_warned + run.node_errors %}
      {% if flagged_tests %}
      <table>
        <thead><tr><th>status</th><th>test</th><th>message</th></tr></thead>
        <tbody>
        {% for t in flagged_tests %}
          <tr class="test-{{ t.status }}"><td><span class="tag {{ t.status }}">{{ t.status | upper }}</span></td>
            <td class="name mono" title="{{ t.unique_id }}">{{ t.name }}{% if t.resource_type not in ("test", "unit_test") %} <span class="mini">{{ t.resource_type }}</span>{% endif %}</td>
            <td class="msg">{{ t.message or "" }}</td></tr>
        {% endfor %}
        </tbody>
      </table>
      {% else %}
      <p class="allgood">All {{ run.tests_total }} tests passed.</p>
      {% endif %}
      <h3 class="gap">dbt results by resource type</h3>
      <table class="types">
        <thead><tr><th>resource</th>{% for st in node_statuses %}<th class="num">{{ st }}</th>{% endfor %}</tr></thead>
        <tbody>
        {% for kind, counts in run.by_type.items() %}
          <tr><td>{{ kind }}</td>{% for st in node_statuses %}<td class="num {{ 't-fail' if st in ('error', 'fail') and counts.get(st) else 't-warn' if st == 'warn' and counts.get(st) else '' }}">{{ counts.get(st) or "" }}</td>{% endfor %}</tr>
        {% endfor %}
        </tbody>
      </table>
    </div>
    <div class="panel" id="quarantine">
      <h3>Quarantine by reason</h3>
      {% if data.quarantine %}
      <table>
        <thead><tr><th>source table</th><th>outcome</th><th>reason</th><th class="num">rows</th><th class="barcell"></th></tr></thead>
        <tbody>
        {% for q in data.quarantine %}
          <tr class="{{ '' if q.in_this_run else 'older' }}" {% if not q.in_this_run %}title="last seen in run {{ q.last_seen_run_id }}"{% endif %}>
            <td>{{ q.source_table }}</td><td>{{ q.outcome }}</td><td class="mono">{{ q.reason }}</td>
            <td class="num">{{ q.rows | int }}</td>
            <td class="barcell"><div class="bar {{ 'dup' if q.outcome != 'quarantined' else '' }}" style="width: {{ (100 * q.rows / quarantine_max[q.outcome]) | round(1) }}%"></div></td></tr>
        {% endfor %}
        </tbody>
      </table>
      <p class="caption">Bars compare rows within one outcome.
        {% if data.quarantine | rejectattr("in_this_run") | list %}Grey rows were last seen by an earlier run, not by
        invocation {{ run.invocation_id[:8] }}, and are not counted above.{% endif %}</p>
      {% else %}
      <p class="allgood">No quarantined or duplicate rows.</p>
      {% endif %}
    </div>
  </div>
</section>

<section id="features">
  <div class="features-head">
    <h2 class="section">Features</h2>
    {% if data.features %}
    <div class="toolbar">
      <input type="search" id="filter-text" placeholder="Filter features…" aria-label="Filter features by name">
      <label><input type="checkbox" id="filter-flagged"> only drift-flagged</label>
      <span class="count" id="filter-count"></span>
    </div>
    {% endif %}
  </div>
  {% if data.features %}
  <div class="legend">
    <span><i class="l-line"></i>mean (share for string/boolean) by feature date</span>
    <span><i class="l-area"></i>NULL rate</span>
    <span><i class="l-warn"></i>warn</span><span><i class="l-error"></i>error drift flag</span>
    <span><i class="l-box"></i>latest day: p01–p99 box, p50 bar, ◇ mean, whiskers to min/max</span>
  </div>
  {% for group in data.categories %}
  <section class="category" id="{{ group.anchor }}">
    <h3>{{ group.name }} <span class="sub">{{ group.features | length }} feature{{ "" if group.features | length == 1 else "s" }}{% if group.count("error") %} · <span class="t-fail">{{ group.count("error") }} error</span>{% endif %}{% if group.count("warn") %} · <span class="t-warn">{{ group.count("warn") }} warn</span>{% endif %}</span></h3>
    <div class="grid">
    {% for f in group.features %}{% set v = views[f.name] %}
      <article class="card status-{{ f.status }}" id="{{ v.anchor }}" data-name="{{ f.name | lower }}" data-status="{{ f.status }}">
        <header>
          <h4 class="mono" title="{{ f.definition or f.name }}">{{ f.name }}</h4>
          <span class="badge status-{{ f.status }}">{{ drift_labels[f.status] }}</span>
        </header>
        <div class="sub">{{ f.data_type }}{% if f.window %} · {{ f.window }}{% endif %} · {{ f.latest.row_count | int }} rows · null {{ f.latest.null_rate | pct }}</div>
        <div class="scores">{% for s in v.scores %}<span class="score" title="{{ s.hint }}"><span>{{ s.label }}</span> {{ s.value }}</span>{% endfor %}</div>
        <div class="chart-label">{{ v.series.label }} &amp; NULL rate, {{ f.days | length }} dates{% if f.flagged_days %} · <span class="flags">{{ f.flagged_days | length }} flagged</span>{% endif %}</div>
        {{ v.history_svg }}
        <div class="chart-label">{{ "top values" if f.is_categorical else "distribution" }} on {{ f.latest.feature_date }}</div>
        {{ v.distribution_svg }}
        <div class="stats">{% for label, value in v.stats %}<span>{{ label }} <b>{{ value }}</b></span>{% endfor %}</div>
      </article>
    {% endfor %}
    </div>
  </section>
  {% endfor %}
  {% else %}
  <div class="note">No per-feature section: the feature quality history is not available in this warehouse.</div>
  {% endif %}
</section>
<footer>
  Generated {{ fmt_time(data.generated_at) }} by <code>featurestore report</code> from <code>{{ data.warehouse }}</code>
  and dbt invocation <code>{{ run.invocation_id }}</code>. Self-contained page: no network access needed.
</footer>
</main>
</div>
<div id="tooltip" role="tooltip" hidden></div>
<script type="application/json" id="report-data" data-geometry='{{ chart_geometry | tojson }}'>{{ chart_data }}</script>
<script>{{ script }}</script>
</body>
</html>
"""  # noqa: E501
