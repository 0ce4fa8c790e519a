"""The Overview's charts as data for server-rendered inline SVG: stacked bars per bucket, no script.

Drawn by ``templates/_chart.html`` (autoescaped like every page), so they work offline, need no
chart library and no change to the pages' Content-Security-Policy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable

__all__ = ["PALETTE", "Bar", "Chart", "build_chart"]

PALETTE = ("#3557d4", "#1b7f5a", "#c76b00", "#7b3fc4", "#c62828", "#00838f", "#8a6d00", "#5d6b8a")
"""Series colours, in order; series past the last share the final grey-blue."""

WIDTH, HEIGHT, LEFT, BOTTOM = 720, 150, 56, 20


@dataclass
class Bar:
    """One rectangle: a series' value in one bucket."""

    x: float
    y: float
    width: float
    height: float
    colour: str
    title: str


@dataclass
class Chart:
    """One measure over the buckets: bars, axis labels and a legend."""

    measure: str
    title: str
    total_text: str
    max_text: str
    bars: list[Bar] = field(default_factory=list)
    labels: list[tuple[float, str]] = field(default_factory=list)
    legend: list[tuple[str, str]] = field(default_factory=list)
    has_data: bool = False
    width: int = WIDTH
    height: int = HEIGHT + BOTTOM
    plot_left: int = LEFT
    plot_bottom: int = HEIGHT


def _label(start_ns: int, bucket_ns: int) -> str:
    moment = datetime.fromtimestamp(start_ns / 1e9, tz=timezone.utc).astimezone()
    return moment.strftime("%H:%M" if bucket_ns < 86400 * 10**9 else "%m-%d")


def build_chart(measure: str, title: str, starts_ns: list[int], bucket_ns: int, series: dict[str, list[float]],
                fmt: Callable[[float], str], stacked: bool = True, total: bool = True) -> Chart:
    """Lay out ``series`` (name -> value per bucket) as bars; stacked, or side by side when not."""
    names = sorted(series, key=lambda name: -sum(series[name]))
    n = max(len(starts_ns), 1)
    if stacked:
        peak = max((sum(series[name][i] for name in names) for i in range(len(starts_ns))), default=0.0)
    else:
        peak = max((max(values) for values in series.values() if values), default=0.0)
    overall = sum(sum(values) for values in series.values())
    chart = Chart(measure, title, fmt(overall) if total else "", fmt(peak))
    chart.has_data = peak > 0
    slot = (WIDTH - LEFT) / n
    for i, start in enumerate(starts_ns):
        base = 0.0
        for k, name in enumerate(names):
            value = series[name][i]
            if value <= 0:
                continue
            colour = PALETTE[min(k, len(PALETTE) - 1)]
            height = HEIGHT * value / peak if peak else 0.0
            if stacked:
                x, width, y = LEFT + i * slot + slot * 0.1, slot * 0.8, HEIGHT - base - height
                base += height
            else:
                width = slot * 0.8 / len(names)
                x, y = LEFT + i * slot + slot * 0.1 + k * width, HEIGHT - height
            chart.bars.append(Bar(round(x, 2), round(y, 2), round(max(width, 0.5), 2), round(height, 2), colour,
                                  f"{_label(start, bucket_ns)} {name}: {fmt(value)}"))
    step = max(n // 8, 1)
    chart.labels = [(round(LEFT + i * slot + slot / 2, 2), _label(s, bucket_ns))
                    for i, s in enumerate(starts_ns) if i % step == 0]
    chart.legend = [(PALETTE[min(k, len(PALETTE) - 1)], name) for k, name in enumerate(names)]
    return chart
