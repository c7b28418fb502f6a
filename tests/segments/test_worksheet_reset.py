"""'Your Segment is now empty. Do you want to reset number of criteria actions?' (reference 1.9).

When a removal (reduce, refine, a line removed by hand) leaves a worksheet without lines while it has more than
one step, the page asks whether to clear the steps and their history; Yes clears them, No keeps them.
"""

import pytest
from django.core.exceptions import ValidationError

from segments.models import SegmentCriteriaAction, SegmentHistory, SegmentLine
from segments.services import (
    RESET_STEPS_QUESTION,
    segment_add_contacts,
    segment_go_back,
    segment_line_remove,
    segment_reduce_contacts,
    segment_refine_contacts,
    segment_reset_steps,
    segment_steps_to_reset,
)
from tests.factories import PersonFactory, SegmentFactory
from tests.segments.factories import add_acme_and_two_people

pytestmark = pytest.mark.django_db


@pytest.fixture
def segment(marketer):
    """A worksheet with one Add step: the two people in Kiel (their company is in Lübeck)."""
    return add_acme_and_two_people(SegmentFactory(description="Spring mailing"), marketer, acme_city="Lübeck")


def step_count(segment) -> int:
    return SegmentCriteriaAction.objects.filter(segment=segment).count()


def history_count(segment) -> int:
    return SegmentHistory.objects.filter(action__segment=segment).count()


# --- when the question is asked ------------------------------------------------------------------------------------


def test_the_question_is_the_references_text():
    assert RESET_STEPS_QUESTION == "Your Segment is now empty. Do you want to reset number of criteria actions?"


def test_a_reduce_that_empties_the_segment_offers_to_reset_its_steps(segment, marketer):
    segment_reduce_contacts(segment, criteria={"city": "Kiel"}, user=marketer)
    assert segment_steps_to_reset(segment) == 2


def test_a_refine_that_empties_the_segment_offers_to_reset_its_steps(segment, marketer):
    segment_refine_contacts(segment, criteria={"city": "Oslo"}, user=marketer)
    assert segment_steps_to_reset(segment) == 2


def test_removing_the_last_line_by_hand_offers_to_reset_the_steps(segment, marketer):
    first, second = SegmentLine.objects.filter(segment=segment).order_by("id")
    segment_line_remove(first, user=marketer)
    assert segment_steps_to_reset(segment) == 0  # one line is left: no question
    segment_line_remove(second, user=marketer)
    assert segment_steps_to_reset(segment) == 3


def test_there_is_no_question_while_lines_are_left(segment, marketer):
    segment_reduce_contacts(segment, criteria={"name": "Ada"}, user=marketer)
    assert segment.lines.count() == 1
    assert segment_steps_to_reset(segment) == 0


def test_there_is_no_question_when_the_removal_is_the_only_step(marketer):
    # Lines that no step added (as the reference: only "more than one" criteria action asks).
    segment = SegmentFactory()
    SegmentLine.objects.create(segment=segment, contact=PersonFactory(city="Kiel"))
    segment_reduce_contacts(segment, criteria={"city": "Kiel"}, user=marketer)
    assert not segment.lines.exists() and step_count(segment) == 1
    assert segment_steps_to_reset(segment) == 0


# --- the reset ---------------------------------------------------------------------------------------------------


def test_resetting_clears_every_step_and_its_history(segment, marketer):
    segment_reduce_contacts(segment, criteria={"city": "Kiel"}, user=marketer)
    assert history_count(segment) == 2  # two deletions (the add is its id range on the step)
    assert segment_reset_steps(segment, user=marketer) == 2
    assert step_count(segment) == 0 and history_count(segment) == 0
    assert not segment.lines.exists()
    with pytest.raises(ValidationError, match="has no criteria actions to undo"):
        segment_go_back(segment, user=marketer)


def test_after_a_reset_the_worksheet_starts_afresh_at_step_one(segment, marketer):
    segment_reduce_contacts(segment, criteria={"city": "Kiel"}, user=marketer)
    segment_reset_steps(segment, user=marketer)
    segment_add_contacts(segment, criteria={"name": "Grace"}, user=marketer)
    assert list(segment.criteria_actions.values_list("step", flat=True)) == [1]


def test_keeping_the_steps_lets_go_back_restore_the_lines(segment, marketer):
    segment_reduce_contacts(segment, criteria={"city": "Kiel"}, user=marketer)
    segment_go_back(segment, user=marketer)
    assert segment.lines.count() == 2


def test_a_segment_with_lines_is_not_reset(segment, marketer):
    with pytest.raises(ValidationError, match=f"Segment {segment.no} is not empty any more"):
        segment_reset_steps(segment, user=marketer)
    assert step_count(segment) == 1 and segment.lines.count() == 2


def test_a_segment_without_steps_has_nothing_to_reset(marketer):
    segment = SegmentFactory()
    with pytest.raises(ValidationError, match="has no criteria actions to reset"):
        segment_reset_steps(segment, user=marketer)


