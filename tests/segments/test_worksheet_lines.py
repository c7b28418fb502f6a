"""A big worksheet is navigable: its lines searched, filtered, sorted and paged with a total (issue 15 §4)."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from interactions.storage import store_document
from segments.models import SegmentLine
from tests.factories import CompanyFactory, PersonFactory, SegmentFactory, SegmentLineFactory
from tests.segments.logging_helpers import add_variant, template_with_letter

pytestmark = pytest.mark.django_db


def _contacts_shown(response) -> list[str]:
    """The contact numbers of the lines table, in order."""
    html = response.content.decode().split('id="lines"', 1)[1]
    return re.findall(r'<tr id="line-\d+"[^>]*>.*?<a href="/contacts/\d+/">([^<]+)</a>', html, re.S)


@pytest.fixture
def worksheet():
    template = template_with_letter(correspondence_type="email", language_code="en")
    add_variant(template, "de")
    segment = SegmentFactory(template=template, language_code="en")
    lines = {
        "ada": SegmentLineFactory(
            segment=segment, contact=PersonFactory(no="CT000101", name="Ada Lovelace"), personal_note="See you!"
        ),
        "grace": SegmentLineFactory(
            segment=segment, contact=PersonFactory(no="CT000102", name="Grace Hopper", email="", language_code="de")
        ),
        "alan": SegmentLineFactory(
            segment=segment,
            contact=PersonFactory(no="CT000103", name="Alan Turing", correspondence_type="hard_copy"),
            letter=store_document(b"letter", filename="own.docx", content_type="application/octet-stream"),
        ),
        "acme": SegmentLineFactory(segment=segment, contact=CompanyFactory(no="CT000200", name="Acme Lovelace Ltd")),
    }
    return segment, lines


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"q": "lovelace"}, ["CT000101", "CT000200"]),
        ({"q": "CT00010"}, ["CT000101", "CT000102", "CT000103"]),
        ({"q": "ct000102"}, ["CT000102"]),
        ({"has_note": "yes"}, ["CT000101"]),
        ({"has_note": "no"}, ["CT000102", "CT000103", "CT000200"]),
        ({"has_letter": "yes"}, ["CT000103"]),
        ({"no_email": "yes"}, ["CT000102"]),
        ({"correspondence_type": "email"}, ["CT000101", "CT000200"]),
        ({"correspondence_type": "hard_copy"}, ["CT000103"]),
        ({"correspondence_type": "none"}, ["CT000102"]),
        ({"cannot_send": "yes"}, ["CT000102"]),
        ({"language": "de"}, ["CT000102"]),
        ({"language": "en", "has_note": "no"}, ["CT000103", "CT000200"]),
    ],
)
def test_the_lines_can_be_searched_and_filtered(viewer_client, worksheet, params, expected):
    segment, _ = worksheet

    response = viewer_client.get(f"/segments/{segment.pk}/", params)

    assert response.status_code == 200
    assert _contacts_shown(response) == expected


@pytest.mark.parametrize(
    "sort, expected",
    [
        ("name", ["CT000200", "CT000101", "CT000103", "CT000102"]),
        ("-contact_no", ["CT000200", "CT000103", "CT000102", "CT000101"]),
        ("email", ["CT000102", "CT000101", "CT000103", "CT000200"]),
    ],
)
def test_the_lines_can_be_sorted_by_the_shown_columns(viewer_client, worksheet, sort, expected):
    segment, lines = worksheet
    SegmentLine.objects.filter(pk=lines["ada"].pk).update()  # insertion order stays the default
    for key, email in {"ada": "b@example.com", "alan": "c@example.com", "acme": "d@example.com"}.items():
        contact = lines[key].contact
        contact.email = email
        contact.save()

    response = viewer_client.get(f"/segments/{segment.pk}/", {"sort": sort})

    assert _contacts_shown(response) == expected


def test_an_unknown_line_filter_is_named(viewer_client, worksheet):
    segment, _ = worksheet

    page = viewer_client.get(f"/segments/{segment.pk}/", {"colour": "red"}).content.decode()

    assert "Unknown filter: colour." in page


def test_a_bad_filter_value_shows_the_error_and_no_lines(viewer_client, worksheet):
    segment, _ = worksheet

    response = viewer_client.get(f"/segments/{segment.pk}/", {"has_note": "maybe"})

    assert "Select a valid choice." in response.content.decode()
    assert _contacts_shown(response) == []


def test_a_big_worksheet_has_numbered_pages_and_an_exact_total(viewer_client):
    segment = SegmentFactory()
    SegmentLine.objects.bulk_create(
        SegmentLine(segment=segment, contact=contact) for contact in CompanyFactory.create_batch(1_203)
    )

    page = viewer_client.get(f"/segments/{segment.pk}/", {"page": "3"}).content.decode()

    assert "101–150 of 1,203" in page
    assert re.findall(r'aria-label="Page (\d+)"', page) == ["1", "2", "4", "5", "25"]


def test_the_worksheet_query_count_does_not_grow_with_lines_or_filters(viewer_client, worksheet):
    segment, _ = worksheet
    with CaptureQueriesContext(connection) as few:
        viewer_client.get(f"/segments/{segment.pk}/", {"q": "a", "correspondence_type": "email"})
    for _ in range(30):
        SegmentLineFactory(segment=segment, contact=PersonFactory(name="Another Ada"))
    with CaptureQueriesContext(connection) as many:
        response = viewer_client.get(f"/segments/{segment.pk}/", {"q": "a", "correspondence_type": "email"})

    assert len(_contacts_shown(response)) == 32
    assert len(many) == len(few)
