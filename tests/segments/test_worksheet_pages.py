import datetime
import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.models import AuditEvent, Contact
from segments.models import SavedSegmentCriteria, Segment, SegmentLine
from segments.services import segment_add_contacts, segment_line_update, segment_update_header
from tests.factories import (
    CompanyFactory,
    InteractionLogEntryFactory,
    InteractionTemplateFactory,
    LoggedSegmentFactory,
    PersonFactory,
    SalespersonFactory,
    SegmentFactory,
)
from tests.segments.logging_helpers import template_with_letter

pytestmark = pytest.mark.django_db


@pytest.fixture
def segment(marketer):
    segment = SegmentFactory(description="Spring mailing")
    berlin = CompanyFactory(name="Berlin Bikes", city="Berlin")
    PersonFactory(name="Alice Berlin", city="Berlin", company=berlin)
    PersonFactory(name="Carl Hamburg", city="Hamburg", company=CompanyFactory(name="Hamburg Harbour", city="Hamburg"))
    return segment


def step(client, segment, action="add", **criteria):
    data = {"action": action, **{f"c-{k}": v for k, v in criteria.items()}}
    return client.post(f"/segments/{segment.pk}/steps/", data)


# --- permissions ----------------------------------------------------------------------------------------------------


def test_a_user_without_a_role_gets_403_everywhere(stranger_client, segment):
    line = SegmentLine.objects.create(segment=segment, contact=PersonFactory())
    for url in (
        "/segments/",
        "/segments/new/",
        f"/segments/{segment.pk}/",
        f"/segments/{segment.pk}/letters.zip",
        f"/segments/{segment.pk}/lines/{line.pk}/",
    ):
        assert stranger_client.get(url).status_code == 403, url


@pytest.mark.parametrize("persona", ["sales_client", "viewer_client"])
def test_sales_and_viewers_read_the_worksheet_but_cannot_change_it(request, persona, segment):
    client = request.getfixturevalue(persona)
    page = client.get(f"/segments/{segment.pk}/")
    assert page.status_code == 200
    assert b"Apply step" not in page.content and b"Save header" not in page.content
    assert step(client, segment, city="Berlin").status_code == 403
    assert client.post(f"/segments/{segment.pk}/go-back/").status_code == 403
    assert client.post(f"/segments/{segment.pk}/header/", {"h-description": "x"}).status_code == 403
    assert client.post(f"/segments/{segment.pk}/delete/").status_code == 403
    assert client.get("/segments/new/").status_code == 403
    assert not segment.lines.exists()


def test_changes_need_post(marketer_client, segment):
    assert marketer_client.get(f"/segments/{segment.pk}/go-back/").status_code == 405
    assert marketer_client.get(f"/segments/{segment.pk}/steps/").status_code == 405


# --- list and create ------------------------------------------------------------------------------------------------


def test_the_list_shows_worksheets_with_a_constant_number_of_queries(viewer_client):
    SegmentFactory.create_batch(2, description="Winter mailing")
    # The same filter both times: an unfiltered list also reads the table's row estimate (crm.views.lists).
    with CaptureQueriesContext(connection) as few:
        viewer_client.get("/segments/", {"description": "winter"})
    SegmentFactory.create_batch(20, description="Winter mailing")
    with CaptureQueriesContext(connection) as many:
        response = viewer_client.get("/segments/", {"description": "winter"})
    assert response.status_code == 200 and b"Winter mailing" in response.content
    assert len(many) == len(few) <= 8


def test_a_marketer_creates_a_segment_with_defaults_from_the_template(marketer_client, marketer):
    template = InteractionTemplateFactory(
        code="NEWS", unit_cost=Decimal("1.20"), language_code="en", correspondence_type="email"
    )
    response = marketer_client.post("/segments/new/", {"description": "Newsletter", "template": template.pk})
    segment = Segment.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/segments/{segment.pk}/"
    assert (segment.no, segment.unit_cost, segment.language_code, segment.correspondence_type) == (
        "SEG00001",
        Decimal("1.20"),
        "en",
        "email",
    )
    assert segment.created_by == marketer and segment.date == datetime.date.today()


