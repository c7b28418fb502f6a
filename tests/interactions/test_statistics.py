"""Statistics per template and group (canceled excluded), against numbers worked out by hand."""

import datetime
import re
from decimal import Decimal

import pytest
from django.contrib.admin import site
from django.utils import timezone

from interactions import selectors
from interactions.admin import InteractionTemplateAdmin, statistics_period
from interactions.models import InteractionTemplate
from interactions.views.statistics import build_chart, nice_step
from tests.factories import InteractionGroupFactory, InteractionLogEntryFactory, InteractionTemplateFactory

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture
def entries():
    """LETTERS group: LETTER (3 live entries, 1 canceled); CALLS group: CALL (2 live entries).

    LETTER: 1.50 + 1.50 + 2.00 = 5.00 cost, 5 + 5 + 10 = 20 minutes (the canceled 100.00 / 60 min is left out)
    CALL:   3.25 + 0.75 = 4.00 cost, 15 + 30 = 45 minutes
    """
    letters, calls = InteractionGroupFactory(code="LETTERS"), InteractionGroupFactory(code="CALLS")
    letter = InteractionTemplateFactory(code="LETTER", group=letters)
    call = InteractionTemplateFactory(code="CALL", group=calls)
    make = InteractionLogEntryFactory
    make(template=letter, cost=Decimal("1.50"), duration_minutes=5, date=D(2024, 1, 15))
    make(template=letter, cost=Decimal("1.50"), duration_minutes=5, date=D(2024, 2, 3))
    make(template=letter, cost=Decimal("2.00"), duration_minutes=10, date=D(2024, 3, 31))
    make(template=letter, cost=Decimal("100.00"), duration_minutes=60, date=D(2024, 2, 10), canceled=True)
    make(template=call, cost=Decimal("3.25"), duration_minutes=15, date=D(2024, 2, 5))
    make(template=call, cost=Decimal("0.75"), duration_minutes=30, date=D(2024, 4, 1))
    return letter, call


def _by_code(rows):
    return {row.code: (row.count, row.cost, row.duration_minutes) for row in rows}


def test_per_template_count_cost_and_duration_leave_canceled_entries_out(entries):
    assert _by_code(selectors.statistics_by_template()) == {
        "LETTER": (3, Decimal("5.00"), 20),
        "CALL": (2, Decimal("4.00"), 45),
    }


def test_per_group(entries):
    assert _by_code(selectors.statistics_by_group()) == {
        "LETTERS": (3, Decimal("5.00"), 20),
        "CALLS": (2, Decimal("4.00"), 45),
    }


def test_totals(entries):
    totals = selectors.statistics_totals()
    assert (totals.count, totals.cost, totals.duration_minutes) == (5, Decimal("9.00"), 65)


def test_a_date_range_is_inclusive(entries):
    # February: LETTER 2024-02-03 (1.50, 5) and CALL 2024-02-05 (3.25, 15); the canceled one stays out.
    rows = selectors.statistics_by_template(date_after=D(2024, 2, 1), date_before=D(2024, 2, 29))
    assert _by_code(rows) == {"LETTER": (1, Decimal("1.50"), 5), "CALL": (1, Decimal("3.25"), 15)}
    edge = selectors.statistics_totals(date_after=D(2024, 3, 31), date_before=D(2024, 4, 1))
    assert (edge.count, edge.cost, edge.duration_minutes) == (2, Decimal("2.75"), 40)


@pytest.mark.parametrize("period", ["", "this_year", "last_year", "last_30_days"])
def test_the_admin_columns_count_what_the_statistics_page_counts(entries, period, rf, admin_user):
    letter, call = entries
    today = timezone.localdate()
    make = InteractionLogEntryFactory
    make(template=letter, cost=Decimal("4.00"), duration_minutes=7, date=today)
    make(template=letter, cost=Decimal("9.00"), duration_minutes=9, date=today, canceled=True)
    make(
        template=call,
        cost=Decimal("2.00"),
        duration_minutes=3,
        date=today.replace(year=today.year - 1, month=6, day=15),
    )
    request = rf.get("/admin/interactions/interactiontemplate/", {"period": period} if period else {})
    request.user = admin_user
    after, before = statistics_period(request)

    in_admin = {
        template.code: (template.stat_count, template.stat_cost, template.stat_duration)
        for template in InteractionTemplateAdmin(InteractionTemplate, site).get_queryset(request)
    }
    on_page = _by_code(selectors.statistics_by_template(date_after=after, date_before=before))

    assert in_admin == {code: on_page.get(code, (0, Decimal("0"), 0)) for code in ("LETTER", "CALL")}


def test_interactions_per_month_with_empty_months_filled(entries):
    interval, series = selectors.interactions_over_time(interval="month")
    assert interval == "month"
    assert series == [(D(2024, 1, 1), 1), (D(2024, 2, 1), 2), (D(2024, 3, 1), 1), (D(2024, 4, 1), 1)]


def test_interactions_per_week_start_on_monday(entries):
    interval, series = selectors.interactions_over_time(
        date_after=D(2024, 1, 29), date_before=D(2024, 2, 11), interval="auto"
    )
    assert interval == "week"  # two weeks: weekly bars
    # 2024-01-29 is a Monday: that week holds 02-03 (LETTER) and the next one 02-05 (CALL); 02-10 is canceled.
    assert series == [(D(2024, 1, 29), 1), (D(2024, 2, 5), 1)]


def test_no_entries_no_series():
    assert selectors.interactions_over_time() == ("month", [])


def test_the_chart_has_a_bar_per_period_with_hover_titles_and_ticks():
    series = [(D(2024, 11, 1), 10), (D(2024, 12, 1), 0), (D(2025, 1, 1), 42)]
    chart = build_chart(series, "month")
    assert len(chart["bars"]) == 3
    assert chart["bars"][2].title == "Jan 2025: 42 interactions"
    assert chart["bars"][1].height == 0
    assert [tick.label for tick in chart["x_ticks"]] == ["Nov", "Dec", "Jan"]
    assert [tick.year for tick in chart["x_ticks"]] == ["2024", "", "2025"]
    assert chart["y_ticks"][-1].label == "50"  # a round top above the peak


def test_nice_steps():
    assert [nice_step(n) for n in (0, 4, 42, 950, 12_345)] == [1, 1, 10, 200, 5000]


def test_the_statistics_page_shows_tables_totals_and_an_svg_chart(viewer_client, entries):
    response = viewer_client.get("/interactions/statistics/", {"interval": "month"})
    text = response.content.decode()
    assert response.status_code == 200
    assert "<svg" in text and "<title>Feb 2024: 2 interactions</title>" in text
    assert "LETTER" in text and "CALLS" in text
    assert "9.00" in text and ">65<" in text
    # Every script and stylesheet is served by the app: no src/href to another host.
    # (A plain "cdn" substring check failed at random on the CSRF token.)
    assert not re.search(r'(?:src|href)="(?:https?:)?//', text)


def test_a_short_range_is_charted_per_week(viewer_client, entries):
    text = viewer_client.get("/interactions/statistics/").content.decode()
    assert "Interactions per week" in text
    assert "<title>Week of 29 Jan 2024 – 04 Feb: 1 interaction</title>" in text


def test_the_statistics_page_validates_the_range(viewer_client, entries):
    response = viewer_client.get("/interactions/statistics/", {"date_after": "2024-05-01", "date_before": "2024-01-01"})
    assert "The end date is before the start date." in response.content.decode()


def test_the_statistics_page_needs_the_view_permission(stranger_client):
    assert stranger_client.get("/interactions/statistics/").status_code == 403
