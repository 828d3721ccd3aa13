"""The dashboard: aging chart, overdue by collector, tasks due today, promises due this week.

The numbers come from one service call (services/dashboard.py); this module only lays the aging out as
an SVG bar chart (the CSP forbids inline styles and scripts, so the bars are SVG attributes)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from fastapi import APIRouter, Request
from starlette.responses import Response

from ...domain.currencies import minor_unit
from ...domain.money import format_minor
from ...services import dashboard
from ..pages import WebRoute, WebState, WebUser, render

router = APIRouter(route_class=WebRoute, include_in_schema=False)

# The chart's frame, in SVG user units (it scales to the width of its box).
WIDTH, HEIGHT = 560, 250
TOP, BASELINE = 34, 206  # room above the tallest bar for its amount; below the baseline for the names
SLOT = WIDTH // 5
BAR = 64
COLOURS = ("#2f7d4f", "#c9a227", "#e07b24", "#c4461f", "#8f1d1d")  # current .. 91+: calm to alarming


@dataclass(frozen=True, slots=True)
class Bar:
    bucket: str
    amount: str  # the exact amount, for the table and the bar's own <title>
    short: str  # the label over the bar
    x: int
    y: int
    height: int
    centre: int
    colour: str


@dataclass(frozen=True, slots=True)
class Chart:
    currency: str
    total: str
    bars: list[Bar]
    width: int = WIDTH
    height: int = HEIGHT
    baseline: int = BASELINE


def short_amount(minor: int, currency: str) -> str:
    """A compact label for a bar: 950.00, 12.3k, 4.56M (exact Decimal arithmetic, never float)."""
    value = Decimal(minor).scaleb(-minor_unit(currency))
    for limit, suffix in ((Decimal(10**9), "B"), (Decimal(10**6), "M"), (Decimal(10**3), "k")):
        if abs(value) >= limit:
            scaled = value / limit
            places = 0 if abs(scaled) >= 100 else 1 if abs(scaled) >= 10 else 2
            return f"{scaled.quantize(Decimal(1).scaleb(-places))}{suffix}"
    return format_minor(minor, currency)


def chart(block: dashboard.AgingBlock, money: Callable[[int, str], str]) -> Chart:
    """The block's bars, their amounts written by `money` (the pages' locale format)."""
    tallest = max((minor for _, minor in block.buckets), default=0) or 1
    room = BASELINE - TOP
    bars = []
    for k, (bucket, minor) in enumerate(block.buckets):
        height = max(1, round(room * minor / tallest)) if minor > 0 else 0
        left = k * SLOT + (SLOT - BAR) // 2
        bars.append(
            Bar(
                bucket,
                money(minor, block.currency),
                short_amount(minor, block.currency),
                left,
                BASELINE - height,
                height,
                left + BAR // 2,
                COLOURS[k % len(COLOURS)],
            )
        )
    return Chart(block.currency, money(block.total_minor, block.currency), bars)


@router.get("/dashboard")
def dashboard_page(request: Request, user: WebUser, web: WebState) -> Response:
    board = dashboard.dashboard(web.arrears.uow(), user)
    return render(
        request,
        "dashboard.html",
        user=user,
        board=board,
        charts=[chart(block, web.money) for block in board.aging],
    )