def test_new_segment_from_contact_list_filters_adds_them_as_a_first_step(marketer_client, segment):
    page = marketer_client.get("/segments/new/?city=Berlin")
    assert "The first step will add the contacts matching" in page.content.decode()
    response = marketer_client.post("/segments/new/?city=Berlin", {"description": "Berlin"})
    created = Segment.objects.get(description="Berlin")
    assert response.status_code == 302
    assert created.lines.count() == 2
    assert created.criteria_actions.get().criteria == {"city": "Berlin"}


def test_new_segment_with_bad_filters_explains_and_creates_nothing(marketer_client):
    page = marketer_client.get("/segments/new/?salesperson=NOPE")
    assert "There is no salesperson with the code “NOPE”." in page.content.decode()
    marketer_client.post("/segments/new/?salesperson=NOPE", {"description": "x"})
    assert not Segment.objects.exists()


# --- the worksheet ----------------------------------------------------------------------------------------------------


def test_applying_a_step_adds_lines_and_lists_the_step_in_words(marketer_client, segment):
    response = step(marketer_client, segment, city="Berlin")
    assert response.status_code == 302
    assert segment.lines.count() == 2
    page = marketer_client.get(f"/segments/{segment.pk}/").content.decode()
    assert "Added contacts: city = Berlin (2 added)" in page
    assert "Alice Berlin" in page and "Carl Hamburg" not in page


def test_bad_criteria_show_a_clear_message_and_change_nothing(marketer_client, segment):
    response = step(marketer_client, segment, salesperson="NOPE", city="Berlin")
    assert response.status_code == 400
    assert "There is no salesperson with the code “NOPE”." in response.content.decode()
    assert 'value="Berlin"' in response.content.decode()  # the user's criteria are still there
    assert not segment.lines.exists() and not segment.criteria_actions.exists()


def test_reduce_and_go_back_from_the_page(marketer_client, segment):
    step(marketer_client, segment)
    step(marketer_client, segment, action="reduce", city="Hamburg")
    assert not segment.lines.filter(contact__city="Hamburg").exists()
    marketer_client.post(f"/segments/{segment.pk}/go-back/")
    assert segment.lines.filter(contact__city="Hamburg").exists()
    assert segment.criteria_actions.count() == 1


def test_go_back_on_an_empty_worksheet_says_why(marketer_client, segment):
    response = marketer_client.post(f"/segments/{segment.pk}/go-back/", follow=True)
    assert "has no criteria actions to undo" in response.content.decode()


def test_the_preview_counts_what_a_step_would_do(marketer_client, segment):
    response = marketer_client.post(f"/segments/{segment.pk}/preview-step/", {"action": "add", "c-city": "Berlin"})
    assert 'This step would add <strong data-count="2">2</strong> contacts' in response.content.decode()
    bad = marketer_client.post(
        f"/segments/{segment.pk}/preview-step/", {"action": "add", "c-colour": "x", "c-type": "robot"}
    )
    assert "Select a valid choice" in bad.content.decode()
    assert not segment.lines.exists()


def test_saving_and_reusing_criteria_from_the_page(marketer_client, segment):
    empty = marketer_client.post(f"/segments/{segment.pk}/save-criteria/", {"code": "BER"})
    assert "has no criteria actions to save" in empty.content.decode()
    step(marketer_client, segment, city="Berlin")
    marketer_client.post(f"/segments/{segment.pk}/save-criteria/", {"code": "BER", "description": "Berlin"})
    saved = SavedSegmentCriteria.objects.get(code="BER")
    other = SegmentFactory()
    response = marketer_client.post(f"/segments/{other.pk}/reuse-criteria/", {"saved": saved.pk})
    assert response.status_code == 302 and other.lines.count() == 2
    again = marketer_client.post(f"/segments/{other.pk}/reuse-criteria/", {"saved": saved.pk})
    assert "Are you sure you want to reuse saved criteria?" in again.content.decode()
    assert other.criteria_actions.count() == 1
    marketer_client.post(f"/segments/{other.pk}/reuse-criteria/", {"saved": saved.pk, "confirm": "on"})
    assert other.criteria_actions.count() == 2


