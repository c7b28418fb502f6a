"""Bad worksheet criteria (issue 9): unknown parameters, bad dates, codes that do not exist, values out of range.

Each is refused with a message that names the problem, by the services (add, reduce, refine, preview) and by the
worksheet page, and the worksheet keeps exactly the lines and steps it had.
"""

import html

import pytest
from django.core.exceptions import ValidationError

from crm.filters import ContactFilter
from segments.models import SegmentCriteriaAction, SegmentLine
from segments.services import (
    segment_add_contacts,
    segment_preview_step,
    segment_reduce_contacts,
    segment_refine_contacts,
)
from tests.factories import (
    CompanyFactory,
    InteractionTemplateFactory,
    LoggedSegmentFactory,
    MailingGroupFactory,
    PersonFactory,
    SegmentFactory,
)

pytestmark = pytest.mark.django_db

BAD_CRITERIA = {
    "unknown parameter": ({"colour": "red"}, "Unknown criteria: colour. Use: no, name, type"),
    "two unknown parameters": ({"city": "Berlin", "zip": "1", "age": "3"}, "Unknown criteria: age, zip."),
    "a list page parameter": ({"sort": "name"}, "Unknown criteria: sort."),
    "30 February": ({"interaction_date_after": "2026-02-30"}, "Interaction on or after: Enter a valid date."),
    "year 10000": ({"interaction_date_before": "10000-01-01"}, "Interaction on or before: Enter a valid date."),
    "year 0": ({"interaction_date_after": "0000-12-31"}, "Interaction on or after: Enter a valid date."),
    "a word for a date": ({"interaction_date_after": "yesterday"}, "Interaction on or after: Enter a valid date."),
    "reversed dates": (
        {"interaction_date_after": "2024-05-01", "interaction_date_before": "2024-01-01"},
        "Interaction on or before: The end date is before the start date.",
    ),
    "unknown salesperson": ({"salesperson": "NOPE"}, "There is no salesperson with the code “NOPE”."),
    "unknown mailing group": ({"mailing_group": "NOPE"}, "There is no mailing group with the code “NOPE”."),
    "unknown industry group": ({"industry_group": "NOPE"}, "There is no industry group with the code “NOPE”."),
    "unknown job responsibility": (
        {"job_responsibility": "NOPE"},
        "There is no job responsibility with the code “NOPE”.",
    ),
    "unknown interaction template": (
        {"interaction_template": "NOPE"},
        "There is no interaction template with the code “NOPE”.",
    ),
    "unknown logged segment": (
        {"logged_segment": "999999"},
        "There is no logged segment with the entry number 999999.",
    ),
    "a fraction of a logged segment": ({"logged_segment": "1.5"}, "There is no logged segment with the entry number"),
    "a logged segment number too big for the database": (
        {"logged_segment": "99999999999999999999"},
        "There is no logged segment with the entry number 99999999999999999999.",
    ),
    "a negative logged segment": ({"logged_segment": "-1"}, "There is no logged segment with the entry number -1."),
    "a logged segment that is not a number": ({"logged_segment": "abc"}, "Logged segment (entry no.): Enter a number."),
    "unknown contact type": ({"type": "robot"}, "Type: Select a valid choice. robot is not one of the available"),
    "has e-mail maybe": ({"has_email": "maybe"}, "Has e-mail: Select a valid choice."),
    "unknown correspondence type": ({"correspondence_type": "pigeon"}, "Correspondence type: Select a valid choice."),
    "three-letter country code": ({"country_code": "DEU"}, "at most 2 characters (it has 3)"),
}


