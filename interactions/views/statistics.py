"""Interaction statistics: per template and per group (canceled excluded), and a chart of interactions over time.

The chart is an SVG drawn by the server (no JavaScript library, no CDN: the machines are offline). This module
only computes geometry; the template draws it.
"""

import datetime
import math
from dataclasses import dataclass

from django.shortcuts import render
from django.views.decorators.http import require_safe

from crm.access import require_perm
from crm.filters import unknown_params

from .. import selectors
from ..forms import StatisticsForm

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

# Chart geometry in SVG user units; the SVG scales to the card's width.
WIDTH, HEIGHT = 960, 300
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 44


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    title: str
    count: int

    @property
    def cx(self) -> float:
        return round(self.x + self.width / 2, 2)


@dataclass
class Tick:
    pos: float
    label: str
    year: str = ""


def nice_step(maximum: int, ticks: int = 5) -> int:
    """A round step (1, 2, 5 × 10^n) so that about `ticks` gridlines cover 0..maximum."""
    if maximum <= 0:
        return 1
    raw = maximum / ticks
    magnitude = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    for factor in (1, 2, 5, 10):
        if factor * magnitude >= raw:
            return max(1, int(factor * magnitude))
    return int(10 * magnitude)


def build_chart(series: list[tuple[datetime.date, int]], interval: str) -> dict | None:
    if not series:
        return None
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    peak = max(count for _, count in series)
    step = nice_step(peak)
    top_value = max(step, math.ceil(peak / step) * step)
    slot = plot_w / len(series)
    gap = min(slot * 0.2, 6) if slot > 3 else 0
    bars, x_ticks = [], []
    label_every = _label_every(series, interval)
    for index, (start, count) in enumerate(series):
        height = plot_h * count / top_value
        x = LEFT + index * slot
        if interval == "week":
            end = start + datetime.timedelta(days=6)
            title = f"Week of {start:%d %b %Y} – {end:%d %b}: {count:,} interaction{'s' if count != 1 else ''}"
        else:
            title = f"{MONTHS[start.month - 1]} {start.year}: {count:,} interaction{'s' if count != 1 else ''}"
        bars.append(
            Bar(
                x=round(x + gap / 2, 2),
                y=round(TOP + plot_h - height, 2),
                width=round(max(slot - gap, 1), 2),
                height=round(height, 2),
                title=title,
                count=count,
            )
        )
        tick = _x_tick(series, index, interval, label_every)
        if tick:
            x_ticks.append(Tick(pos=round(x + slot / 2, 2), label=tick[0], year=tick[1]))
    y_ticks = [
        Tick(pos=round(TOP + plot_h - plot_h * value / top_value, 2), label=f"{value:,}")
        for value in range(0, top_value + 1, step)
    ]
    total = sum(count for _, count in series)
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "top": TOP,
        "bottom": HEIGHT - BOTTOM,
        "bars": bars,
        "x_ticks": x_ticks,
        "y_ticks": y_ticks,
        "label_x": LEFT - 8,
        "label_y": HEIGHT - BOTTOM + 16,
        "year_y": HEIGHT - BOTTOM + 31,
        "interval": interval,
        "total": total,
        "peak": peak,
        "show_values": len(series) <= 24,
        "summary": f"{total:,} interactions from {_period_label(series[0][0], interval)} to "
        f"{_period_label(series[-1][0], interval)}, at most {peak:,} in one {interval}.",
    }


def _period_label(day: datetime.date, interval: str) -> str:
    return f"{day:%d %b %Y}" if interval == "week" else f"{MONTHS[day.month - 1]} {day.year}"


def _label_every(series, interval: str) -> int:
    months = len(series) if interval == "month" else max(1, len(series) * 7 // 30)
    for every in (1, 2, 3, 6, 12, 24, 60):
        if months / every <= 24:
            return every
    return 120


def _x_tick(series, index: int, interval: str, every: int):
    """(month label, year label or "") for the bar at index, or None. Month ticks: at the first week of a month."""
    day = series[index][0]
    if interval == "week":
        previous = series[index - 1][0] if index else None
        if previous is not None and previous.month == day.month:
            return None
    month_index = day.year * 12 + day.month - 1
    if month_index % every and index:
        return None
    new_year = day.month == 1 or index == 0
    return MONTHS[day.month - 1], (str(day.year) if new_year else "")


@require_safe
def interaction_statistics(request):
    require_perm(request, "interactions.view_interactionlogentry")
    form = StatisticsForm(request.GET or None)
    date_after = date_before = None
    interval = "auto"
    if form.is_bound and form.is_valid():
        date_after, date_before = form.cleaned_data["date_after"], form.cleaned_data["date_before"]
        interval = form.cleaned_data["interval"] or "auto"
    by_template = selectors.statistics_by_template(date_after=date_after, date_before=date_before)
    by_group = selectors.statistics_by_group(date_after=date_after, date_before=date_before)
    totals = selectors.statistics_totals(date_after=date_after, date_before=date_before)
    chosen, series = selectors.interactions_over_time(date_after=date_after, date_before=date_before, interval=interval)
    return render(
        request,
        "interactions/statistics.html",
        {
            "form": form,
            "form_invalid": form.is_bound and not form.is_valid(),
            "unknown_params": unknown_params(request.GET, form.fields),
            "by_template": by_template,
            "by_group": by_group,
            "totals": totals,
            "chart": build_chart(series, chosen),
            "date_after": date_after,
            "date_before": date_before,
        },
    )
