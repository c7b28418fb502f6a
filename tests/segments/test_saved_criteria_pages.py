"""The saved criteria pages: /segments/criteria/ (list, filter by text) and /segments/criteria/<id>/ (steps, delete)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.timezone import localtime

from segments.models import SavedSegmentCriteria, SavedSegmentCriteriaStep
from segments.services import segment_add_contacts, segment_refine_contacts, segment_save_criteria
from tests.factories import LoggedSegmentFactory, MailingGroupFactory, PersonFactory, SegmentFactory
from tests.segments.factories import SavedSegmentCriteriaFactory, SavedSegmentCriteriaStepFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def saved(marketer):
    """Criteria saved from a real worksheet: add Kiel with expanded companies, then refine to a mailing group."""
    segment = SegmentFactory()
    MailingGroupFactory(code="GIFT")
    PersonFactory(city="Kiel")
    segment_add_contacts(segment, criteria={"city": "Kiel"}, user=marketer, expand_companies=True)
    segment_refine_contacts(segment, criteria={"mailing_group": "GIFT"}, user=marketer, entire_companies=True)
    return segment_save_criteria(segment, code="kiel-gift", description="Kiel gift buyers", user=marketer)


def detail_url(saved) -> str:
    return f"/segments/criteria/{saved.pk}/"


# --- the list -------------------------------------------------------------------------------------------------------


def test_the_list_shows_code_description_steps_and_who_saved_them(marketer_client, saved):
    response = marketer_client.get("/segments/criteria/")
    assert response.status_code == 200
    row = next(iter(response.context["table"].rows))
    text = response.content.decode()
    assert f'href="{detail_url(saved)}"' in text and "KIEL-GIFT" in text
    assert "Kiel gift buyers" in text
    assert row.get_cell_value("step_count") == 2
    assert row.get_cell_value("user") == "marketer"
    assert localtime(saved.created_at).strftime("%Y-%m-%d %H:%M") in text


def test_the_list_filters_by_text_in_code_or_description(viewer_client):
    SavedSegmentCriteriaFactory(code="BERLIN", description="Bike shops")
    SavedSegmentCriteriaFactory(code="HAMBURG", description="Harbour firms in the north")
    SavedSegmentCriteriaFactory(code="MUNICH", description="Breweries")

    def codes(**query):
        response = viewer_client.get("/segments/criteria/", query)
        assert response.status_code == 200
        return [row.record.code for row in response.context["table"].rows]

    assert codes() == ["BERLIN", "HAMBURG", "MUNICH"]
    assert codes(q="berl") == ["BERLIN"]
    assert codes(q="NORTH") == ["HAMBURG"]
    assert codes(q="  ") == ["BERLIN", "HAMBURG", "MUNICH"]
    assert codes(q="nothing like it") == []


def test_the_list_sorts_by_code_both_ways(viewer_client):
    for code in ("B", "C", "A"):
        SavedSegmentCriteriaFactory(code=code)
    response = viewer_client.get("/segments/criteria/", {"sort": "-code"})
    assert [row.record.code for row in response.context["table"].rows] == ["C", "B", "A"]


def test_the_list_costs_the_same_queries_for_few_or_many_rows(viewer_client, marketer):
    for _ in range(2):
        SavedSegmentCriteriaStepFactory(saved=SavedSegmentCriteriaFactory(user=marketer), step=1)
    with CaptureQueriesContext(connection) as few:
        viewer_client.get("/segments/criteria/")
    for _ in range(20):
        saved = SavedSegmentCriteriaFactory(user=marketer)
        SavedSegmentCriteriaStepFactory(saved=saved, step=1)
        SavedSegmentCriteriaStepFactory(saved=saved, step=2)
    with CaptureQueriesContext(connection) as many:
        response = viewer_client.get("/segments/criteria/")
    assert len(response.context["table"].rows) == 22
    assert len(many) == len(few)


def test_the_list_says_how_to_save_criteria_when_there_are_none(viewer_client):
    assert "Save a worksheet" in viewer_client.get("/segments/criteria/").content.decode()


# --- one saved criteria -------------------------------------------------------------------------------------------


def test_the_detail_page_shows_each_step_in_words(viewer_client, saved):
    response = viewer_client.get(detail_url(saved))
    assert response.status_code == 200
    text = response.content.decode()
    assert "Add contacts: city = Kiel [expand companies]" in text
    assert "Refine contacts: mailing group = GIFT [entire companies]" in text
    assert text.index("Add contacts") < text.index("Refine contacts")
    assert "2 steps" in text


def test_the_detail_page_describes_hand_edits_and_reused_logged_segments(viewer_client):
    saved = SavedSegmentCriteriaFactory(code="MIXED")
    logged = LoggedSegmentFactory(segment_no="SEG00042")
    SavedSegmentCriteriaStepFactory(
        saved=saved, step=1, action="reuse_logged", criteria={"logged_segment": str(logged.pk)}
    )
    SavedSegmentCriteriaStepFactory(
        saved=saved, step=2, action="add_line", criteria={"no": "CT000007"}, options={"ignore_exclusion": True}
    )
    SavedSegmentCriteriaStepFactory(saved=saved, step=3, action="remove_line", criteria={"no": "CT000001"})
    SavedSegmentCriteriaStepFactory(saved=saved, step=4, action="reuse_logged", criteria={"logged_segment": "999999"})
    text = viewer_client.get(detail_url(saved)).content.decode()
    assert f"Reuse logged segment {logged.pk} (SEG00042)" in text
    assert "Add a line by hand: no. = CT000007<" in text  # "ignore exclusion" is implied by a hand edit
    assert "Remove a line by hand: no. = CT000001 (replayed as reduce)" in text
    assert "Reuse logged segment 999999 (deleted since" in text


def test_contact_data_in_criteria_is_escaped(viewer_client):
    saved = SavedSegmentCriteriaFactory(code="XSS", description="<b>bold</b>")
    SavedSegmentCriteriaStepFactory(saved=saved, step=1, criteria={"name": "<script>alert(1)</script>"})
    text = viewer_client.get(detail_url(saved)).content.decode()
    assert "<script>alert(1)</script>" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "<b>bold</b>" not in text


def test_an_unknown_saved_criteria_is_404(viewer_client):
    assert viewer_client.get("/segments/criteria/999999/").status_code == 404


# --- deleting ---------------------------------------------------------------------------------------------------


def test_a_marketer_deletes_saved_criteria_with_their_steps(marketer_client, saved):
    page = marketer_client.get(detail_url(saved)).content.decode()
    assert f'action="/segments/criteria/{saved.pk}/delete/"' in page
    assert 'data-confirm="Delete saved criteria KIEL-GIFT with its 2 steps?' in page
    response = marketer_client.post(f"/segments/criteria/{saved.pk}/delete/", follow=True)
    assert response.redirect_chain[-1][0] == "/segments/criteria/"
    assert "Saved criteria KIEL-GIFT was deleted." in response.content.decode()
    assert not SavedSegmentCriteria.objects.exists() and not SavedSegmentCriteriaStep.objects.exists()


def test_deleting_leaves_the_worksheets_that_reused_them_alone(marketer_client, saved, marketer):
    from segments.services import segment_reuse_criteria

    worksheet = SegmentFactory()
    segment_reuse_criteria(worksheet, saved=saved, user=marketer)
    marketer_client.post(f"/segments/criteria/{saved.pk}/delete/")
    assert worksheet.criteria_actions.count() == 2


def test_deleting_needs_post(marketer_client, saved):
    assert marketer_client.get(f"/segments/criteria/{saved.pk}/delete/").status_code == 405
    assert SavedSegmentCriteria.objects.filter(pk=saved.pk).exists()


def test_deleting_criteria_that_are_gone_is_404(marketer_client):
    assert marketer_client.post("/segments/criteria/999999/delete/").status_code == 404


def test_the_delete_service_refuses_criteria_deleted_meanwhile(saved, marketer):
    from django.core.exceptions import ValidationError

    from segments.services import saved_criteria_delete

    stale = SavedSegmentCriteria.objects.get(pk=saved.pk)
    saved_criteria_delete(saved, user=marketer)
    with pytest.raises(ValidationError, match="KIEL-GIFT no longer exists"):
        saved_criteria_delete(stale, user=marketer)


# --- permissions and links ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["sales_client", "viewer_client"])
def test_sales_and_viewers_read_but_cannot_delete(request, persona, saved):
    client = request.getfixturevalue(persona)
    assert client.get("/segments/criteria/").status_code == 200
    page = client.get(detail_url(saved))
    assert page.status_code == 200 and b"/delete/" not in page.content
    assert client.post(f"/segments/criteria/{saved.pk}/delete/").status_code == 403
    assert SavedSegmentCriteria.objects.filter(pk=saved.pk).exists()


def test_a_user_without_a_role_gets_403(stranger_client, saved):
    assert stranger_client.get("/segments/criteria/").status_code == 403
    assert stranger_client.get(detail_url(saved)).status_code == 403
    assert stranger_client.post(f"/segments/criteria/{saved.pk}/delete/").status_code == 403
    assert SavedSegmentCriteria.objects.filter(pk=saved.pk).exists()


def test_anonymous_users_are_sent_to_log_in(client, saved):
    assert client.get("/segments/criteria/")["Location"].startswith("/accounts/login/")


def test_the_worksheets_reuse_control_and_the_navigation_link_to_the_list(marketer_client, viewer_client, saved):
    worksheet = SegmentFactory()
    page = marketer_client.get(f"/segments/{worksheet.pk}/").content.decode()
    reuse = page[page.index("<summary>Reuse criteria</summary>") :]
    reuse = reuse[: reuse.index("</details>")]
    assert 'href="/segments/criteria/"' in reuse
    nav = viewer_client.get("/segments/").content.decode()
    assert '<a href="/segments/criteria/" >Saved criteria</a>' in nav
    own_page = viewer_client.get("/segments/criteria/").content.decode()
    assert '<a href="/segments/criteria/" aria-current="page">Saved criteria</a>' in own_page
    assert '<a href="/segments/" >Segments</a>' in own_page  # the worksheets entry is not also highlighted