@pytest.fixture
def worksheet(marketer):
    """A worksheet with two lines from a first step, so "nothing changed" is more than "still empty"."""
    berlin = CompanyFactory(name="Berlin Bikes", city="Berlin")
    PersonFactory(name="Alice", company=berlin, city="Berlin")
    PersonFactory(name="Carl", company=CompanyFactory(name="Hamburg Harbour", city="Hamburg"), city="Hamburg")
    LoggedSegmentFactory()  # a logged segment exists: the unknown numbers above are not it
    InteractionTemplateFactory(code="MEET")
    MailingGroupFactory(code="GIFT")
    segment = SegmentFactory(description="Spring mailing")
    segment_add_contacts(segment, criteria={"city": "Berlin"}, user=marketer)
    return segment


def state(segment) -> dict:
    return {
        "lines": sorted(SegmentLine.objects.filter(segment=segment).values_list("id", "contact_id", "description")),
        "steps": list(SegmentCriteriaAction.objects.filter(segment=segment).values_list("id", "action", "criteria")),
    }


@pytest.mark.parametrize("criteria, message", BAD_CRITERIA.values(), ids=BAD_CRITERIA.keys())
def test_every_step_service_refuses_bad_criteria_and_changes_nothing(worksheet, marketer, criteria, message):
    before = state(worksheet)
    assert len(before["lines"]) == 2 and len(before["steps"]) == 1

    for run in (
        lambda: segment_add_contacts(worksheet, criteria=criteria, user=marketer),
        lambda: segment_reduce_contacts(worksheet, criteria=criteria, user=marketer),
        lambda: segment_refine_contacts(worksheet, criteria=criteria, user=marketer),
        lambda: segment_preview_step(worksheet, action="add", criteria=criteria),
    ):
        with pytest.raises(ValidationError) as error:
            run()
        assert any(message in text for text in error.value.messages), error.value.messages

    assert state(worksheet) == before


# The page posts only the criteria it has fields for (c-<name>); unknown names cannot come from it.
PAGE_CASES = {
    case: (criteria, message)
    for case, (criteria, message) in BAD_CRITERIA.items()
    if set(criteria) <= set(ContactFilter.base_filters)
}


@pytest.mark.parametrize("action", ["add", "reduce", "refine"])
@pytest.mark.parametrize("criteria, message", PAGE_CASES.values(), ids=PAGE_CASES.keys())
def test_the_worksheet_page_shows_the_message_and_changes_nothing(
    marketer_client, worksheet, criteria, message, action
):
    before = state(worksheet)
    data = {"action": action, **{f"c-{name}": value for name, value in criteria.items()}}

    response = marketer_client.post(f"/segments/{worksheet.pk}/steps/", data)

    assert response.status_code == 400
    assert message in html.unescape(response.content.decode())
    assert state(worksheet) == before


def test_valid_interaction_criteria_still_work(worksheet, marketer):
    logged = LoggedSegmentFactory()
    assert segment_preview_step(worksheet, action="add", criteria={"interaction_template": "MEET"}) == 0
    assert segment_preview_step(worksheet, action="add", criteria={"logged_segment": str(logged.pk)}) == 0
    assert segment_preview_step(worksheet, action="add", criteria={"interaction_date_after": "0001-01-01"}) == 0
    assert segment_preview_step(worksheet, action="add", criteria={"mailing_group": "GIFT"}) == 0


def test_the_contact_list_reports_an_unknown_interaction_template_instead_of_an_empty_list(viewer_client):
    PersonFactory(name="Alice")
    text = html.unescape(viewer_client.get("/contacts/", {"interaction_template": "NOPE"}).content.decode())
    assert "There is no interaction template with the code “NOPE”." in text
    assert "Alice" not in text


def test_a_new_segment_from_bad_list_filters_is_not_created(marketer_client):
    page = html.unescape(
        marketer_client.get("/segments/new/", {"interaction_date_after": "2026-02-30"}).content.decode()
    )
    assert "Enter a valid date." in page
    marketer_client.post("/segments/new/?interaction_date_after=2026-02-30", {"description": "x"})
    marketer_client.post("/segments/new/?colour=red", {"description": "y"})
    assert not SegmentFactory._meta.model.objects.exists()
