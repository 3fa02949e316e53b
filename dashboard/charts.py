"""A small, script-free line chart, drawn on the server as SVG for the trends panel.

The numbers it shows are always in a table beside it: the chart is for a glance.
"""

from dataclasses import dataclass

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 16, 36


@dataclass
class ChartPoint:
    x: float
    y: float
    label: str
    value: int | None


@dataclass
class LineChart:
    points: list
    width: int = WIDTH
    height: int = HEIGHT

    @property
    def polyline(self):
        return " ".join(f"{p.x:.0f},{p.y:.0f}" for p in self.points if p.value is not None)

    @property
    def gridlines(self):
        return [(percent, _y(percent)) for percent in (0, 25, 50, 75, 100)]

    @property
    def left(self):
        return LEFT

    @property
    def right(self):
        return WIDTH - RIGHT


def _y(percent):
    return TOP + (100 - percent) * (HEIGHT - TOP - BOTTOM) / 100


def percent_chart(trend):
    """Premises not needing action as a percentage, one point per week."""
    step = (WIDTH - LEFT - RIGHT) / max(len(trend) - 1, 1)
    return LineChart(
        [
            ChartPoint(
                x=LEFT + index * step,
                y=_y(point.not_red_percent or 0),
                label=f"{point.day:%-d %b}",
                value=point.not_red_percent,
            )
            for index, point in enumerate(trend)
        ]
    )
