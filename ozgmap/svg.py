"""Server-rendered SVG charts: responsive, accessible and allowed by the CSP.

Positions along the value axis are percentages of the chart's width and lengths across it are
pixels, so a chart fills anything from a 360 px phone to a desktop without its text shrinking.
No ``style`` attributes (the CSP forbids them): colours are presentation attributes, sizes
come from ``ozgmap.css`` (``svg.chart``). Every label is escaped; every chart is
``role="img"`` with ``<title>`` and ``<desc>``; the numbers also stand in a table beside it.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from markupsafe import Markup, escape

INK = "#1a1a1a"        # text: 17.4:1 on white
MUTED = "#4a4a4a"      # secondary text: 8.9:1
GRID = "#767676"       # axis and reference lines: 4.5:1
TRACK = "#e8e8e8"      # the 0–100 % track behind a bar (decoration only)
BAR = "#2c7fb8"        # bars and lines: 4.3:1 on white, 3.5:1 on the track
HIGHLIGHT = "#253494"  # the chosen body or Themenfeld: 10.5:1
#: Series colours for side-by-side bodies, each at least 4.5:1 on white; bars also carry
#: their number, so colour is never the only cue.
SERIES = ["#0b5394", "#a6540a", "#1b7837", "#762a83", "#b2185f", "#01665e", "#595959",
          "#5b6b00"]

ROW = 32          # one bar: a label line and the bar below it
PLOT_H = 150      # height of the plot area of line and column charts


@dataclass
class Bar:
    """One row of a bar chart: *value* relative to the chart's maximum, ``None`` = no data."""

    label: str
    value: float | None
    text: str
    highlight: bool = False
    colour: str | None = None


def _pct(x: float) -> str:
    return f"{max(0.0, min(100.0, x * 100)):.2f}%"


def _open(ident: str, title: str, desc: str, height: int, extra: str = "") -> list[str]:
    return [f'<svg class="chart{extra}" id="{escape(ident)}" width="100%" height="{height}" '
            f'role="img" aria-labelledby="{escape(ident)}-t" aria-describedby="{escape(ident)}-d" '
            f'xmlns="http://www.w3.org/2000/svg">',
            f'<title id="{escape(ident)}-t">{escape(title)}</title>',
            f'<desc id="{escape(ident)}-d">{escape(desc)}</desc>']


def _text(x: str, y: float, s: str, anchor: str = "start", cls: str = "",
          fill: str = INK) -> str:
    c = f' class="{cls}"' if cls else ""
    return (f'<text x="{x}" y="{y:g}" text-anchor="{anchor}" fill="{fill}"{c}>'
            f'{escape(s)}</text>')


def bar_chart(ident: str, title: str, desc: str, bars: list[Bar],
              reference: tuple[float, str] | None = None) -> Markup:
    """Horizontal bars, label above each bar and its value at the right end of the label line.

    *reference* draws a dashed vertical line (e.g. the NRW mean) at that value.
    """
    top = 22 if reference else 4
    height = top + ROW * len(bars) + 4
    out = _open(ident, title, desc, height)
    for i, b in enumerate(bars):
        y = top + i * ROW
        cls = "hl" if b.highlight else ""
        out.append(_text("0", y + 14, b.label, cls=cls))
        out.append(_text("100%", y + 14, b.text, "end", cls=cls))
        out.append(f'<rect x="0" y="{y + 19}" width="100%" height="9" fill="{TRACK}"/>')
        if b.value:
            colour = b.colour or (HIGHLIGHT if b.highlight else BAR)
            out.append(f'<rect x="0" y="{y + 19}" width="{_pct(b.value)}" height="9" '
                       f'fill="{colour}"/>')
        if reference is not None:  # a dashed mark across each bar, not through the labels
            x = _pct(reference[0])
            out.append(f'<line x1="{x}" x2="{x}" y1="{y + 16}" y2="{y + 31}" stroke="{INK}" '
                       'stroke-width="1.5" stroke-dasharray="3 2"/>')
    if reference is not None:
        x = _pct(reference[0])
        out.append(_text(x, 12, reference[1], "start" if reference[0] < 0.5 else "end",
                         "small", MUTED))
    out.append("</svg>")
    return Markup("\n".join(out))


def grouped_bar_chart(ident: str, title: str, desc: str, groups: list[tuple[str, list]],
                      ) -> Markup:
    """Per group a heading line and one thin bar per series (numbered 1, 2, … and coloured
    from :data:`SERIES`); each series item is ``(value 0..1 or None, text)``."""
    sub = 16
    height = 4
    for _, items in groups:
        height += 20 + sub * len(items) + 8
    out = _open(ident, title, desc, height)
    y = 4
    for label, items in groups:
        out.append(_text("0", y + 14, label, cls="strong"))
        y += 20
        for j, (value, text) in enumerate(items):
            colour = SERIES[j % len(SERIES)]
            out.append(_text("0", y + 11, str(j + 1), cls="small", fill=colour))
            out.append(f'<rect x="1.4em" y="{y + 3}" width="74%" height="10" fill="{TRACK}"/>')
            if value:
                out.append(f'<rect x="1.4em" y="{y + 3}" width="{_pct(value * 0.74)}" '
                           f'height="10" fill="{colour}"/>')
            out.append(_text("100%", y + 12, text, "end", "small"))
            y += sub
        y += 8
    out.append("</svg>")
    return Markup("\n".join(out))


