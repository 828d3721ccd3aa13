"""The reports' inline SVG charts: figures placed on a scale that fits them, gaps where a figure is
missing, every label escaped, and nothing drawn without a figure."""

from __future__ import annotations

import re
from decimal import Decimal

from arrears.adapters.charts import Series, bar_chart, line_chart


def test_a_line_breaks_where_a_month_has_no_figure() -> None:
    svg = line_chart("DSO", ["Jan", "Feb", "Mar", "Apr"], [Series("DSO", [Decimal("31.0"), Decimal("40.5"), None, 20])])

    assert svg is not None
    assert len(re.findall(r"<polyline ", svg)) == 1  # Jan-Feb; Apr alone is a point, not a line
    assert len(re.findall(r"<circle ", svg)) == 3
    assert "DSO, Feb: 40.5" in svg  # each point's tooltip
    assert "Mar none" in svg  # the description for screen readers says what is missing


def test_the_scale_rounds_up_to_a_readable_top() -> None:
    svg = bar_chart("Aging", ["current", "91+"], [Series("Outstanding", [Decimal("812345.67"), 10])])

    assert svg is not None
    labels = re.findall(r'text-anchor="end"[^>]*>([^<]+)<', svg)
    assert labels == ["0", "250k", "500k", "750k", "1M"]


def test_bars_are_as_tall_as_their_figures() -> None:
    svg = bar_chart("Promises", ["USD"], [Series("Kept", [3]), Series("Broken", [1])])

    assert svg is not None
    heights = [float(h) for h in re.findall(r'<rect x="[^"]+" y="[^"]+" width="[^"]+" height="([^"]+)"', svg)]
    assert abs(heights[0] - 3 * heights[1]) < 0.2  # to the tenth of a unit the SVG is written in


def test_every_label_is_escaped() -> None:
    svg = bar_chart("<b>t</b>", ["<script>alert(1)</script>"], [Series('a"b', [1])])

    assert svg is not None
    assert "<script>" not in svg and "<b>" not in svg
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in svg
    assert "a&#34;b" in svg


def test_nothing_is_drawn_without_a_figure() -> None:
    assert line_chart("CEI", ["Jan"], [Series("CEI", [None])]) is None
    assert bar_chart("Disputes", [], []) is None
    assert bar_chart("Promises", ["USD"], [Series("Kept", [0])]) is None


def test_counts_get_whole_ticks() -> None:
    svg = bar_chart("Disputes", ["pricing", "damaged"], [Series("Opened", [3, 1])])

    assert svg is not None
    assert re.findall(r'text-anchor="end"[^>]*>([^<]+)<', svg) == ["0", "1", "2", "3", "4"]
