"""The SVG charts: accessible (role, title, desc), escaped, scaled to the value."""
from __future__ import annotations

import datetime as dt
import re

import pytest

from ozgmap import svg


def test_bar_chart_is_an_accessible_image_with_one_bar_per_value():
    out = svg.bar_chart("c-x", "Titel <b>", "Beschreibung & mehr",
                        [svg.Bar("Beelen", 0.5, "50 %"), svg.Bar("Ennigerloh", None, "keine"),
                         svg.Bar("Warendorf", 1.0, "100 %", highlight=True)])
    assert out.startswith('<svg class="chart" id="c-x"') and 'role="img"' in out
    assert '<title id="c-x-t">Titel &lt;b&gt;</title>' in out
    assert '<desc id="c-x-d">Beschreibung &amp; mehr</desc>' in out
    bars = [w for w, fill in re.findall(r'width="([\d.]+%)" height="9" fill="(#\w+)"', out)
            if fill != svg.TRACK]
    assert bars == ["50.00%", "100.00%"]
    assert f'fill="{svg.HIGHLIGHT}"' in out and "keine" in out


def test_bar_chart_reference_line_is_labelled():
    out = svg.bar_chart("c", "t", "d", [svg.Bar("a", 0.2, "20 %")], (0.75, "Mittel 75 %"))
    assert out.count('stroke-dasharray="3 2"') == 1 and 'x1="75.00%"' in out
    assert "Mittel 75 %" in out


def test_labels_are_escaped_everywhere():
    evil = '<script>alert(1)</script>'
    charts = [svg.bar_chart("c", evil, evil, [svg.Bar(evil, 0.5, evil)]),
              svg.grouped_bar_chart("g", "t", "d", [(evil, [(0.5, evil)])]),
              svg.column_chart("k", "t", "d", [evil], [3])]
    assert all("<script>" not in c and "&lt;script&gt;" in c for c in charts)


@pytest.mark.parametrize("x, top", [(0, 1.0), (1, 1.0), (3, 5.0), (7, 10.0), (12, 20.0),
                                    (450, 500.0), (1001, 2000.0)])
def test_nice_max_is_one_two_or_five_times_a_power_of_ten(x, top):
    assert svg.nice_max(x) == top


def test_line_chart_has_a_point_per_month():
    months = [dt.date(2025, m, 28) for m in (1, 2, 3)]
    out = svg.line_chart("l", "Verlauf", "d", months, [0.1, 0.25, 0.4])
    assert 'role="img"' in out and "<title" in out


def test_swatch_is_decorative():
    assert 'aria-hidden="true"' in svg.swatch("#123456")