def test_reusing_a_logged_segment_from_the_page(marketer_client, segment):
    logged = LoggedSegmentFactory()
    InteractionLogEntryFactory(logged_segment=logged)
    response = marketer_client.post(f"/segments/{segment.pk}/reuse-logged/", {"logged_segment": logged.pk})
    assert response.status_code == 302 and segment.lines.count() == 1
    missing = marketer_client.post(f"/segments/{segment.pk}/reuse-logged/", {"logged_segment": 999999})
    assert "There is no logged segment with the entry no. 999999." in missing.content.decode()


def test_reusing_a_logged_segment_on_a_worksheet_with_criteria_asks_first_on_the_page(marketer_client, segment):
    logged = LoggedSegmentFactory()
    InteractionLogEntryFactory(logged_segment=logged, contact=PersonFactory(name="Bo Bonn", city="Bonn"))
    step(marketer_client, segment, city="Berlin")
    lines = segment.lines.count()
    page = marketer_client.get(f"/segments/{segment.pk}/").content.decode()
    assert "Are you sure you want to reuse a logged segment?" in page
    declined = marketer_client.post(f"/segments/{segment.pk}/reuse-logged/", {"logged_segment": logged.pk})
    assert declined.status_code == 400
    assert "already contains 1 criteria action. Are you sure you want to reuse a logged segment?" in (
        declined.content.decode()
    )
    assert (segment.lines.count(), segment.criteria_actions.count()) == (lines, 1)
    confirmed = marketer_client.post(
        f"/segments/{segment.pk}/reuse-logged/", {"logged_segment": logged.pk, "confirm": "on"}
    )
    assert confirmed.status_code == 302
    assert (segment.lines.count(), segment.criteria_actions.count()) == (lines + 1, 2)


def test_adding_and_removing_a_line_by_hand(marketer_client, segment):
    person = PersonFactory(name="Hand Picked")
    marketer_client.post(f"/segments/{segment.pk}/lines/add/", {"contact_no": person.no.lower()})
    line = segment.lines.get()
    again = marketer_client.post(f"/segments/{segment.pk}/lines/add/", {"contact_no": person.no})
    assert "is already on segment" in again.content.decode()
    marketer_client.post(f"/segments/{segment.pk}/lines/{line.pk}/remove/")
    assert not segment.lines.exists()


def test_editing_a_line_sets_its_overrides_and_personal_note(marketer_client, segment):
    line = SegmentLine.objects.create(segment=segment, contact=PersonFactory())
    page = marketer_client.get(f"/segments/{segment.pk}/lines/{line.pk}/")
    assert page.status_code == 200 and b"personal note" in page.content.lower()
    response = marketer_client.post(
        f"/segments/{segment.pk}/lines/{line.pk}/",
        {"personal_note": "Great to meet you in Hanover", "subject": "Our offer", "unit_cost": "3.50"},
    )
    assert response.status_code == 302
    line.refresh_from_db()
    assert (line.personal_note, line.subject, line.unit_cost) == (
        "Great to meet you in Hanover",
        "Our offer",
        Decimal("3.50"),
    )
    bad = marketer_client.post(f"/segments/{segment.pk}/lines/{line.pk}/", {"unit_cost": "-1"})
    assert bad.status_code == 200 and b"The cost cannot be negative." in bad.content