def _axis_labels(n: int, labels: list[str], every: int) -> list[tuple[int, str]]:
    return [(i, labels[i]) for i in range(0, n, every)]


def line_chart(ident: str, title: str, desc: str, months: list[dt.date],
               values: list[float]) -> Markup:
    """A monthly line on a 0–100 % axis; the last point is marked and labelled."""
    height = 24 + PLOT_H + 30
    out = _open(ident, title, desc, height)
    y0 = 24
    for v in (0, 0.25, 0.5, 0.75, 1.0):
        y = y0 + PLOT_H * (1 - v)
        out.append(f'<line x1="0" x2="100%" y1="{y:g}" y2="{y:g}" stroke="{TRACK if v else GRID}"'
                   ' stroke-width="1"/>')
        if v:
            out.append(_text("0", y - 3, f"{int(v * 100)} %", cls="small", fill=MUTED))
    n = len(values)
    if n:
        xs = [(i / (n - 1) if n > 1 else 0.5) for i in range(n)]
        pts = " ".join(f"{x * 1000:.1f},{PLOT_H * (1 - v):.2f}" for x, v in zip(xs, values))
        out.append(f'<svg x="0" y="{y0}" width="100%" height="{PLOT_H}" '
                   f'viewBox="0 0 1000 {PLOT_H}" preserveAspectRatio="none" overflow="visible">'
                   f'<polyline points="{pts}" fill="none" stroke="{BAR}" stroke-width="2.5" '
                   'vector-effect="non-scaling-stroke" stroke-linejoin="round"/></svg>')
        last_y = y0 + PLOT_H * (1 - values[-1])
        out.append(f'<circle cx="{_pct(xs[-1])}" cy="{last_y:.2f}" r="4" fill="{HIGHLIGHT}"/>')
        out.append(_text(_pct(xs[-1]), max(12, last_y - 8), f"{values[-1] * 100:.0f} %",
                         "end" if n > 1 else "middle", "strong"))
        if n > 24:
            ticks = [(i, m.strftime("%Y")) for i, m in enumerate(months) if m.month == 1]
            step = math.ceil(len(ticks) / 8) or 1
            ticks = ticks[::step]
        else:
            labels = [m.strftime("%m/%Y") for m in months]
            ticks = _axis_labels(n, labels, max(1, math.ceil(n / 4)))
        for i, label in ticks:
            if n > 24:  # a year starts at its tick
                anchor = "end" if xs[i] > 0.92 else "start"
            else:
                anchor = "start" if xs[i] < 0.05 else ("end" if xs[i] > 0.95 else "middle")
            out.append(f'<line x1="{_pct(xs[i])}" x2="{_pct(xs[i])}" y1="{y0 + PLOT_H}" '
                       f'y2="{y0 + PLOT_H + 5}" stroke="{GRID}"/>')
            out.append(_text(_pct(xs[i]), y0 + PLOT_H + 20, label, anchor, "small", MUTED))
    out.append("</svg>")
    return Markup("\n".join(out))


def nice_max(x: float) -> float:
    """The smallest of 1, 2, 5 × 10^k that is at least *x* (for count axes)."""
    if x <= 1:
        return 1.0
    exp = 10 ** math.floor(math.log10(x))
    for m in (1, 2, 5, 10):
        if m * exp >= x:
            return float(m * exp)
    return float(10 * exp)


def column_chart(ident: str, title: str, desc: str, labels: list[str],
                 values: list[float]) -> Markup:
    """Evenly spaced columns (e.g. one per import day) on a count axis from 0."""
    height = 24 + PLOT_H + 30
    out = _open(ident, title, desc, height)
    y0 = 24
    top = nice_max(max(values, default=0))
    for v in (0, 0.5, 1.0):
        y = y0 + PLOT_H * (1 - v)
        out.append(f'<line x1="0" x2="100%" y1="{y:g}" y2="{y:g}" stroke="{TRACK if v else GRID}"'
                   ' stroke-width="1"/>')
        if v:
            out.append(_text("0", y - 3, f"{top * v:,.0f}".replace(",", "."), cls="small",
                             fill=MUTED))
    n = len(values)
    w = min(0.6 / n, 0.12) if n else 0
    for i, v in enumerate(values):
        h = PLOT_H * v / top
        x = (i + 0.5) / n - w / 2
        out.append(f'<rect x="{_pct(x)}" y="{y0 + PLOT_H - h:.2f}" width="{_pct(w)}" '
                   f'height="{h:.2f}" fill="{BAR}"/>')
        if n <= 12:
            out.append(_text(_pct((i + 0.5) / n), y0 + PLOT_H - h - 4,
                             f"{v:,.0f}".replace(",", "."), "middle", "small"))
    shown = range(n) if n <= 4 else (0, n - 1)
    for i in shown:
        anchor = "middle" if n <= 4 else ("start" if i == 0 else "end")
        x = (i + 0.5) / n if n <= 4 else (0.0 if i == 0 else 1.0)
        out.append(_text(_pct(x), y0 + PLOT_H + 20, labels[i], anchor, "small", MUTED))
    out.append("</svg>")
    return Markup("\n".join(out))


def swatch(colour: str) -> Markup:
    """A small square of *colour* for an HTML legend (decorative)."""
    return Markup(f'<svg class="swatch-svg" width="14" height="14" aria-hidden="true" '
                  f'focusable="false"><rect width="14" height="14" fill="{escape(colour)}"/></svg>')
