"""Counts, names at the end of a sentence, money and minutes read the same everywhere, the admin included."""

from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from crm.wording import count_of, end_sentence, minutes, money
from segments.services import segment_log
from tests.factories import InteractionLogEntryFactory, InteractionTemplateFactory, PersonFactory
from tests.segments.logging_helpers import segment_with_lines


def test_a_count_takes_the_singular_for_one_and_the_plural_otherwise():
    assert count_of(1, "contact", "contacts") == "1 contact"
    assert count_of(0, "contact", "contacts") == "0 contacts"
    assert count_of(12345, "contact", "contacts") == "12,345 contacts"


def test_a_name_that_ends_in_a_full_stop_ends_the_sentence_itself():
    assert end_sentence("Added Acme Inc.") == "Added Acme Inc."
    assert end_sentence("Added Acme Ltd") == "Added Acme Ltd."
    assert end_sentence("Really?") == "Really?"


def test_money_has_two_decimals_and_thousands_separators_whatever_the_sum_drifted_to():
    assert money(Decimal("95.2999999999989")) == "95.30"
    assert money(95.2999999999989) == "95.30"
    assert money(Decimal("1234567.5")) == "1,234,567.50"
    assert money(None) == ""


def test_minutes_are_minutes_with_thousands_separators():
    assert minutes(95) == "95 min"
    assert minutes(1440) == "1,440 min"
    assert minutes(None) == ""


@pytest.mark.django_db
def test_the_admin_shows_a_drifted_cost_sum_as_money(staff_marketer):
    template = InteractionTemplateFactory(code="CALL")
    for cost in ("31.10", "31.10", "33.10"):
        InteractionLogEntryFactory(template=template, cost=Decimal(cost), duration_minutes=1000)
    page = staff_marketer.get("/admin/interactions/interactiontemplate/").content.decode()
    assert '<td class="field-cost">95.30</td>' in page
    assert '<td class="field-duration">3,000</td>' in page


@pytest.mark.django_db
def test_an_entry_shows_its_cost_as_money_and_its_duration_in_minutes(marketer_client):
    entry = InteractionLogEntryFactory(cost=Decimal("1234.5"), duration_minutes=95)
    page = marketer_client.get(reverse("interactions:interaction_detail", args=[entry.pk])).content.decode()
    assert "1,234.50" in page and "95 min" in page


@pytest.mark.django_db
def test_adding_one_contact_by_criteria_says_1_contact(marketer_client):
    segment, _ = segment_with_lines(0)
    PersonFactory(city="Lonelytown")
    response = marketer_client.post(
        reverse("segments:segment_step", args=[segment.pk]), {"action": "add", "c-city": "Lonelytown"}
    )
    assert [str(m) for m in get_messages(response.wsgi_request)][0].startswith("1 contact added (")


@pytest.mark.django_db
def test_a_follow_up_of_one_line_says_1_contact(marketer, marketer_client):
    segment, _ = segment_with_lines(1)
    logged = segment_log(segment, user=marketer)
    response = marketer_client.post(reverse("segments:logged_segment_follow_up", args=[logged.pk]))
    message = [str(m) for m in get_messages(response.wsgi_request)][0]
    assert message.endswith(" was created with 1 contact.")
