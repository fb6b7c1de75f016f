"""Small inline SVG charts of one feature: its history and the distribution of its latest day.

Pure functions from the dataclasses of `featurestore.report.data` to SVG markup (strings). No JavaScript is
needed to see them; the page's script only adds hover read-outs using the coordinates in `HistorySeries`.
Every chart is one `<svg class="chart ...">` with a `viewBox`, so CSS scales it to the card width.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from math import isfinite

from markupsafe import escape

from featurestore.report.data import CategoryShare, FeatureDay, FeatureHistory

#: Styles of the chart elements; the page inlines it (classes keep the SVG markup small).
CHART_CSS = """
svg.chart .ax { font-size: 9px; fill: #5b6675; }
svg.chart .ax.b { font-weight: 600; fill: #1b2430; }
svg.chart .lbl { font-size: 10px; fill: #3d4755; }
svg.chart .grid { stroke: #e3e7ee; stroke-width: 1; fill: none; }
svg.chart .line { fill: none; stroke: #2f6fb0; stroke-width: 1.6; stroke-linejoin: round; }
svg.chart .last { fill: #2f6fb0; }
svg.chart .null-area { fill: #c9d3e0; stroke: none; }
svg.chart .null-line { fill: none; stroke: #7d8ca3; stroke-width: 1; }
svg.chart .flag-warn { fill: #d97706; stroke: #fff; stroke-width: 1; }
svg.chart .flag-error { fill: #dc2626; stroke: #fff; stroke-width: 1; }
svg.chart .guide { stroke: #111827; stroke-width: 0.8; stroke-dasharray: 2 2; }
svg.chart .whisker { fill: none; stroke: #7d8ca3; stroke-width: 1; }
svg.chart .box { fill: #dbe7f7; stroke: #2f6fb0; stroke-width: 1; }
svg.chart .median { stroke: #1f3b63; stroke-width: 2.2; }
svg.chart .mean { fill: #fff; stroke: #b45309; stroke-width: 1.3; }
svg.chart .track { fill: #f0f3f7; }
svg.chart .bar { fill: #5b8fd1; }
svg.chart .bar-other { fill: #aab4c3; }
"""
FLAGGED = ("warn", "error")

# History chart geometry (viewBox units).
HIST_W, HIST_H = 320, 104
HIST_X0, HIST_X1 = 38, 312
MEAN_Y0, MEAN_Y1 = 6, 58
NULL_Y0, NULL_Y1 = 66, 86
DATE_Y = 100

# Distribution glyph geometry.
DIST_W, DIST_H = 320, 40
DIST_X0, DIST_X1 = 8, 312
BAR_ROW = 16
BAR_LABEL_X1, BAR_X0, BAR_X1 = 104, 110, 270


@dataclass(frozen=True)
class HistorySeries:
    """The values drawn in a history chart, also handed to the page's script for the hover read-out."""

    label: str  # what the line is: "mean", "share true", "share of 'drama'"
    dates: list[date]
    values: list[float | None]
    null_rates: list[float | None]
    statuses: list[str]
    xs: list[float]


def history_series(feature: FeatureHistory) -> HistorySeries:
    """Mean per day for numbers and booleans; for strings, the daily share of the latest day's top value."""
    days = feature.days
    if feature.data_type == "string" or (feature.is_categorical and all(d.mean_value is None for d in days)):
        top = feature.latest.top_categories[0].value if feature.latest.top_categories else None
        values = [_share_of(d.top_categories, top) for d in days] if top is not None else [None] * len(days)
        label = f"share of “{top}”" if top is not None else "top value share"
    else:
        values = [d.mean_value for d in days]
        label = "share true" if feature.data_type == "boolean" else "mean"
    dates = [d.feature_date for d in days]
    return HistorySeries(
        label=label,
        dates=dates,
        values=values,
        null_rates=[d.null_rate for d in days],
        statuses=[d.drift_status for d in days],
        xs=_x_positions(dates),
    )


def history_svg(series: HistorySeries, feature_name: str) -> str:
    """Line of the series over feature dates, NULL-rate area below, drift-flagged days as coloured dots."""
    parts = [
        _svg_open(
            "chart hist", HIST_W, HIST_H, feature_name, f"{series.label} and NULL rate of {feature_name}"
        )
    ]
    parts.append(
        '<path class="grid" d="'
        + "".join(f"M{HIST_X0},{y}H{HIST_X1}" for y in (MEAN_Y0, MEAN_Y1, NULL_Y1))
        + '"/>'
    )
    known = [v for v in series.values if v is not None]
    ys: list[float | None] = [None] * len(series.values)
    if known:
        low, high = min(known), max(known)
        ys = [None if v is None else _scale(v, low, high, MEAN_Y1, MEAN_Y0) for v in series.values]
        if high > low:
            parts.append(_text(HIST_X0 - 4, MEAN_Y0 + 7, fmt_number(high), anchor="end"))
            parts.append(_text(HIST_X0 - 4, MEAN_Y1, fmt_number(low), anchor="end"))
        else:  # flat: the line in the middle, labelled once
            parts.append(_text(HIST_X0 - 4, (MEAN_Y0 + MEAN_Y1) / 2 + 3, fmt_number(low), anchor="end"))
        parts.append(f'<path class="line" d="{_path(series.xs, ys)}"/>')
        last = next(
            ((x, y) for x, y in zip(reversed(series.xs), reversed(ys), strict=True) if y is not None), None
        )
        if last:
            parts.append(f'<circle class="last" cx="{_n(last[0])}" cy="{_n(last[1])}" r="2.4"/>')
    else:
        parts.append(
            _text((HIST_X0 + HIST_X1) / 2, (MEAN_Y0 + MEAN_Y1) / 2 + 3, "no values", anchor="middle")
        )

    nulls = [0.0 if n is None else n for n in series.null_rates]
    top_null = max(nulls, default=0.0)
    null_ys = [_scale(n, 0.0, top_null if top_null > 0 else 1.0, NULL_Y1, NULL_Y0) for n in nulls]
    if series.xs:
        line = _path(*_simplify(series.xs, null_ys))
        parts.append(f'<path class="null-area" d="{line}V{NULL_Y1}H{_n(series.xs[0])}Z"/>')
        parts.append(f'<path class="null-line" d="{line}"/>')
    parts.append(_text(HIST_X0 - 4, NULL_Y0 + 7, fmt_pct(top_null), anchor="end"))
    parts.append(_text(HIST_X0 - 4, NULL_Y1, "null", anchor="end"))

    for x, y, status in zip(series.xs, ys, series.statuses, strict=True):
        if status in FLAGGED:
            parts.append(
                f'<circle class="flag-{status}" cx="{_n(x)}" cy="{_n(MEAN_Y1 if y is None else y)}" r="3.2"/>'
            )
    if series.dates:
        parts.append(_text(HIST_X0, DATE_Y, series.dates[0].isoformat(), anchor="start"))
        if len(series.dates) > 1:
            parts.append(_text(HIST_X1, DATE_Y, series.dates[-1].isoformat(), anchor="end"))
    # Hover guide, positioned by the page script.
    parts.append(f'<line class="guide" x1="0" x2="0" y1="{MEAN_Y0}" y2="{NULL_Y1}" visibility="hidden"/>')
    parts.append("</svg>")
    return "".join(parts)


def distribution_svg(feature: FeatureHistory) -> str:
    """Latest day: a box glyph (min, p01-p99, p50, mean, max) for numbers, bars of top values otherwise."""
    if feature.is_categorical:
        return category_bars_svg(latest_shares(feature), feature.name)
    return box_svg(feature.latest, feature.name)


def latest_shares(feature: FeatureHistory) -> list[CategoryShare]:
    """Top values of the latest day; booleans without top_categories fall back to their 0/1 mean."""
    day = feature.latest
    if day.top_categories:
        return list(day.top_categories)
    if feature.data_type == "boolean" and day.mean_value is not None:
        return sorted(
            [CategoryShare("true", day.mean_value), CategoryShare("false", 1.0 - day.mean_value)],
            key=lambda s: -s.share,
        )
    return []


def box_svg(day: FeatureDay, feature_name: str) -> str:
    parts = [
        _svg_open(
            "chart dist box",
            DIST_W,
            DIST_H,
            feature_name,
            f"distribution of {feature_name} on {day.feature_date}",
        )
    ]
    stats = [day.min_value, day.p01, day.p50, day.p99, day.max_value]
    known = [v for v in stats if v is not None]
    if not known:
        parts.append(_text(DIST_W / 2, 22, "no numeric values on the latest day", anchor="middle"))
        parts.append("</svg>")
        return "".join(parts)
    lo = day.min_value if day.min_value is not None else min(known)
    hi = day.max_value if day.max_value is not None else max(known)
    p01 = day.p01 if day.p01 is not None else lo
    p99 = day.p99 if day.p99 is not None else hi
    scale, compressed = _box_scale(lo, p01, p99, hi)
    y = 16
    dash = ' stroke-dasharray="3 2"' if compressed else ""
    parts.append(
        f'<path class="whisker" d="M{_n(scale(lo))},{y}H{_n(scale(p01))}'
        f'M{_n(scale(p99))},{y}H{_n(scale(hi))}"{dash}/>'
    )
    parts.append(f'<path class="whisker" d="M{_n(scale(lo))},{y - 5}v10M{_n(scale(hi))},{y - 5}v10"/>')
    box_x0, box_x1 = scale(p01), scale(p99)
    parts.append(
        f'<rect class="box" x="{_n(box_x0)}" y="{y - 7}" '
        f'width="{_n(max(box_x1 - box_x0, 1.5))}" height="14" rx="2"/>'
    )
    if day.p50 is not None:
        parts.append(f'<path class="median" d="M{_n(scale(day.p50))},{y - 9}v18"/>')
    if day.mean_value is not None and lo <= day.mean_value <= hi:
        xm = scale(day.mean_value)
        parts.append(f'<path class="mean" d="M{_n(xm)},{y - 4}l4,4l-4,4l-4,-4Z"/>')
    parts.append(_text(DIST_X0, 37, f"min {fmt_number(lo)}", anchor="start"))
    parts.append(_text(DIST_X1, 37, f"max {fmt_number(hi)}", anchor="end"))
    if day.p50 is not None:
        x50 = min(max(scale(day.p50), DIST_X0 + 70), DIST_X1 - 70)
        parts.append(_text(x50, 37, f"p50 {fmt_number(day.p50)}", anchor="middle", bold=True))
    if compressed:
        parts.append("<title>Tails beyond p01/p99 drawn compressed (dashed)</title>")
    parts.append("</svg>")
    return "".join(parts)


def category_bars_svg(shares: list[CategoryShare], feature_name: str) -> str:
    rows = [(share, False) for share in shares[:5]]
    other = 1.0 - sum(share.share for share, _ in rows)
    if rows and other > 0.005:
        rows.append((CategoryShare("other", other), True))
    height = max(len(rows), 1) * BAR_ROW + 6
    parts = [_svg_open("chart dist bars", DIST_W, height, feature_name, f"top values of {feature_name}")]
    if not rows:
        parts.append(_text(DIST_W / 2, 14, "no category data on the latest day", anchor="middle"))
    for i, (share, is_other) in enumerate(rows):
        y = 4 + i * BAR_ROW
        label = share.value if len(share.value) <= 16 else share.value[:15] + "…"
        style = ' font-style="italic"' if is_other else ""
        parts.append(
            f'<text class="lbl" x="{BAR_LABEL_X1}" y="{y + 10}" text-anchor="end"{style}>'
            f"{escape(label)}<title>{escape(share.value)}</title></text>"
        )
        width = max(0.0, min(share.share, 1.0)) * (BAR_X1 - BAR_X0)
        parts.append(
            f'<rect class="track" x="{BAR_X0}" y="{y + 1}" width="{BAR_X1 - BAR_X0}" height="11" rx="2"/>'
        )
        parts.append(
            f'<rect class="{"bar-other" if is_other else "bar"}" x="{BAR_X0}" y="{y + 1}" '
            f'width="{_n(width)}" height="11" rx="2"/>'
        )
        parts.append(
            f'<text class="lbl" x="{DIST_X1}" y="{y + 10}" text-anchor="end">'
            f"{escape(fmt_pct(share.share))}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


# --------------------------------------------------------------------------------------------- formatting


def fmt_number(value: float | None) -> str:
    """Compact, readable number: 1.23M, 45.6k, 1,234, 12.35, 0.123, 0.0012."""
    if value is None or not isfinite(value):
        return "–"
    magnitude = abs(value)
    if magnitude >= 1e9:
        return f"{value / 1e9:.2f}B"
    if magnitude >= 1e6:
        return f"{value / 1e6:.2f}M"
    if magnitude >= 1e5:
        return f"{value / 1e3:.0f}k"
    if magnitude >= 1e4:
        return f"{value / 1e3:.1f}k"
    if value == int(value):
        return f"{int(value):,}"
    if magnitude >= 100:
        return f"{value:,.0f}"
    if magnitude >= 1:
        return f"{value:.2f}"
    if magnitude >= 0.01:
        return f"{value:.3f}"
    return f"{value:.2g}"


def fmt_pct(rate: float | None) -> str:
    if rate is None or not isfinite(rate):
        return "–"
    pct = rate * 100
    if pct == 0:
        return "0%"
    if abs(pct) < 0.1:
        return f"{pct:.2f}%"
    if abs(pct) < 10:
        return f"{pct:.1f}%"
    return f"{pct:.0f}%"


# --------------------------------------------------------------------------------------------- helpers


def _svg_open(css_class: str, width: float, height: float, feature_name: str, label: str) -> str:
    return (
        f'<svg class="{css_class}" data-feature="{escape(feature_name)}" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">'
    )


def _text(x: float, y: float, text: str, *, anchor: str, bold: bool = False) -> str:
    css = "ax b" if bold else "ax"
    return f'<text class="{css}" x="{_n(x)}" y="{_n(y)}" text-anchor="{anchor}">{escape(text)}</text>'


def _n(value: float) -> str:
    """A coordinate with at most one decimal and no trailing `.0`."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _simplify(xs: list[float], ys: list[float]) -> tuple[list[float], list[float]]:
    """Drop the inner points of horizontal runs (a NULL rate is often flat)."""
    keep = [i for i in range(len(xs)) if i in (0, len(xs) - 1) or not (ys[i - 1] == ys[i] == ys[i + 1])]
    return [xs[i] for i in keep], [ys[i] for i in keep]


def _x_positions(dates: list[date]) -> list[float]:
    if not dates:
        return []
    first, span = dates[0], (dates[-1] - dates[0]).days
    if span <= 0:
        return [(HIST_X0 + HIST_X1) / 2] * len(dates)
    return [round(HIST_X0 + (d - first).days / span * (HIST_X1 - HIST_X0), 1) for d in dates]


def _scale(value: float, low: float, high: float, out_low: float, out_high: float) -> float:
    if high == low:
        return (out_low + out_high) / 2
    return out_low + (value - low) / (high - low) * (out_high - out_low)


def _path(xs: list[float], ys: list[float | None]) -> str:
    """SVG path through the points; a None breaks the line."""
    out, pen_down = [], False
    for x, y in zip(xs, ys, strict=True):
        if y is None:
            pen_down = False
            continue
        out.append(f"{'L' if pen_down else 'M'}{_n(x)},{_n(y)}")
        pen_down = True
    return "".join(out)


def _box_scale(lo: float, p01: float, p99: float, hi: float) -> tuple[Callable[[float], float], bool]:
    """Linear from min to max; when the p01-p99 box would take under half the width, compress the tails."""
    width = DIST_X1 - DIST_X0
    if hi <= lo:
        return (lambda _v: (DIST_X0 + DIST_X1) / 2), False
    if (p99 - p01) / (hi - lo) >= 0.5:
        return (lambda v: DIST_X0 + (v - lo) / (hi - lo) * width), False
    tail = width * 0.12
    left_end = DIST_X0 + (tail if p01 > lo else 0.0)
    right_start = DIST_X1 - (tail if hi > p99 else 0.0)

    def scale(v: float) -> float:
        if v <= p01:
            return DIST_X0 + (0.0 if p01 == lo else (v - lo) / (p01 - lo) * (left_end - DIST_X0))
        if v >= p99:
            return right_start + (0.0 if hi == p99 else (v - p99) / (hi - p99) * (DIST_X1 - right_start))
        return left_end + (v - p01) / (p99 - p01) * (right_start - left_end) if p99 > p01 else left_end

    return scale, True


def _share_of(shares: tuple[CategoryShare, ...], value: str) -> float | None:
    for share in shares:
        if share.value == value:
            return share.share
    return None