def test_a_too_long_personal_note_is_refused_and_the_line_keeps_its_note(marketer_client, marketer, segment):
    line = SegmentLine.objects.create(segment=segment, contact=PersonFactory(), personal_note="Kept")
    page = marketer_client.get(f"/segments/{segment.pk}/lines/{line.pk}/").content.decode()
    assert 'maxlength="2000"' in page
    bad = marketer_client.post(f"/segments/{segment.pk}/lines/{line.pk}/", {"personal_note": "n" * 2001})
    assert bad.status_code == 200 and b"Ensure this value has at most 2000 characters (it has 2001)." in bad.content
    with pytest.raises(ValidationError, match="at most 2000 characters"):
        segment_line_update(line, user=marketer, personal_note="n" * 2001)
    line.refresh_from_db()
    assert line.personal_note == "Kept"


def test_a_viewer_cannot_edit_a_line(viewer_client, segment):
    line = SegmentLine.objects.create(segment=segment, contact=PersonFactory())
    assert viewer_client.get(f"/segments/{segment.pk}/lines/{line.pk}/").status_code == 200
    assert viewer_client.post(f"/segments/{segment.pk}/lines/{line.pk}/", {"personal_note": "x"}).status_code == 403


def test_the_worksheet_query_count_does_not_grow_with_lines(viewer_client, segment, marketer):
    segment_add_contacts(segment, criteria={}, user=marketer)
    with CaptureQueriesContext(connection) as few:
        viewer_client.get(f"/segments/{segment.pk}/")
    PersonFactory.create_batch(30)
    segment_add_contacts(segment, criteria={}, user=marketer)
    with CaptureQueriesContext(connection) as many:
        response = viewer_client.get(f"/segments/{segment.pk}/")
    assert response.status_code == 200
    assert len(many) == len(few), "\n".join(q["sql"][:300] for q in many.captured_queries)


def test_the_lines_table_shows_the_resolved_correspondence_type(viewer_client, marketer):
    template = template_with_letter(correspondence_type="hard_copy")
    segment = SegmentFactory(template=template)
    PersonFactory(name="Prefers Mail", correspondence_type="email", email="a@example.com", city="Kiel")
    segment_add_contacts(segment, criteria={"city": "Kiel"}, user=marketer)
    page = viewer_client.get(f"/segments/{segment.pk}/").content.decode()
    lines = page.split("<h2>Lines</h2>")[1].split("<tbody>")[1]
    assert "E-mail" in lines
    segment.ignore_contact_correspondence_type, segment.correspondence_type = True, "hard_copy"
    segment.save()
    page = viewer_client.get(f"/segments/{segment.pk}/").content.decode()
    lines = page.split("<h2>Lines</h2>")[1].split("<tbody>")[1]
    assert "E-mail" not in lines and "Hard copy" in lines


def test_the_log_dialog_offers_send_only_when_a_line_has_a_correspondence_type(marketer_client):
    no_type = template_with_letter(correspondence_type="")
    segment = SegmentFactory(description="Spring mailing", template=no_type, correspondence_type="")
    SegmentLine.objects.create(segment=segment, contact=PersonFactory(correspondence_type=""))
    page = marketer_client.get(f"/segments/{segment.pk}/").content.decode()
    assert 'name="send" disabled' in page and "nothing to send" in page
    SegmentLine.objects.create(segment=segment, contact=PersonFactory(correspondence_type="hard_copy"))
    page = marketer_client.get(f"/segments/{segment.pk}/").content.decode()
    assert 'name="send" checked' in page and "nothing to send" not in page


def test_the_log_dialog_refuses_a_segment_without_description_or_lines(marketer_client):
    segment = SegmentFactory(description="")
    page = marketer_client.get(f"/segments/{segment.pk}/").content.decode()
    assert "Enter a description on the segment before logging it." in page
    assert f"Segment {segment.no} is empty: add contacts first." in page
    assert '<button class="button primary" type="submit" disabled>Log</button>' in page


# --- header --------------------------------------------------------------------------------------------------------


