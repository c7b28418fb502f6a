"""The statistics' daily totals follow every change to the log entries: each one is checked against a recount."""

import datetime
from decimal import Decimal

import pytest
from django.db.models import Count, Sum

from interactions import selectors
from interactions.models import InteractionDailyTotal, InteractionLogEntry
from interactions.services import (
    cover_sheets_log,
    interaction_create,
    log_entries_delete_canceled,
    log_entries_set_canceled,
)
from segments.services import logged_segment_set_canceled, segment_log
from tests.factories import (
    InteractionLogEntryFactory,
    InteractionTemplateFactory,
    InteractionTemplateSetupFactory,
    PersonFactory,
)
from tests.segments.logging_helpers import segment_with_lines

pytestmark = pytest.mark.django_db

D = datetime.date


def kept_totals() -> dict:
    return {
        (row.date, row.template_key, row.group_key): (row.count, Decimal(row.cost), row.duration_minutes)
        for row in InteractionDailyTotal.objects.filter(count__gt=0)
    }


def recounted_totals() -> dict:
    rows = (
        InteractionLogEntry.objects.filter(canceled=False)
        .values("date", "template_id", "group_id")
        .annotate(n=Count("id"), cost=Sum("cost"), minutes=Sum("duration_minutes"))
    )
    return {
        (row["date"], row["template_id"] or 0, row["group_id"] or 0): (row["n"], Decimal(row["cost"]), row["minutes"])
        for row in rows
    }


@pytest.fixture
def entries():
    template = InteractionTemplateFactory(code="CALL")
    make = InteractionLogEntryFactory
    return [
        make(template=template, cost=Decimal("1.50"), duration_minutes=5, date=D(2024, 1, 15)),
        make(template=template, cost=Decimal("2.50"), duration_minutes=10, date=D(2024, 1, 15)),
        make(template=template, cost=Decimal("4.00"), duration_minutes=20, date=D(2024, 2, 1)),
        make(template=None, group=None, cost=Decimal("1.00"), duration_minutes=1, date=D(2024, 2, 1)),
        make(template=template, cost=Decimal("100.00"), duration_minutes=60, date=D(2024, 2, 1), canceled=True),
    ]


def test_a_new_entry_is_counted_in_its_day_template_and_group(entries):
    assert kept_totals() == recounted_totals()
    day = InteractionDailyTotal.objects.get(date=D(2024, 1, 15))
    assert (day.count, day.cost, day.duration_minutes) == (2, Decimal("4.00"), 15)


def test_an_entry_without_template_or_group_is_kept_under_key_0(entries):
    row = InteractionDailyTotal.objects.get(date=D(2024, 2, 1), template_key=0, group_key=0)
    assert (row.count, row.cost, row.duration_minutes) == (1, Decimal("1.00"), 1)
    assert "(no template)" in [row.description for row in selectors.statistics_by_template()]


def test_an_interaction_created_on_the_page_is_counted(salesperson_user):
    template = InteractionTemplateFactory(code="VISIT", unit_cost=Decimal("12.00"), unit_duration_minutes=45)
    interaction_create(contact=PersonFactory(), template=template, description="Visit", user=salesperson_user)
    assert kept_totals() == recounted_totals()
    assert selectors.statistics_totals().count == 1


def test_cover_sheets_logged_for_several_contacts_are_counted(salesperson_user):
    template = InteractionTemplateFactory(code="COVERSH", unit_cost=Decimal("0.80"), unit_duration_minutes=2)
    InteractionTemplateSetupFactory(event="cover_sheet", template=template)
    assert cover_sheets_log([PersonFactory().pk for _ in range(3)], user=salesperson_user) == 3
    assert kept_totals() == recounted_totals()
    totals = selectors.statistics_totals()
    assert (totals.count, totals.cost, totals.duration_minutes) == (3, Decimal("2.40"), 6)


def test_canceling_and_un_canceling_entries_takes_them_out_and_puts_them_back(entries, salesperson_user):
    log_entries_set_canceled(entries[:3], canceled=True, user=salesperson_user)
    assert kept_totals() == recounted_totals()
    assert selectors.statistics_totals().count == 1
    log_entries_set_canceled(entries, canceled=False, user=salesperson_user)
    assert kept_totals() == recounted_totals()
    assert selectors.statistics_totals().count == 5


def test_canceling_entries_that_are_already_canceled_changes_nothing(entries, salesperson_user):
    before = kept_totals()
    assert log_entries_set_canceled([entries[4]], canceled=True, user=salesperson_user) == 0
    assert kept_totals() == before


def test_canceling_by_a_filter_on_the_canceled_flag_counts_each_entry_once(entries, salesperson_user):
    changed = log_entries_set_canceled(
        InteractionLogEntry.objects.filter(canceled=False), canceled=True, user=salesperson_user
    )
    assert changed == 4
    assert kept_totals() == recounted_totals() == {}
    assert selectors.statistics_totals().count == 0


def test_deleting_canceled_entries_leaves_the_totals_as_they_are(entries):
    before = kept_totals()
    assert log_entries_delete_canceled() == 1
    assert kept_totals() == before == recounted_totals()


def test_logging_a_segment_and_canceling_it_both_ways(marketer):
    segment, _ = segment_with_lines(4)
    logged = segment_log(segment, user=marketer)
    assert kept_totals() == recounted_totals()
    assert selectors.statistics_totals().count == 4
    logged_segment_set_canceled(logged, canceled=True, user=marketer)
    assert kept_totals() == recounted_totals() == {}
    logged_segment_set_canceled(logged, canceled=False, user=marketer)
    assert kept_totals() == recounted_totals()
    assert selectors.statistics_totals().count == 4


def test_a_segment_whose_lines_have_their_own_dates_is_counted_per_day(marketer):
    segment, lines = segment_with_lines(3)
    lines[0].date = D(2024, 5, 1)
    lines[0].save(update_fields=["date"])
    segment_log(segment, user=marketer)
    assert kept_totals() == recounted_totals()
    assert len(kept_totals()) == 2
    assert selectors.statistics_totals().count == 3


def test_rebuild_gives_the_same_totals(entries):
    kept = kept_totals()
    InteractionDailyTotal.objects.all().delete()
    InteractionDailyTotal.objects.rebuild()
    assert kept_totals() == kept == recounted_totals()


def test_add_entries_refuses_a_sign_other_than_plus_or_minus_one(entries):
    before = kept_totals()
    with pytest.raises(ValueError, match="sign must be 1 or -1"):
        InteractionDailyTotal.objects.add_entries(InteractionLogEntry.objects.all(), sign=2)
    assert kept_totals() == before
