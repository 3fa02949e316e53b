"""The stock-over-time chart, drawn on the server as SVG geometry.

No chart library and no script: the template draws an inline <svg> with a <title> and
<desc> from these numbers, and the same figures go in a table beside it, so the chart
works under the strict Content-Security-Policy and for screen-reader users.
"""

import math
from dataclasses import dataclass

WIDTH = 640
HEIGHT = 260
LEFT = 56
RIGHT = 32
TOP = 16
BOTTOM = 40
PLOT_WIDTH = WIDTH - LEFT - RIGHT
PLOT_HEIGHT = HEIGHT - TOP - BOTTOM


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class StockChart:
    title: str
    description: str
    points: str
    y_ticks: list
    x_ticks: list
    reorder_y: float | None
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = WIDTH - RIGHT
    top: int = TOP
    bottom: int = HEIGHT - BOTTOM

    @property
    def view_box(self):
        return f"0 0 {self.width} {self.height}"


def _nice_step(top, ticks=4):
    raw = max(top / ticks, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    for multiple in (1, 2, 5, 10):
        if raw <= multiple * magnitude:
            return multiple * magnitude
    return 10 * magnitude


def _day(day):
    return f"{day.day} {day:%b}"


def stock_chart(history, *, reorder_level=None):
    """A StockChart for [(day, stock)] (oldest first), or None when there is nothing."""
    if not history:
        return None
    values = [stock for _, stock in history]
    highest = max([*values, reorder_level or 0, 1])
    step = _nice_step(highest)
    y_max = step * math.ceil(highest / step)
    bottom_value = min(0, min(values))

    def y(value):
        return round(TOP + PLOT_HEIGHT * (1 - (value - bottom_value) / (y_max - bottom_value)), 1)

    last = max(len(history) - 1, 1)

    def x(index):
        return round(LEFT + PLOT_WIDTH * index / last, 1)

    points = " ".join(f"{x(i)},{y(stock)}" for i, (_, stock) in enumerate(history))
    y_ticks = [Tick(y(value), f"{value:,}") for value in range(0, y_max + 1, step)]
    x_ticks = [
        Tick(x(i), _day(day))
        for i, (day, _) in enumerate(history)
        if (len(history) - 1 - i) % 7 == 0
    ]
    first_day, first_stock = history[0]
    last_day, last_stock = history[-1]
    low_day, low_stock = min(history, key=lambda item: (item[1], item[0]))
    description = (
        f"Tokens in stock each day from {_day(first_day)} to {_day(last_day)} {last_day.year}: "
        f"{first_stock:,} at the start, {last_stock:,} now, lowest {low_stock:,} on "
        f"{_day(low_day)}."
    )
    if reorder_level is not None:
        description += f" The dashed line is the reorder level, {reorder_level:,} tokens."
    return StockChart(
        title="Tokens in stock over the last 8 weeks",
        description=description,
        points=points,
        y_ticks=y_ticks,
        x_ticks=x_ticks,
        reorder_y=y(reorder_level) if reorder_level is not None else None,
    )
