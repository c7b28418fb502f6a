"""Named reads over interactions. Statistics are aggregate queries: the database groups, Python never loops rows.

Canceled entries drop out of every statistic (docs/BEHAVIOUR.md §9).
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, DateField, DecimalField, IntegerField, Max, Min, Q, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth, TruncWeek

from .models import InteractionLogEntry

# A range up to this many days is charted per week, a longer one per month ("auto").
WEEKLY_UP_TO_DAYS = 26 * 7
MAX_WEEKLY_DAYS = 3 * 366
MAX_PERIODS = 600


@dataclass(frozen=True)
class StatisticsRow:
    code: str
    description: str
    count: int
    cost: Decimal
    duration_minutes: int


def counted(
    *, through: str = "", date_after: datetime.date | None = None, date_before: datetime.date | None = None
) -> Q:
    """The entries statistics count: not canceled, dated within the (inclusive) range.

    `through` is the path from the model queried to its entries ("entries__" from a template or a group).
    """
    condition = Q(**{f"{through}canceled": False})
    if date_after:
        condition &= Q(**{f"{through}date__gte": date_after})
    if date_before:
        condition &= Q(**{f"{through}date__lte": date_before})
    return condition


def counted_entries(*, date_after: datetime.date | None = None, date_before: datetime.date | None = None):
    return InteractionLogEntry.objects.filter(counted(date_after=date_after, date_before=date_before)).order_by()


def statistics_aggregates(*, through: str = "", only: Q | None = None) -> dict:
    """Number of interactions, total cost and total duration, as aggregate expressions (zeros when none)."""
    return {
        "count": Count(f"{through}id", filter=only),
        "cost": Coalesce(
            Sum(f"{through}cost", filter=only), Value(0), output_field=DecimalField(max_digits=14, decimal_places=2)
        ),
        "duration_minutes": Coalesce(
            Sum(f"{through}duration_minutes", filter=only), Value(0), output_field=IntegerField()
        ),
    }


def _totals():
    return statistics_aggregates()


def _rows(queryset, key: str) -> list[StatisticsRow]:
    grouped = queryset.values(f"{key}__code", f"{key}__description").annotate(**_totals()).order_by(f"{key}__code")
    return [
        StatisticsRow(
            code=row[f"{key}__code"] or "",
            description=row[f"{key}__description"] or ("(no template)" if key == "template" else "(no group)"),
            count=row["count"],
            cost=Decimal(row["cost"]),
            duration_minutes=int(row["duration_minutes"]),
        )
        for row in grouped
    ]


def statistics_by_template(*, date_after=None, date_before=None) -> list[StatisticsRow]:
    """Per interaction template: number of interactions, total cost, total duration."""
    return _rows(counted_entries(date_after=date_after, date_before=date_before), "template")


def statistics_by_group(*, date_after=None, date_before=None) -> list[StatisticsRow]:
    """Per interaction group: number of interactions, total cost, total duration."""
    return _rows(counted_entries(date_after=date_after, date_before=date_before), "group")


def statistics_totals(*, date_after=None, date_before=None) -> StatisticsRow:
    totals = counted_entries(date_after=date_after, date_before=date_before).aggregate(**_totals())
    return StatisticsRow(
        code="",
        description="Total",
        count=totals["count"],
        cost=Decimal(totals["cost"]),
        duration_minutes=int(totals["duration_minutes"]),
    )


def choose_interval(date_after, date_before, *, first=None, last=None) -> str:
    start, end = date_after or first, date_before or last
    if start and end and (end - start).days <= WEEKLY_UP_TO_DAYS:
        return "week"
    return "month"


def period_start(day: datetime.date, interval: str) -> datetime.date:
    if interval == "week":
        return day - datetime.timedelta(days=day.weekday())
    return day.replace(day=1)


def next_period(day: datetime.date, interval: str) -> datetime.date:
    if interval == "week":
        return day + datetime.timedelta(days=7)
    return (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


def interactions_over_time(
    *, date_after=None, date_before=None, interval: str = "auto"
) -> tuple[str, list[tuple[datetime.date, int]]]:
    """(interval, [(first day of the week or month, number of interactions)]) with empty periods as zeros.

    One GROUP BY query (plus one MIN/MAX when the range is open); the periods in between are filled in Python
    (a loop over periods, not rows). Weeks are used for at most three years, else months.
    """
    queryset = counted_entries(date_after=date_after, date_before=date_before)
    first, last = date_after, date_before
    if not (first and last):
        bounds = queryset.aggregate(first=Min("date"), last=Max("date"))
        first, last = first or bounds["first"], last or bounds["last"]
        if first is None or last is None:
            return ("week" if interval == "week" else "month"), []
    if interval not in ("week", "month"):
        interval = choose_interval(first, last)
    if interval == "week" and (last - first).days > MAX_WEEKLY_DAYS:
        interval = "month"
    trunc = TruncWeek if interval == "week" else TruncMonth
    counts = {
        (row["period"].date() if isinstance(row["period"], datetime.datetime) else row["period"]): row["count"]
        for row in queryset.annotate(period=trunc("date", output_field=DateField()))
        .values("period")
        .annotate(count=Count("id"))
        .order_by("period")
    }
    start, end = period_start(first, interval), period_start(last, interval)
    if counts and _periods_between(start, end, interval) > MAX_PERIODS:
        start, end = min(counts), max(counts)  # a huge range: chart the part that has data
    series = []
    current = start
    while current <= end and len(series) < MAX_PERIODS:
        series.append((current, counts.get(current, 0)))
        current = next_period(current, interval)
    return interval, series


def _periods_between(start: datetime.date, end: datetime.date, interval: str) -> int:
    if interval == "week":
        return (end - start).days // 7 + 1
    return (end.year - start.year) * 12 + end.month - start.month + 1
