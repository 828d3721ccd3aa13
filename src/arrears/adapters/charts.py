"""Charts as inline SVG, drawn on the server: the reports pages show them under the workspace's
strict CSP (no script, no inline style: colours are SVG attributes) and the month's PDF pack embeds
the same markup. Every label is escaped; each chart has a title and a description for screen
readers, and the page puts the figures in a table under it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from markupsafe import Markup, escape

WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 48
# Distinguishable in colour and in grey (the PDF may be printed in black and white).
PALETTE = ("#1f5f99", "#d9822b", "#3f8f4f", "#a23b72", "#6b6b6b")
Number = int | float | Decimal


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    values: Sequence[Number | None]  # None: no figure (a gap in a line, no bar)


def _nice_top(largest: float) -> float:
    """The smallest 1, 2, 2.5 or 5 × 10^k at or above `largest` (at least 1)."""
    if largest <= 0:
        return 1.0
    magnitude = 10 ** (len(str(int(largest))) - 1) if largest >= 1 else 1
    for step in (1, 2, 2.5, 5, 10):
        if step * magnitude >= largest:
            return float(step * magnitude)
    return float(10 * magnitude)


def _top(figures: Sequence[Number]) -> float:
    """The top of the scale: for counts, 4 whole steps (ticks 0, 1, 2, 3, 4 or 0, 5, 10, 15, 20);
    for amounts and ratios, a round number at or above the largest figure."""
    largest = max(float(v) for v in figures)
    if all(isinstance(v, int) for v in figures):
        step = next((s for s in (1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000) if 4 * s >= largest), None)
        if step is not None:
            return float(4 * step)
    return _nice_top(largest)


def _plain(value: Number) -> str:
    """A figure for a tooltip: 1,234,567 or 45.3."""
    return f"{float(value):,.0f}" if abs(float(value)) >= 100 else f"{float(value):,.1f}".rstrip("0").rstrip(".")


def _short(value: Number) -> str:
    """An axis label that fits the margin: 750, 2.5k, 1M, 1.25B."""
    number = float(value)
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(number) >= limit:
            return f"{number / limit:.2f}".rstrip("0").rstrip(".") + suffix
    return _plain(number)


@dataclass(frozen=True)
class _Frame:
    labels: Sequence[str]
    top: float
    bottom_value: float
    width: int = WIDTH
    height: int = HEIGHT

    @property
    def plot_bottom(self) -> int:
        return self.height - BOTTOM

    def y(self, value: Number) -> float:
        span = self.top - self.bottom_value
        return self.plot_bottom - (float(value) - self.bottom_value) * (self.plot_bottom - TOP) / span

    def slot(self) -> float:
        return (self.width - RIGHT - LEFT) / max(len(self.labels), 1)

    def centre(self, k: int) -> float:
        return LEFT + self.slot() * (k + 0.5)

    def axes(self, label: Callable[[Number], str]) -> list[str]:
        parts = []
        for n in range(5):
            value = self.bottom_value + (self.top - self.bottom_value) * n / 4
            y = self.y(value)
            parts.append(f'<line x1="{LEFT}" x2="{self.width - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d8d8d8"/>')
            parts.append(
                f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" fill="#444">'
                f"{escape(label(value))}</text>"
            )
        every = max(1, -(-len(self.labels) // 12))  # at most 12 labels under the axis
        for k, text in enumerate(self.labels):
            if k % every == 0:
                parts.append(
                    f'<text x="{self.centre(k):.1f}" y="{self.plot_bottom + 16}" text-anchor="middle" '
                    f'font-size="11" fill="#444">{escape(text)}</text>'
                )
        return parts


def _svg(title: str, description: str, frame: _Frame, body: list[str], series: Sequence[Series]) -> Markup:
    legend = []
    x = LEFT
    for k, s in enumerate(series):
        colour = PALETTE[k % len(PALETTE)]
        legend.append(f'<rect x="{x}" y="{frame.height - 18}" width="12" height="12" fill="{colour}"/>')
        legend.append(f'<text x="{x + 16}" y="{frame.height - 8}" font-size="12" fill="#222">{escape(s.name)}</text>')
        x += 28 + 7 * len(s.name)
    markup = (
        f'<svg class="chart" viewBox="0 0 {frame.width} {frame.height}" role="img" '
        f'xmlns="http://www.w3.org/2000/svg" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title><desc>{escape(description)}</desc>"
        + "".join(frame.axes(_short) + body + legend)
        + "</svg>"
    )
    # Every text in it went through escape() above; the rest is numbers and fixed attributes.
    return Markup(markup)  # noqa: S704


def _tip(series: Series, label: str, value: Number, unit: str) -> str:
    """A mark's tooltip: "DSO, Feb: 40.5 days"."""
    return f"<title>{escape(series.name)}, {escape(label)}: {escape(_plain(value))}{escape(unit)}</title>"


def _describe(labels: Sequence[str], series: Sequence[Series]) -> str:
    """Every figure in words, for a screen reader: "DSO: Jan 31, Feb 40.5, Mar none"."""
    return "; ".join(
        f"{s.name}: "
        + ", ".join(f"{lab} {'none' if v is None else _plain(v)}" for lab, v in zip(labels, s.values, strict=True))
        for s in series
    )


def line_chart(title: str, labels: Sequence[str], series: Sequence[Series], *, unit: str = "") -> Markup | None:
    """One line per series over the `labels` (months); a None breaks its line. None without a figure."""
    figures = [float(v) for s in series for v in s.values if v is not None]
    if not figures:
        return None
    low = min(0.0, min(figures))
    frame = _Frame(labels, _nice_top(max(figures)), -_nice_top(-low) if low < 0 else 0.0)
    body: list[str] = []
    for k, s in enumerate(series):
        colour = PALETTE[k % len(PALETTE)]
        run: list[str] = []
        points = [*s.values, None]
        for n, value in enumerate(points):
            if value is None:
                if len(run) > 1:
                    body.append(
                        f'<polyline fill="none" stroke="{colour}" stroke-width="2.5" points="{" ".join(run)}"/>'
                    )
                run = []
                continue
            x, y = frame.centre(n), frame.y(value)
            run.append(f"{x:.1f},{y:.1f}")
            body.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}">{_tip(s, labels[n], value, unit)}</circle>'
            )
    return _svg(title, _describe(labels, series), frame, body, series)


def bar_chart(title: str, labels: Sequence[str], series: Sequence[Series], *, unit: str = "") -> Markup | None:
    """Bars side by side per label, one per series. None when every figure is zero or missing."""
    figures = [v for s in series for v in s.values if v is not None]
    if not figures or not any(figures):
        return None
    frame = _Frame(labels, _top(figures), 0.0)
    width = frame.slot() * 0.8 / max(len(series), 1)
    body: list[str] = []
    for k, s in enumerate(series):
        colour = PALETTE[k % len(PALETTE)]
        for n, value in enumerate(s.values):
            if not value:
                continue
            x = frame.centre(n) - frame.slot() * 0.4 + k * width
            y = frame.y(value)
            body.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{frame.plot_bottom - y:.1f}" '
                f'fill="{colour}">'
                f"{_tip(s, labels[n], value, unit)}</rect>"
            )
    return _svg(title, _describe(labels, series), frame, body, series)
