"""The dashboard's chart: events per day as a server-rendered SVG (no JavaScript, no CDN).

:func:`bar_chart` draws grouped bars, one group per day and one bar per series, with a
legend, a scale and a ``<title>`` per bar (what a pointer or a screen reader gets). The
SVG scales to its container through its ``viewBox``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 34, 36


@dataclass(frozen=True)
class Series:
    """One row of bars: its label, its colour, and one value per day."""

    label: str
    colour: str
    values: Sequence[int]


def _nice_top(peak: int) -> int:
    """The smallest of 4, 8, 20, 40, 80, 200 ... at or above ``peak``: the scale's top,
    so that its four steps are round numbers."""
    magnitude = 1
    while True:
        for step in (4, 8, 20):
            if step * magnitude >= peak:
                return step * magnitude
        magnitude *= 10


def bar_chart(days: Sequence[dt.date], series: Sequence[Series], title: str) -> SafeString:
    """An SVG of ``series`` per day in ``days``, titled ``title``."""
    top = _nice_top(max((v for s in series for v in s.values), default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    group = plot_w / max(len(days), 1)
    bar = group * 0.8 / max(len(series), 1)
    parts: list[SafeString] = [_grid(top, plot_w, plot_h)]
    for index, day in enumerate(days):
        x0 = LEFT + index * group + group * 0.1
        for number, row in enumerate(series):
            value = row.values[index]
            height = plot_h * value / top
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}</title></rect>',
                    _n(x0 + number * bar),
                    _n(TOP + plot_h - height),
                    _n(max(bar - 1, 1)),
                    _n(height),
                    row.colour,
                    ngettext(
                        "%(label)s on %(day)s: %(count)d", "%(label)s on %(day)s: %(count)d", value
                    )
                    % {
                        "label": row.label,
                        "day": date_format(day, "SHORT_DATE_FORMAT"),
                        "count": value,
                    },
                )
            )
        if index % 2 == len(days) % 2 or len(days) <= 7:
            parts.append(
                format_html(
                    '<text x="{}" y="{}" text-anchor="middle" class="zt-axis">{}</text>',
                    _n(x0 + group * 0.4),
                    HEIGHT - BOTTOM + 16,
                    date_format(day, "M j"),
                )
            )
    parts.append(_legend(series))
    return format_html(
        '<svg class="zt-chart" viewBox="0 0 {} {}" role="img" aria-labelledby="zt-chart-title" '
        'xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMidYMid meet">'
        '<title id="zt-chart-title">{}</title>{}</svg>',
        WIDTH,
        HEIGHT,
        title,
        SafeString("".join(parts)),
    )


def _n(value: float) -> str:
    """A coordinate, to a tenth of a unit."""
    return f"{value:.1f}"


def _grid(top: int, plot_w: float, plot_h: float) -> SafeString:
    lines = []
    for step in range(5):
        value = top * step // 4
        y = TOP + plot_h - plot_h * step / 4
        lines.append((LEFT, _n(y), _n(LEFT + plot_w), _n(y), LEFT - 6, _n(y + 4), value))
    return format_html_join(
        "",
        '<line x1="{}" y1="{}" x2="{}" y2="{}" class="zt-grid"/>'
        '<text x="{}" y="{}" text-anchor="end" class="zt-axis">{}</text>',
        lines,
    )


def _legend(series: Sequence[Series]) -> SafeString:
    items = [
        (LEFT + i * 170, 10, row.colour, LEFT + i * 170 + 18, 20, row.label)
        for i, row in enumerate(series)
    ]
    return format_html_join(
        "",
        '<rect x="{}" y="{}" width="12" height="12" fill="{}"/>'
        '<text x="{}" y="{}" class="zt-legend">{}</text>',
        items,
    )


def activity_chart(days: Sequence[dt.date], counts: Mapping[str, Sequence[int]]) -> SafeString:
    """The dashboard's chart of refreshes, refusals and throttles per day."""
    return bar_chart(
        days,
        [
            Series(_("Refreshed"), "#2f6f4f", counts.get("refreshed", ())),
            Series(_("Refused (dead)"), "#b3261e", counts.get("refresh_refused", ())),
            Series(_("Slowed down"), "#8a5a00", counts.get("throttled", ())),
        ],
        _("Refreshes and refusals per day, last %(days)d days") % {"days": len(days)},
    )
