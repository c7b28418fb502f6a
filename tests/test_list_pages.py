"""What every list page promises (docs/SECURITY.md): at most 200 rows whatever `per_page` says,
a page number too large for any table is a 404 and never a server error, and an unknown or mistyped filter is
named on the page. One test per list page; the pages share crm.views.lists.ListPageView."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.models import AuditEvent
from segments.models import Segment, SegmentLine
from tests.factories import (
    CompanyFactory,
    InteractionLogEntryFactory,
    InteractionTemplateFactory,
    LoggedSegmentFactory,
    PersonFactory,
    SalesDocumentFactory,
)
from tests.segments.factories import SavedSegmentCriteriaFactory

MANY = 201
HUGE_PAGE = "99999999999999999999"


def _contacts(count):
    CompanyFactory.create_batch(count)


def _documents(count):
    SalesDocumentFactory.create_batch(count, contact=CompanyFactory())


def _audit_events(count):
    AuditEvent.objects.bulk_create(
        AuditEvent(action=AuditEvent.Action.values[0], object_repr=f"Object {n}") for n in range(count)
    )


def _entries(count):
    InteractionLogEntryFactory.create_batch(count, contact=PersonFactory(), template=InteractionTemplateFactory())


def _segments(count):
    Segment.objects.bulk_create(Segment(no=f"SEGT{n:05d}", description=f"Worksheet {n}") for n in range(count))


def _logged_segments(count):
    LoggedSegmentFactory.create_batch(count)


def _saved_criteria(count):
    SavedSegmentCriteriaFactory.create_batch(count)


LIST_PAGES = {
    "contacts": ("/contacts/", _contacts),
    "documents": ("/documents/", _documents),
    "audit": ("/audit/", _audit_events),
    "interactions": ("/interactions/", _entries),
    "segments": ("/segments/", _segments),
    "logged segments": ("/segments/logged/", _logged_segments),
    "saved criteria": ("/segments/criteria/", _saved_criteria),
}


def _table_rows(response) -> int:
    """The number of rows in the page's list table (the one includes/table.html renders)."""
    html = response.content.decode()
    body = html.split('<div class="table-container">', 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return len(re.findall(r"<tr[\s>]", body))


@pytest.fixture
def worksheet_with_many_lines(db):
    segment = Segment.objects.create(no="SEGLINES", description="Many lines")
    contacts = CompanyFactory.create_batch(MANY)
    SegmentLine.objects.bulk_create(SegmentLine(segment=segment, contact=contact) for contact in contacts)
    return f"/segments/{segment.pk}/"


@pytest.mark.parametrize("page", LIST_PAGES)
def test_a_list_page_renders_at_most_200_rows_whatever_per_page_says(marketer_client, page):
    url, make_rows = LIST_PAGES[page]
    make_rows(MANY)

    response = marketer_client.get(url, {"per_page": "100000"})

    assert response.status_code == 200
    assert _table_rows(response) == 200


def test_the_worksheet_renders_at_most_200_lines_whatever_per_page_says(marketer_client, worksheet_with_many_lines):
    response = marketer_client.get(worksheet_with_many_lines, {"per_page": "100000"})

    assert response.status_code == 200
    assert _table_rows(response) == 200


@pytest.mark.parametrize("page", LIST_PAGES)
def test_a_list_page_without_per_page_shows_50_rows(marketer_client, page):
    url, make_rows = LIST_PAGES[page]
    make_rows(51)

    assert _table_rows(marketer_client.get(url)) == 50


@pytest.mark.parametrize("page", LIST_PAGES)
@pytest.mark.parametrize("per_page", ["99999999999999999999", "0", "-5", "many"])
def test_a_list_page_answers_a_silly_page_size_without_a_server_error(marketer_client, page, per_page):
    url, make_rows = LIST_PAGES[page]
    make_rows(3)

    response = marketer_client.get(url, {"per_page": per_page})

    assert response.status_code == 200
    assert 1 <= _table_rows(response) <= 3


@pytest.mark.parametrize("page", LIST_PAGES)
def test_a_huge_page_number_is_not_found_rather_than_a_server_error(marketer_client, page):
    url, make_rows = LIST_PAGES[page]
    make_rows(3)

    assert marketer_client.get(url, {"page": HUGE_PAGE}).status_code == 404
    assert marketer_client.get(url, {"page": HUGE_PAGE, "per_page": HUGE_PAGE}).status_code == 404


def test_a_huge_page_of_worksheet_lines_is_not_found(marketer_client, worksheet_with_many_lines):
    assert marketer_client.get(worksheet_with_many_lines, {"page": HUGE_PAGE}).status_code == 404


@pytest.mark.parametrize("page", LIST_PAGES)
def test_a_page_past_the_last_row_shows_the_first_page(marketer_client, page):
    url, make_rows = LIST_PAGES[page]
    make_rows(3)

    response = marketer_client.get(url, {"page": "4000"})

    assert response.status_code == 200
    assert _table_rows(response) == 3


@pytest.mark.parametrize("page", LIST_PAGES)
def test_an_unknown_filter_is_named_on_the_page(marketer_client, page):
    url, _ = LIST_PAGES[page]

    response = marketer_client.get(url, {"colour": "red", "segmentno": "SEG1"})

    assert response.status_code == 200
    assert "Unknown filters: colour, segmentno." in response.content.decode()


@pytest.mark.parametrize("page", LIST_PAGES)
def test_the_page_parameters_are_not_reported_as_unknown(marketer_client, page):
    url, _ = LIST_PAGES[page]

    response = marketer_client.get(url, {"page": "1", "per_page": "20", "sort": "-created_at"})

    assert "Unknown filter" not in response.content.decode()


def test_an_unknown_statistics_parameter_is_named_on_the_page(marketer_client):
    response = marketer_client.get("/interactions/statistics/", {"date_afer": "2026-01-01"})

    assert response.status_code == 200
    assert "Unknown filter: date_afer." in response.content.decode()


def test_a_fractional_logged_segment_on_the_entries_page_is_an_error_not_truncated(marketer_client):
    logged = LoggedSegmentFactory(pk=1)
    InteractionLogEntryFactory(logged_segment=logged, description="Logged with segment 1")

    response = marketer_client.get("/interactions/", {"logged_segment": "1.5"})

    html = response.content.decode()
    assert "There is no logged segment with the entry number 1.5." in html
    assert "Logged with segment 1" not in html


def test_the_audit_list_query_count_does_not_grow_with_rows(marketer_client):
    _audit_events(3)
    with CaptureQueriesContext(connection) as few:
        marketer_client.get("/audit/")
    _audit_events(60)
    with CaptureQueriesContext(connection) as many:
        response = marketer_client.get("/audit/")

    assert response.status_code == 200
    assert len(many) == len(few)
