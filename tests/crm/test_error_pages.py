"""Every error is the product's own page with the navigation and a way back; a logged worksheet's URL is no dead end."""

import pytest
from django.contrib.messages import get_messages
from django.test import RequestFactory
from django.urls import reverse
from django.views.defaults import server_error

from interactions.models import LoggedSegment
from segments.services import segment_log
from tests.segments.logging_helpers import segment_with_lines


def error_page(response, status: int) -> str:
    """The text of an error response, which must be the product's own page with the navigation."""
    assert response.status_code == status
    page = response.content.decode()
    assert 'aria-label="Main"' in page
    return page


@pytest.mark.django_db
def test_the_url_of_a_logged_worksheet_redirects_to_its_logged_segment_with_a_message(marketer, marketer_client):
    segment, _ = segment_with_lines(2)
    worksheet_url = reverse("segments:segment_detail", args=[segment.pk])
    logged = segment_log(segment, user=marketer)

    response = marketer_client.get(worksheet_url)

    assert response.status_code == 302
    assert response["Location"] == reverse("segments:logged_segment_detail", args=[logged.pk])
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        f"{segment.no} was logged as logged segment {logged.pk}."
    ]


@pytest.mark.django_db
def test_a_worksheet_that_was_deleted_without_logging_is_a_404_page(marketer_client):
    LoggedSegment.objects.create(segment_no="SEG99", description="Other", worksheet_id=None)
    response = marketer_client.get(reverse("segments:segment_detail", args=[987654]))
    assert response.status_code == 404
    assert b"Page not found" in response.content


@pytest.mark.django_db
def test_the_redirect_of_a_logged_worksheet_still_needs_the_permission_to_see_worksheets(marketer, stranger_client):
    segment, _ = segment_with_lines(1)
    pk = segment.pk
    segment_log(segment, user=marketer)
    assert stranger_client.get(reverse("segments:segment_detail", args=[pk])).status_code == 403


@pytest.mark.django_db
def test_a_404_is_the_products_page_with_the_navigation_and_a_way_back(marketer_client):
    response = marketer_client.get("/segments/987654/", HTTP_REFERER="http://testserver/segments/")
    page = error_page(response, 404)
    assert "Page not found" in page and "/segments/987654/" in page
    assert 'href="http://testserver/segments/">Go back</a>' in page
    assert f'href="{reverse("home")}">Start page' in page


@pytest.mark.django_db
def test_a_403_is_the_products_page_with_the_navigation(stranger_client):
    page = error_page(stranger_client.get(reverse("crm:contact_list")), 403)
    assert "You are not allowed to do this" in page and "Start page" in page


@pytest.mark.django_db
def test_a_405_is_the_products_page_and_keeps_the_allow_header(marketer_client):
    segment, _ = segment_with_lines(1)
    response = marketer_client.get(reverse("segments:segment_header", args=[segment.pk]))
    page = error_page(response, 405)
    assert response["Allow"] == "POST"
    assert "This address does not do that" in page and "GET is not possible" in page


@pytest.mark.django_db
def test_a_405_to_htmx_stays_a_bare_response(marketer_client):
    segment, _ = segment_with_lines(1)
    response = marketer_client.get(reverse("segments:segment_header", args=[segment.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 405 and response.content == b""


def test_the_500_page_needs_neither_the_database_nor_the_request_context():
    # No django_db mark: any query here fails the test.
    page = error_page(server_error(RequestFactory().get("/contacts/")), 500)
    assert "Something went wrong" in page and f'href="{reverse("crm:contact_list")}"' in page


@pytest.mark.django_db
def test_a_form_error_is_announced_and_tied_to_its_field(marketer_client):
    response = marketer_client.post(reverse("crm:contact_create"), {"type": "person", "name": ""})
    assert response.status_code in (200, 400)
    page = response.content.decode()
    assert 'class="form-errors" role="alert"' in page
    assert 'href="#id_name">Name</a> needs correcting' in page
    assert 'aria-invalid="true"' in page and 'aria-describedby="id_name_error"' in page
    assert '<div id="id_name_error"><small class="error">' in page
