"""Dates out of range (issue 9) on the log entries page, its CSV export, "delete canceled" (page and command) and
the statistics page: a year 10000, a year 0, 30 February, a word. Each gets a clear message and changes nothing;
the extreme dates a date column can hold (0001-01-01, 9999-12-31) work as plain filters.
"""

import datetime
import html
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from interactions.models import InteractionLogEntry
from tests.factories import InteractionLogEntryFactory

pytestmark = pytest.mark.django_db

NOT_DATES = ["10000-01-01", "0000-12-31", "2026-02-30", "2025-13-01", "yesterday"]
ENTRIES_FILTERS = ["date_after", "date_before"]


@pytest.fixture
def entries():
    """Two canceled entries and one that is not, far apart in time."""
    return [
        InteractionLogEntryFactory(canceled=True, date=datetime.date(1999, 1, 5), description="Old canceled"),
        InteractionLogEntryFactory(canceled=True, date=datetime.date(2024, 1, 5), description="New canceled"),
        InteractionLogEntryFactory(canceled=False, date=datetime.date(2024, 1, 5), description="Kept"),
    ]


def all_entries() -> list:
    return list(InteractionLogEntry.objects.order_by("pk").values())


def text_of(response) -> str:
    return html.unescape(response.content.decode())


# --- the log entries page and its CSV export --------------------------------------------------------------------


@pytest.mark.parametrize("key", ENTRIES_FILTERS)
@pytest.mark.parametrize("value", NOT_DATES)
def test_the_entries_page_says_a_bad_date_is_not_a_date_and_lists_nothing(viewer_client, entries, key, value):
    response = viewer_client.get("/interactions/", {key: value})
    text = text_of(response)
    assert response.status_code == 200
    assert "Enter a valid date." in text and "Correct the filters to see entries." in text
    assert "Old canceled" not in text and "Kept" not in text


@pytest.mark.parametrize("value", NOT_DATES)
def test_the_csv_export_with_a_bad_date_goes_back_with_the_message(viewer_client, entries, value):
    response = viewer_client.get("/interactions/export.csv", {"date_after": value}, follow=True)
    assert response["Content-Type"].startswith("text/html")
    assert "Enter a valid date." in text_of(response)


def test_the_extreme_dates_a_date_column_holds_are_plain_filters(viewer_client, entries):
    text = text_of(viewer_client.get("/interactions/", {"date_after": "0001-01-01", "date_before": "9999-12-31"}))
    assert "Old canceled" in text and "New canceled" in text and "Kept" in text
    text = text_of(viewer_client.get("/interactions/", {"date_after": "9999-12-31"}))
    assert "Correct the filters" not in text and "Kept" not in text


# --- delete canceled: the page ----------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ENTRIES_FILTERS)
@pytest.mark.parametrize("value", NOT_DATES)
def test_delete_canceled_with_a_bad_date_explains_and_deletes_nothing(marketer_client, entries, key, value):
    before = all_entries()

    page = marketer_client.get("/interactions/delete-canceled/", {key: value})
    assert page.status_code == 200
    assert "Enter a valid date." in text_of(page) and "will be deleted" not in text_of(page)

    response = marketer_client.post(f"/interactions/delete-canceled/?{key}={value}", follow=True)
    assert "Correct the filters first. Nothing was deleted." in text_of(response)
    assert all_entries() == before


def test_delete_canceled_with_a_mistyped_filter_deletes_nothing(marketer_client, entries):
    # "date_befor" is no filter: before the fix the page ignored it and offered to delete every canceled entry.
    before = all_entries()

    page = text_of(marketer_client.get("/interactions/delete-canceled/", {"date_befor": "2000-01-01"}))
    assert "Unknown filter: date_befor." in page and "will be deleted" not in page

    response = marketer_client.post("/interactions/delete-canceled/?date_befor=2000-01-01", follow=True)
    assert "Correct the filters first. Nothing was deleted." in text_of(response)
    assert "Unknown filter: date_befor." in text_of(response)
    assert all_entries() == before


def test_delete_canceled_with_the_extreme_dates_deletes_only_canceled_entries(marketer_client, entries):
    old, new, kept = entries
    page = text_of(marketer_client.get("/interactions/delete-canceled/", {"date_after": "9999-12-31"}))
    assert '<p class="stat" data-testid="delete-count">0</p>' in page

    marketer_client.post("/interactions/delete-canceled/?date_after=0001-01-01&date_before=9999-12-31", {"expected": 2})

    assert list(InteractionLogEntry.objects.values_list("pk", flat=True)) == [kept.pk]


# --- delete canceled: the command -------------------------------------------------------------------------------


def run_command(*args) -> str:
    out = StringIO()
    call_command("delete_canceled_interactions", *args, stdout=out)
    return out.getvalue().strip()


@pytest.mark.parametrize("option", ["--before", "--after"])
@pytest.mark.parametrize("value", ["10000-01-01", "0000-12-31", "2026-02-30", "2025-13-01"])
def test_the_command_refuses_a_bad_date_in_one_line_and_deletes_nothing(entries, option, value):
    before = all_entries()
    with pytest.raises(CommandError) as error:
        run_command(option, value)
    label = option.removeprefix("--").capitalize()
    assert str(error.value) == f"{label}: “{value}” is not a date. Use YYYY-MM-DD."
    assert all_entries() == before


def test_the_command_takes_the_extreme_dates(entries):
    old, new, kept = entries
    assert run_command("--after", "9999-12-31") == "0 interaction log entries deleted."
    assert run_command("--before", "0001-01-01") == "0 interaction log entries deleted."
    assert run_command("--after", "0001-01-01", "--before", "9999-12-31") == "2 interaction log entries deleted."
    assert list(InteractionLogEntry.objects.values_list("pk", flat=True)) == [kept.pk]


# --- the statistics page ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ENTRIES_FILTERS)
@pytest.mark.parametrize(
    "value, message",
    [
        ("10000-01-01", "Enter a valid date."),
        ("2026-02-30", "Enter a valid date."),
        ("0001-01-01", "Enter a date between 1900 and 2999."),
        ("9999-12-31", "Enter a date between 1900 and 2999."),
        ("1899-12-31", "Enter a date between 1900 and 2999."),
    ],
)
def test_the_statistics_page_says_what_is_wrong_with_a_date(viewer_client, entries, key, value, message):
    before = all_entries()
    response = viewer_client.get("/interactions/statistics/", {key: value})
    assert response.status_code == 200
    assert message in text_of(response)
    assert all_entries() == before


def test_the_statistics_page_takes_its_widest_range(viewer_client, entries):
    response = viewer_client.get(
        "/interactions/statistics/", {"date_after": "1900-01-01", "date_before": "2999-12-31", "interval": "month"}
    )
    text = text_of(response)
    assert response.status_code == 200 and "Enter a" not in text
    assert "<title>Jan 2024: 1 interaction</title>" in text  # the one entry that is not canceled
