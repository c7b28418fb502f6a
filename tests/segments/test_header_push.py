"""The worksheet header's "Update the lines too" (docs/BEHAVIOUR.md §6): a line with a template of its own keeps its
description, as in Business Central, and the page says which lines the push changes before it changes them."""

import re

import pytest

from segments.models import Segment, SegmentLine
from segments.services import segment_header_push_preview, segment_line_update, segment_update_header
from tests.factories import InteractionTemplateFactory, PersonFactory, SegmentFactory, SegmentLineFactory

pytestmark = pytest.mark.django_db


def _text(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


@pytest.fixture
def worksheet(marketer):
    """A worksheet on template HDR: a line with its own description, one with its own template and description,
    and one with nothing of its own."""
    header_template = InteractionTemplateFactory(code="HDR")
    segment = SegmentFactory(description="Spring mailing", template=header_template)
    own_template = InteractionTemplateFactory(code="OWN")
    follows = SegmentLineFactory(segment=segment, contact=PersonFactory(name="Ada Follows"))
    own = SegmentLineFactory(segment=segment, contact=PersonFactory(name="Otto Own"))
    plain = SegmentLineFactory(segment=segment, contact=PersonFactory(name="Paula Plain"))
    segment_line_update(follows, user=marketer, description="Ada's own words")
    segment_line_update(own, user=marketer, description="Otto's own words", template=own_template)
    return segment, follows, own, plain


def test_a_line_with_its_own_template_keeps_its_description(marketer, worksheet):
    segment, follows, own, plain = worksheet
    new_template = InteractionTemplateFactory(code="NEW")

    segment_update_header(
        segment, user=marketer, description="Summer mailing", template=new_template, push_to_lines=True
    )

    follows.refresh_from_db()
    own.refresh_from_db()
    assert (follows.description, follows.template_id) == ("", None)
    assert own.description == "Otto's own words" and own.template.code == "OWN"


def test_the_preview_names_the_lines_the_push_changes_and_changes_nothing(marketer, worksheet):
    segment, follows, own, plain = worksheet
    before = list(SegmentLine.objects.order_by("id").values())

    lines, count = segment_header_push_preview(segment, description="Summer mailing")

    assert [line.pk for line in lines] == [follows.pk] and count == 1
    assert list(SegmentLine.objects.order_by("id").values()) == before
    assert Segment.objects.get(pk=segment.pk).description == "Spring mailing"


def test_the_preview_counts_past_its_limit(marketer, worksheet, django_assert_num_queries):
    segment, follows, _, _ = worksheet
    extras = []
    for index in range(3):
        line = SegmentLineFactory(segment=segment, contact=PersonFactory(name=f"Extra {index}"))
        extras.append(segment_line_update(line, user=marketer, description=f"Extra {index}'s words"))

    with django_assert_num_queries(3):  # the header, the first lines with their contacts, the count
        lines, count = segment_header_push_preview(segment, limit=2, description="Summer mailing")

    assert [line.pk for line in lines] == [follows.pk, extras[0].pk] and count == 4
    assert lines[1].contact.name == "Extra 0"


def test_a_field_no_line_overrides_changes_no_line(marketer, worksheet):
    segment, *_ = worksheet
    assert segment_header_push_preview(segment, subject="New subject") == ([], 0)
    assert segment_header_push_preview(segment, description="Spring mailing") == ([], 0)  # unchanged


def _header_data(segment, **values):
    return {
        "h-description": segment.description,
        "h-template": segment.template_id,
        "h-unit_cost": "0",
        "h-unit_duration_minutes": "0",
        "h-row_version": segment.row_version,
        **values,
    }


def test_the_page_asks_first_naming_the_lines(marketer_client, worksheet):
    segment, follows, own, plain = worksheet
    data = _header_data(segment, **{"h-description": "Summer mailing", "h-push_to_lines": "on"})

    response = marketer_client.post(f"/segments/{segment.pk}/header/", data)

    text = _text(response)
    assert response.status_code == 200
    assert "Update 1 line too?" in text and f"{follows.contact.no} Ada Follows" in text
    assert "Otto Own" not in text and "Paula Plain" not in text
    assert "Save and update 1 line" in text and "Save the header only" in text
    follows.refresh_from_db()
    assert follows.description == "Ada's own words"
    assert Segment.objects.get(pk=segment.pk).description == "Spring mailing", "nothing saved before the answer"

    response = marketer_client.post(f"/segments/{segment.pk}/header/", {**data, "confirm_push": "yes"})
    assert response.status_code == 302
    follows.refresh_from_db()
    own.refresh_from_db()
    assert follows.description == "" and own.description == "Otto's own words"
    assert Segment.objects.get(pk=segment.pk).description == "Summer mailing"


def test_the_confirmation_page_re_posts_the_form_as_it_was(marketer_client, worksheet):
    segment, follows, _, _ = worksheet
    data = _header_data(segment, **{"h-description": "Summer mailing", "h-push_to_lines": "on"})
    page = marketer_client.post(f"/segments/{segment.pk}/header/", data).content.decode()
    forms = re.findall(r"<form .*?</form>", page, flags=re.S)
    confirm = next(form for form in forms if 'name="confirm_push"' in form)
    header_only = next(form for form in forms if "Save the header only" in form)
    assert 'name="h-description" value="Summer mailing"' in confirm and 'name="h-push_to_lines"' in confirm
    assert 'name="h-push_to_lines"' not in header_only and 'name="h-description" value="Summer mailing"' in header_only

    response = marketer_client.post(
        f"/segments/{segment.pk}/header/", {k: v for k, v in data.items() if k != "h-push_to_lines"}
    )
    assert response.status_code == 302
    follows.refresh_from_db()
    assert follows.description == "Ada's own words", "saved without the push: the line keeps its own"


def test_a_push_that_changes_no_line_saves_at_once(marketer_client, worksheet):
    segment, follows, _, _ = worksheet
    data = _header_data(segment, **{"h-subject": "New subject", "h-push_to_lines": "on"})
    response = marketer_client.post(f"/segments/{segment.pk}/header/", data)
    assert response.status_code == 302
    assert Segment.objects.get(pk=segment.pk).subject == "New subject"


def test_only_a_marketer_may_push(viewer_client, worksheet):
    segment, follows, _, _ = worksheet
    data = _header_data(segment, **{"h-description": "Summer mailing", "h-push_to_lines": "on"})
    assert viewer_client.post(f"/segments/{segment.pk}/header/", data).status_code == 403
    follows.refresh_from_db()
    assert follows.description == "Ada's own words"
