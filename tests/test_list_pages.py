"""What every list page promises (docs/SECURITY.md): at most 200 rows whatever `per_page` says,
a page number too large for any table is a 404 and never a server error, and an unknown or mistyped filter is
named on the page. One test per list page; the pages share crm.views.lists.ListPageView."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.models import AuditEvent
from crm.views import lists
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
    """The number of rows in the page's list table (the one includes/table.html renders); the page must be a 200."""
    assert response.status_code == 200
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

    assert _table_rows(response) == 200


def test_the_worksheet_renders_at_most_200_lines_whatever_per_page_says(marketer_client, worksheet_with_many_lines):
    response = marketer_client.get(worksheet_with_many_lines, {"per_page": "100000"})

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


@pytest.mark.parametrize("page", LIST_PAGES)
def test_a_list_page_says_which_rows_it_shows_of_how_many(marketer_client, page):
    url, make_rows = LIST_PAGES[page]
    make_rows(51)

    first = marketer_client.get(url).content.decode()
    second = marketer_client.get(url, {"page": "2"}).content.decode()

    assert "1–50 of 51" in first and 'aria-label="Page 2"' in first
    assert "51–51 of 51" in second and 'aria-current="page">2<' in second


def test_the_worksheet_says_which_lines_it_shows_of_how_many(marketer_client, worksheet_with_many_lines):
    page = marketer_client.get(worksheet_with_many_lines, {"page": "3", "per_page": "100"}).content.decode()

    assert "201–201 of 201" in page


def test_numbered_pages_offer_the_first_the_neighbours_and_the_last(marketer_client):
    _audit_events(60)

    page = marketer_client.get("/audit/", {"per_page": "5", "page": "6"}).content.decode()

    offered = re.findall(r'aria-label="Page (\d+)"', page)
    assert offered == ["1", "4", "5", "7", "8", "12"]
    assert "26–30 of 60" in page


def test_past_the_exact_limit_an_unfiltered_list_shows_the_databases_estimate(marketer_client, monkeypatch):
    monkeypatch.setattr(lists, "EXACT_COUNT_LIMIT", 20)
    _audit_events(60)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {AuditEvent._meta.db_table}")

    page = marketer_client.get("/audit/", {"per_page": "10"}).content.decode()

    assert "1–10 of about 60" in page


def test_a_table_the_statistics_put_far_past_the_limit_is_not_counted(marketer_client, monkeypatch):
    monkeypatch.setattr(lists, "estimated_rows", lambda model, using: 1_000_000)
    _audit_events(3)
    with CaptureQueriesContext(connection) as queries:
        page = marketer_client.get("/audit/", {"per_page": "10"}).content.decode()

    assert "1–3 of about 1,000,000" in page
    counts = [q for q in queries if "COUNT(" in q["sql"].upper() and AuditEvent._meta.db_table in q["sql"]]
    assert not counts, "the estimate alone, no count of the audit table"


def test_past_the_exact_limit_a_filtered_list_says_more_than(marketer_client, monkeypatch):
    monkeypatch.setattr(lists, "EXACT_COUNT_LIMIT", 20)
    _audit_events(60)

    page = marketer_client.get("/audit/", {"per_page": "10", "action": AuditEvent.Action.values[0]}).content.decode()

    assert "1–10 of more than 20" in page
    assert 'aria-label="Page 3"' in page and 'aria-label="Page 6"' not in page, "only pages known to exist"


def test_without_statistics_an_unfiltered_list_past_the_limit_says_more_than(marketer_client, monkeypatch):
    monkeypatch.setattr(lists, "EXACT_COUNT_LIMIT", 20)
    monkeypatch.setattr(lists, "estimated_rows", lambda model, using: None)
    _audit_events(30)

    assert "1–10 of more than 20" in marketer_client.get("/audit/", {"per_page": "10"}).content.decode()


def test_an_estimate_is_rounded_and_never_below_the_rows_a_page_has_shown():
    assert [lists._two_significant_digits(n) for n in (57, 999_872, 1_234_567)] == [57, 1_000_000, 1_200_000]
    assert str(lists.ListTotal(1_000_000, "about")) == "about 1,000,000"
    assert str(lists.ListTotal(1234)) == "1,234"
