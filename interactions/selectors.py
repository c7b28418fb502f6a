"""Named reads over interactions. Statistics are aggregate queries: the database groups, Python never loops rows.

Canceled entries drop out of every statistic (docs/BEHAVIOUR.md §9). The statistics read the daily totals
(InteractionDailyTotal: one row per day, template and group), not the log entries: a range of years is a few
thousand rows instead of a scan of a million entries (docs/PERFORMANCE.md, "Statistics").
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, DecimalField, IntegerField, Max, Min, Q, Sum, Value
from django.db.models.functions import Coalesce

from .models import InteractionDailyTotal, InteractionGroup, InteractionTemplate

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
    """The entries statistics count: not canceled, not postponed, dated within the (inclusive) range.

    `through` is the path from the model queried to its entries ("entries__" from a template or a group).
    """
    condition = Q(**{f"{through}canceled": False})
    if through:
        # A join bypasses the default manager, which leaves postponed entries out (models.LoggedEntryManager).
        condition &= Q(**{f"{through}postponed": False})
    if date_after:
        condition &= Q(**{f"{through}date__gte": date_after})
    if date_before:
        condition &= Q(**{f"{through}date__lte": date_before})
    return condition


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


def counted_totals(*, date_after: datetime.date | None = None, date_before: datetime.date | None = None):
    """The daily totals of the entries statistics count (not canceled), dated within the (inclusive) range."""
    queryset = InteractionDailyTotal.objects.filter(count__gt=0)
    if date_after:
        queryset = queryset.filter(date__gte=date_after)
    if date_before:
        queryset = queryset.filter(date__lte=date_before)
    return queryset.order_by()


def _totals():
    return {
        "entries": Coalesce(Sum("count"), 0),
        "amount": Coalesce(Sum("cost"), Decimal("0")),
        "minutes": Coalesce(Sum("duration_minutes"), 0),
    }


def _row(code: str, description: str, totals: dict) -> StatisticsRow:
    return StatisticsRow(
        code=code,
        description=description,
        count=int(totals["entries"]),
        cost=Decimal(totals["amount"]).quantize(Decimal("0.01")),
        duration_minutes=int(totals["minutes"]),
    )


def _rows(queryset, key: str, model) -> list[StatisticsRow]:
    grouped = list(queryset.values(f"{key}_key").annotate(**_totals()))
    names = {
        pk: (code, description)
        for pk, code, description in model.objects.filter(pk__in=[row[f"{key}_key"] for row in grouped]).values_list(
            "pk", "code", "description"
        )
    }
    missing = ("", "(no template)" if key == "template" else "(no group)")
    rows = [_row(*names.get(row[f"{key}_key"], missing), row) for row in grouped]
    return sorted(rows, key=lambda row: row.code)


def statistics_by_template(*, date_after=None, date_before=None) -> list[StatisticsRow]:
    """Per interaction template: number of interactions, total cost, total duration."""
    return _rows(counted_totals(date_after=date_after, date_before=date_before), "template", InteractionTemplate)


def statistics_by_group(*, date_after=None, date_before=None) -> list[StatisticsRow]:
    """Per interaction group: number of interactions, total cost, total duration."""
    return _rows(counted_totals(date_after=date_after, date_before=date_before), "group", InteractionGroup)


def statistics_totals(*, date_after=None, date_before=None) -> StatisticsRow:
    return _row("", "Total", counted_totals(date_after=date_after, date_before=date_before).aggregate(**_totals()))


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

    One GROUP BY query over the daily totals (plus one MIN/MAX when the range is open); the days are put into
    their periods and the periods in between are filled in Python (loops over days and periods, not entries).
    Weeks are used for at most three years, else months.
    """
    queryset = counted_totals(date_after=date_after, date_before=date_before)
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
    # The database sums per day (at most one row per day of the range); the days are put into their week or
    # month here, which costs less than truncating each row's date in SQL (a Python function per row on SQLite).
    counts: dict[datetime.date, int] = {}
    for day, entries in queryset.values("date").annotate(entries=Sum("count")).values_list("date", "entries"):
        period = period_start(day, interval)
        counts[period] = counts.get(period, 0) + int(entries)
    start, end = period_start(first, interval), period_start(last, interval)
    if counts and _periods_between(start, end, interval) > MAX_PERIODS:
        start, end = min(counts), max(counts)  # a huge range: chart the part that has data
    series: list[tuple[datetime.date, int]] = []
    current = start
    while current <= end and len(series) < MAX_PERIODS:
        series.append((current, counts.get(current, 0)))
        current = next_period(current, interval)
    return interval, series


def _periods_between(start: datetime.date, end: datetime.date, interval: str) -> int:
    if interval == "week":
        return (end - start).days // 7 + 1
    return (end.year - start.year) * 12 + end.month - start.month + 1
