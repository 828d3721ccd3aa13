"""The credit panel's score chart: each source's scores over time as a line, every score a percent of
its own scale, laid out here so that the template only draws (inline SVG, no script, no inline style:
the page's CSP allows neither)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from ..domain.credit import score_percent
from ..services.credit_ports import ScoreRow

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 12, 36


@dataclass(frozen=True, slots=True)
class Point:
    x: float
    y: float
    day: date
    score: int
    max_score: int | None
    percent: Decimal


@dataclass(frozen=True, slots=True)
class Line:
    source: str
    css: str  # "computed" (Arrears' behavioural score) or "reported" (a bureau's, or entered)
    points: list[Point]

    @property
    def path(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)


@dataclass(frozen=True, slots=True)
class Tick:
    at: float
    label: str


@dataclass(frozen=True, slots=True)
class Chart:
    width: int
    height: int
    left: int
    right: int  # x of the plot's right edge
    top: int
    bottom: int  # y of the plot's bottom edge
    lines: list[Line]
    y_ticks: list[Tick]
    x_ticks: list[Tick]


def score_chart(history: list[ScoreRow], computed_source: str = "arrears") -> Chart | None:
    """The chart of `history` (oldest first), None without scores."""
    if not history:
        return None
    first, last = history[0].date, history[-1].date
    span = max((last - first).days, 1)
    right, bottom = WIDTH - RIGHT, HEIGHT - BOTTOM

    def x(day: date) -> float:
        if first == last:
            return (LEFT + right) / 2
        return LEFT + (day - first).days * (right - LEFT) / span

    def y(percent: Decimal) -> float:
        clamped = min(max(float(percent), 0.0), 100.0)
        return bottom - clamped * (bottom - TOP) / 100

    by_source: dict[str, list[Point]] = {}
    for score in history:
        percent = score_percent(score.score, score.max_score)
        point = Point(x(score.date), y(percent), score.date, score.score, score.max_score, percent)
        by_source.setdefault(score.source, []).append(point)
    lines = [
        Line(source, "computed" if source == computed_source else "reported", points)
        for source, points in sorted(by_source.items(), key=lambda item: (item[0] == computed_source, item[0]))
    ]
    days = sorted({first, last, first + (last - first) / 2}) if first != last else [first]
    return Chart(
        WIDTH,
        HEIGHT,
        LEFT,
        right,
        TOP,
        bottom,
        lines,
        [Tick(y(Decimal(p)), f"{p}%") for p in (0, 25, 50, 75, 100)],
        [Tick(x(day), day.isoformat()) for day in days],
    )
