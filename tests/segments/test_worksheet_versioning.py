"""Lost updates on worksheets (issue 14): a header or line form opened before someone else saved is refused,
keeping the user's input."""

import re

import pytest
from django.core.exceptions import ValidationError

from segments.models import Segment, SegmentLine
from segments.services import segment_line_update, segment_update_header
from tests.factories import PersonFactory, SegmentFactory

STALE = "was changed by someone else since you opened it"

pytestmark = pytest.mark.django_db


def _opened_version(client, url: str, name: str = "row_version") -> str:
    match = re.search(rf'name="{name}" value="(\d+)"', client.get(url).content.decode())
    assert match, "the form carries the row version"
    return match.group(1)


def test_a_stale_header_form_is_refused_and_keeps_the_input(marketer_client, marketer):
    segment = SegmentFactory(description="Spring mailing", subject="Spring")
    opened = _opened_version(marketer_client, f"/segments/{segment.pk}/", name="h-row_version")
    segment_update_header(segment, user=marketer, subject="Colleague's subject")

    data = {
        "h-description": "My description",
        "h-subject": "Spring",
        "h-unit_cost": "0",
        "h-unit_duration_minutes": "0",
        "h-row_version": opened,
    }
    response = marketer_client.post(f"/segments/{segment.pk}/header/", data)

    assert response.status_code == 400
    content = response.content.decode()
    assert STALE in content and "My description" in content
    stored = Segment.objects.get(pk=segment.pk)
    assert (stored.description, stored.subject) == ("Spring mailing", "Colleague's subject")


def test_a_current_header_form_saves(marketer_client):
    segment = SegmentFactory(description="Spring mailing")
    opened = _opened_version(marketer_client, f"/segments/{segment.pk}/", name="h-row_version")
    data = {"h-description": "Summer", "h-unit_cost": "0", "h-unit_duration_minutes": "0", "h-row_version": opened}
    assert marketer_client.post(f"/segments/{segment.pk}/header/", data).status_code == 302
    stored = Segment.objects.get(pk=segment.pk)
    assert stored.description == "Summer" and stored.row_version == int(opened) + 1


def test_a_stale_line_form_is_refused_and_keeps_the_input(marketer_client, marketer):
    segment = SegmentFactory()
    line = SegmentLine.objects.create(segment=segment, contact=PersonFactory(), personal_note="Hello")
    url = f"/segments/{segment.pk}/lines/{line.pk}/"
    opened = _opened_version(marketer_client, url)
    segment_line_update(line, user=marketer, personal_note="The colleague's note")

    response = marketer_client.post(url, {"personal_note": "My note", "row_version": opened})

    assert response.status_code == 200
    assert STALE in response.content.decode() and "My note" in response.content.decode()
    assert SegmentLine.objects.get(pk=line.pk).personal_note == "The colleague's note"
    # Reloaded, the form carries the new version and saves.
    again = _opened_version(marketer_client, url)
    assert marketer_client.post(url, {"personal_note": "My note", "row_version": again}).status_code == 302
    assert SegmentLine.objects.get(pk=line.pk).personal_note == "My note"


def test_the_services_refuse_a_stale_version_and_change_nothing(marketer):
    segment = SegmentFactory(description="Kept")
    line = SegmentLine.objects.create(segment=segment, contact=PersonFactory(), personal_note="Kept")
    with pytest.raises(ValidationError, match=STALE):
        segment_update_header(segment, user=marketer, row_version=segment.row_version + 1, description="Other")
    with pytest.raises(ValidationError, match=STALE):
        segment_line_update(line, user=marketer, row_version=line.row_version + 1, personal_note="Other")
    assert Segment.objects.get(pk=segment.pk).description == "Kept"
    assert SegmentLine.objects.get(pk=line.pk).personal_note == "Kept"
