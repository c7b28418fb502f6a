"""A request declaring a body larger than any upload is refused with 413 before any of it is read (issue 14)."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.handlers.wsgi import WSGIRequest
from django.http import HttpResponse
from django.test import RequestFactory

from crm.middleware import RequestSizeLimitMiddleware, request_body_limit
from interactions.models import InteractionTemplate
from tests.factories import InteractionGroupFactory
from tests.interactions.factories import template_admin_post
from tests.interactions.test_admin_template_upload import ADD_URL, GOOD_LETTER

pytestmark = pytest.mark.django_db


class UnreadableBody(io.BytesIO):
    def read(self, *args):
        raise AssertionError("the body was read")

    readline = read


def test_an_oversized_upload_is_refused_on_its_content_length_without_reading_the_body(settings):
    settings.MAX_TEMPLATE_BYTES = 10 * 1024 * 1024
    request = RequestFactory().post("/segments/1/lines/2/letter/", data=b"", content_type="application/octet-stream")
    request.META["CONTENT_LENGTH"] = str(request_body_limit() + 1)
    request.META["wsgi.input"] = UnreadableBody()
    request = WSGIRequest(request.META)

    response = RequestSizeLimitMiddleware(lambda request: pytest.fail("the view ran"))(request)

    assert response.status_code == 413
    assert response.content.decode() == "The file is too large (the limit is 10 MB). Nothing was uploaded."


def test_a_request_within_the_limit_goes_through(settings):
    request = RequestFactory().post("/x/", data={"a": "b"})
    assert request.META["CONTENT_LENGTH"]
    response = RequestSizeLimitMiddleware(lambda request: HttpResponse("ok"))(request)
    assert response.status_code == 200


def test_an_oversized_template_upload_through_the_admin_is_refused_and_nothing_is_saved(staff_marketer, settings):
    settings.MAX_TEMPLATE_BYTES = 1024 * 1024
    group = InteractionGroupFactory()
    data = template_admin_post(group, SimpleUploadedFile("welcome.docx", GOOD_LETTER + b"\0" * (2 * 1024 * 1024 + 10)))

    response = staff_marketer.post(ADD_URL, data)

    assert response.status_code == 413
    assert "The file is too large (the limit is 1 MB)" in response.content.decode()
    assert not InteractionTemplate.objects.exists()