def test_pushing_a_header_change_clears_the_overrides_of_lines_using_the_header_template(marketer, segment):
    segment_add_contacts(segment, criteria={}, user=marketer)
    own_template = InteractionTemplateFactory(code="OWN")
    follows, own = list(segment.lines.order_by("id"))[:2]
    segment_line_update(follows, user=marketer, subject="Old subject")
    segment_line_update(own, user=marketer, subject="Own subject", template=own_template)

    segment_update_header(segment, user=marketer, subject="New subject", push_to_lines=True)
    follows.refresh_from_db()
    own.refresh_from_db()
    assert follows.subject == "" and own.subject == "Own subject"


def test_without_push_the_lines_keep_their_values(marketer, segment):
    segment_add_contacts(segment, criteria={}, user=marketer)
    line = segment.lines.first()
    segment_line_update(line, user=marketer, subject="Mine")
    segment_update_header(segment, user=marketer, subject="New subject")
    line.refresh_from_db()
    assert line.subject == "Mine"


def test_the_header_form_saves_and_pushes(marketer_client, marketer, segment):
    segment_add_contacts(segment, criteria={}, user=marketer)
    line = segment.lines.first()
    segment_line_update(line, user=marketer, description="Mine")
    salesperson = SalespersonFactory()
    data = {
        "h-description": "Summer mailing",
        "h-salesperson": salesperson.pk,
        "h-template": segment.template_id,
        "h-unit_cost": "0",
        "h-unit_duration_minutes": "0",
        "h-date": "2025-06-01",
        "h-push_to_lines": "on",
    }
    # The page first says which lines the push changes (tests/segments/test_header_push.py), then saves.
    response = marketer_client.post(f"/segments/{segment.pk}/header/", data)
    assert response.status_code == 200 and line.contact.name in response.content.decode()
    response = marketer_client.post(f"/segments/{segment.pk}/header/", {**data, "confirm_push": "yes"})
    assert response.status_code == 302
    segment.refresh_from_db()
    line.refresh_from_db()
    assert segment.description == "Summer mailing" and line.description == ""


def test_deleting_a_worksheet(marketer_client, marketer, segment):
    segment_add_contacts(segment, criteria={}, user=marketer)
    response = marketer_client.post(f"/segments/{segment.pk}/delete/")
    assert response.status_code == 302
    assert not Segment.objects.filter(pk=segment.pk).exists() and not SegmentLine.objects.exists()


def test_scenario_32_the_worksheet_shows_line_numbers_in_company_order_across_pages(viewer_client, marketer):
    beta = CompanyFactory(name="Beta", city="Ulm")
    alpha = CompanyFactory(name="Alpha", city="Ulm")
    segment = SegmentFactory()
    segment_add_contacts(segment, criteria={"city": "Ulm"}, user=marketer)
    rows = lines_html(viewer_client.get(f"/segments/{segment.pk}/"))
    assert ">Line<" in rows
    assert rows.index(">1<") < rows.index(alpha.no) < rows.index(">2<") < rows.index(beta.no)
    second_page = lines_html(viewer_client.get(f"/segments/{segment.pk}/?per_page=1&page=2"))
    assert beta.no in second_page and alpha.no not in second_page and ">2<" in second_page


def lines_html(response) -> str:
    """The Lines card's HTML without whitespace, so cells read as ">text<"."""
    return re.sub(r"\s+", "", response.content.decode().split("<h2>Lines</h2>")[1])


def test_the_worksheet_counts_its_lines_with_thousands_separators(marketer_client, marketer):
    segment = SegmentFactory(description="Big mailing")
    Contact.objects.bulk_create(PersonFactory.build_batch(1_001, city="Leipzig", company=None))
    segment_add_contacts(segment, criteria={"city": "Leipzig"}, user=marketer)

    page = marketer_client.get(f"/segments/{segment.pk}/").content.decode()

    assert '<span class="badge info">1,001 lines</span>' in page


def test_saving_the_header_as_it_is_changes_and_records_nothing(marketer):
    segment = SegmentFactory(description="Spring mailing")
    version = segment.row_version

    segment_update_header(segment, user=marketer, description="Spring mailing", push_to_lines=True)

    segment.refresh_from_db()
    assert segment.row_version == version
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.SEGMENT_CHANGED).exists()
