"""Ids typed into a URL or a form are ASCII digits or a clear 404 / message (issue 14: `?contact=²` was a 500)."""

import pytest

from crm.ids import parse_id
from interactions.models import InteractionLogEntry
from tests.factories import InteractionLogEntryFactory, PersonFactory


@pytest.mark.parametrize(
    "raw",
    ["²", "٣", "３", " 7", "7 ", "1_000", "+7", "-7", "0", "7.0", "", "99999999999999999999", "9223372036854775808"],
)
def test_only_ascii_digits_in_the_id_range_are_an_id(raw):
    assert parse_id(raw) is None


def test_ascii_digits_are_an_id():
    assert parse_id("7") == 7 and parse_id("9223372036854775807") == 2**63 - 1


@pytest.mark.parametrize("raw", ["²", "٣", "99999999999999999999"])
def test_the_create_interaction_page_answers_404_for_a_contact_that_is_not_an_ascii_id(sales_client, raw):
    PersonFactory()  # contact 3 may exist: Arabic-Indic ٣ must not find it
    PersonFactory()
    assert sales_client.get("/interactions/new/", {"contact": raw}).status_code == 404


def test_the_create_interaction_page_does_not_read_unicode_digits_as_a_contact(sales_client):
    person = PersonFactory()
    arabic = str(person.pk).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    assert sales_client.get("/interactions/new/", {"contact": str(person.pk)}).status_code == 200
    assert sales_client.get("/interactions/new/", {"contact": arabic}).status_code == 404


def test_a_bulk_action_on_entries_refuses_unicode_digit_ids_and_changes_nothing(marketer_client):
    entry = InteractionLogEntryFactory()
    arabic = str(entry.pk).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    response = marketer_client.post("/interactions/actions/", {"action": "cancel", "ids": [arabic]}, follow=True)
    assert response.status_code == 200
    assert "is not an entry number" in response.content.decode()
    assert not InteractionLogEntry.objects.filter(pk=entry.pk, canceled=True).exists()