def test_resetting_leaves_other_segments_alone(segment, marketer):
    other = SegmentFactory()
    segment_add_contacts(other, criteria={"city": "Kiel"}, user=marketer)
    segment_reduce_contacts(segment, criteria={"city": "Kiel"}, user=marketer)
    segment_reset_steps(segment, user=marketer)
    assert step_count(other) == 1 and other.lines.count() == 2


# --- the pages ------------------------------------------------------------------------------------------------------


def reduce_on_page(client, segment, **criteria):
    data = {"action": "reduce", **{f"c-{k}": v for k, v in criteria.items()}}
    return client.post(f"/segments/{segment.pk}/steps/", data)


def test_a_reduce_that_empties_the_segment_goes_to_the_question(marketer_client, segment):
    response = reduce_on_page(marketer_client, segment, city="Kiel")
    assert response.status_code == 302
    assert response["Location"] == f"/segments/{segment.pk}/reset-steps/"
    page = marketer_client.get(response["Location"])
    text = page.content.decode()
    assert page.status_code == 200
    assert RESET_STEPS_QUESTION in text
    assert "2 contacts removed" in text  # the step's own message is shown with the question
    assert 'name="csrfmiddlewaretoken"' in text and "No, keep them" in text


def test_a_refine_that_empties_the_segment_goes_to_the_question(marketer_client, segment):
    response = marketer_client.post(f"/segments/{segment.pk}/steps/", {"action": "refine", "c-city": "Oslo"})
    assert response["Location"] == f"/segments/{segment.pk}/reset-steps/"


def test_a_removal_that_leaves_lines_goes_back_to_the_worksheet(marketer_client, segment):
    response = reduce_on_page(marketer_client, segment, name="Ada")
    assert response["Location"] == f"/segments/{segment.pk}/"


def test_removing_the_last_line_by_hand_goes_to_the_question(marketer_client, segment):
    first, second = SegmentLine.objects.filter(segment=segment).order_by("id")
    response = marketer_client.post(f"/segments/{segment.pk}/lines/{first.pk}/remove/")
    assert response["Location"] == f"/segments/{segment.pk}/"
    response = marketer_client.post(f"/segments/{segment.pk}/lines/{second.pk}/remove/")
    assert response["Location"] == f"/segments/{segment.pk}/reset-steps/"


def test_yes_resets_the_steps(marketer_client, segment):
    reduce_on_page(marketer_client, segment, city="Kiel")
    response = marketer_client.post(f"/segments/{segment.pk}/reset-steps/", follow=True)
    assert response.redirect_chain[-1][0] == f"/segments/{segment.pk}/"
    assert "The 2 criteria actions of segment" in response.content.decode()
    assert step_count(segment) == 0 and history_count(segment) == 0


def test_no_keeps_the_steps_and_go_back_still_works(marketer_client, segment):
    reduce_on_page(marketer_client, segment, city="Kiel")
    worksheet = marketer_client.get(f"/segments/{segment.pk}/")  # where "No" leads
    assert "Reset steps" in worksheet.content.decode()  # the question can still be answered later
    assert step_count(segment) == 2
    marketer_client.post(f"/segments/{segment.pk}/go-back/")
    assert segment.lines.count() == 2


def test_the_question_on_a_segment_with_lines_again_just_goes_back(marketer_client, segment):
    response = marketer_client.get(f"/segments/{segment.pk}/reset-steps/", follow=True)
    assert response.redirect_chain[-1][0] == f"/segments/{segment.pk}/"
    assert "nothing to reset" in response.content.decode()


def test_a_yes_after_lines_came_back_is_refused_and_changes_nothing(marketer_client, segment, marketer):
    reduce_on_page(marketer_client, segment, city="Kiel")
    segment_add_contacts(segment, criteria={"name": "Grace"}, user=marketer)  # another user, meanwhile
    response = marketer_client.post(f"/segments/{segment.pk}/reset-steps/", follow=True)
    assert "is not empty any more, so its criteria actions were kept" in response.content.decode()
    assert step_count(segment) == 3 and segment.lines.count() == 1


@pytest.mark.parametrize("persona", ["sales_client", "viewer_client", "stranger_client"])
def test_only_marketing_is_asked_or_can_reset(request, persona, segment, marketer):
    segment_reduce_contacts(segment, criteria={"city": "Kiel"}, user=marketer)
    client = request.getfixturevalue(persona)
    assert client.get(f"/segments/{segment.pk}/reset-steps/").status_code == 403
    assert client.post(f"/segments/{segment.pk}/reset-steps/").status_code == 403
    assert step_count(segment) == 2


def test_the_reset_needs_post_or_the_question_page(marketer_client, segment):
    assert marketer_client.put(f"/segments/{segment.pk}/reset-steps/").status_code == 405
    assert step_count(segment) == 1
