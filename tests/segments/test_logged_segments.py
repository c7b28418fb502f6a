"""Logged segments: cancel both ways, delete canceled, follow-ups, the pages and their permissions."""

import io
import zipfile

import docx
import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from interactions.letters import entry_document_bytes
from interactions.models import InteractionLogEntry, LoggedSegment
from interactions.services import log_entries_set_canceled
from segments.models import LogJob, Segment
from segments.services import (
    logged_segment_create_follow_up,
    logged_segment_set_canceled,
    logged_segments_delete_canceled,
    segment_log,
)
from tests.factories import (
    InteractionLogEntryFactory,
    LoggedSegmentFactory,
    PersonFactory,
    SegmentFactory,
    SegmentLineFactory,
)
from tests.segments.logging_helpers import docx_text, segment_with_lines, template_with_letter

pytestmark = pytest.mark.django_db


def _logged(user, lines=3):
    segment, _ = segment_with_lines(lines)
    return segment_log(segment, user=user)


# --- services ---------------------------------------------------------------------------------------------------


def test_canceling_a_logged_segment_cancels_all_its_entries_and_records_who(marketer):
    logged = _logged(marketer)
    other = InteractionLogEntryFactory()
    logged_segment_set_canceled(logged, canceled=True, user=marketer)
    logged.refresh_from_db()
    assert logged.canceled and logged.canceled_by == marketer and logged.canceled_at is not None
    entries = logged.entries.all()
    assert entries.count() == 3
    assert all(e.canceled and e.canceled_by == marketer and e.canceled_at for e in entries)
    other.refresh_from_db()
    assert other.canceled is False


def test_un_canceling_a_logged_segment_un_cancels_all_its_entries(marketer, viewer):
    logged = _logged(marketer)
    logged_segment_set_canceled(logged, canceled=True, user=marketer)
    logged_segment_set_canceled(logged, canceled=False, user=viewer)
    logged.refresh_from_db()
    assert logged.canceled is False and logged.canceled_by == viewer
    assert not logged.entries.filter(canceled=True).exists()
    assert set(logged.entries.values_list("canceled_by", flat=True)) == {viewer.pk}


def test_an_entry_cannot_be_un_canceled_while_its_logged_segment_is_canceled(marketer):
    logged = _logged(marketer)
    logged_segment_set_canceled(logged, canceled=True, user=marketer)
    entry = logged.entries.first()
    with pytest.raises(ValidationError, match="cannot be un-canceled"):
        log_entries_set_canceled([entry], canceled=False, user=marketer)
    assert logged.entries.filter(canceled=False).count() == 0


def test_deleting_canceled_logged_segments_keeps_their_entries_detached(marketer):
    canceled = _logged(marketer)
    kept = _logged(marketer, lines=2)
    logged_segment_set_canceled(canceled, canceled=True, user=marketer)
    entry_ids = list(canceled.entries.values_list("pk", flat=True))
    assert logged_segments_delete_canceled(user=marketer) == 1
    assert not LoggedSegment.objects.filter(pk=canceled.pk).exists()
    assert LoggedSegment.objects.filter(pk=kept.pk).exists()
    detached = InteractionLogEntry.objects.filter(pk__in=entry_ids)
    assert detached.count() == 3 and set(detached.values_list("logged_segment", flat=True)) == {None}
    assert kept.entries.count() == 2


def test_deleting_canceled_ones_never_deletes_a_logged_segment_that_is_not_canceled(marketer):
    logged = _logged(marketer, lines=1)
    assert logged_segments_delete_canceled(user=marketer, ids=[logged.pk]) == 0
    assert LoggedSegment.objects.filter(pk=logged.pk).exists()


def test_a_follow_up_from_a_logged_segment_has_its_contacts(marketer):
    segment, lines = segment_with_lines(2)
    logged = segment_log(segment, user=marketer)
    follow_up = logged_segment_create_follow_up(logged, user=marketer)
    assert follow_up.description == f"Follow-up on segment {segment.no}"
    assert sorted(follow_up.lines.values_list("contact_id", flat=True)) == sorted(line.contact_id for line in lines)


# --- pages ------------------------------------------------------------------------------------------------------


def test_the_list_shows_logged_segments_with_their_number_of_interactions(marketer, viewer_client):
    logged = _logged(marketer, lines=3)
    response = viewer_client.get("/segments/logged/")
    assert response.status_code == 200
    content = response.content.decode()
    assert logged.segment_no in content and logged.description in content
    assert f'<a href="/interactions/?logged_segment={logged.pk}">3</a>' in content


def test_the_list_query_count_does_not_grow_with_rows(marketer, viewer_client):
    _logged(marketer, lines=1)
    # The same filter both times: an unfiltered list also reads the table's row estimate (crm.views.lists).
    with CaptureQueriesContext(connection) as few:
        viewer_client.get("/segments/logged/", {"canceled": "false"})
    for _ in range(10):
        LoggedSegmentFactory(user=marketer)
    with CaptureQueriesContext(connection) as many:
        response = viewer_client.get("/segments/logged/", {"canceled": "false"})
    assert response.status_code == 200
    assert len(many) == len(few)
    assert len(many) <= 10


def test_a_stranger_cannot_see_logged_segments(stranger_client, marketer):
    logged = _logged(marketer, lines=1)
    assert stranger_client.get("/segments/logged/").status_code == 403
    assert stranger_client.get(f"/segments/logged/{logged.pk}/").status_code == 403
    assert stranger_client.get(f"/segments/logged/{logged.pk}/progress/").status_code == 403


def test_the_detail_page_shows_the_header_and_the_entries(marketer, viewer_client):
    logged = _logged(marketer, lines=2)
    response = viewer_client.get(f"/segments/logged/{logged.pk}/")
    assert response.status_code == 200
    content = response.content.decode()
    assert logged.segment_no in content
    for entry in logged.entries.select_related("contact"):
        assert entry.contact.name in content
    assert f"/interactions/?logged_segment={logged.pk}" in content


def test_a_marketer_cancels_and_un_cancels_from_the_page(marketer, marketer_client):
    logged = _logged(marketer, lines=2)
    response = marketer_client.post(f"/segments/logged/{logged.pk}/cancel/", {"canceled": "true"}, follow=True)
    assert "was canceled, with all its interactions" in response.content.decode()
    assert logged.entries.filter(canceled=True).count() == 2
    marketer_client.post(f"/segments/logged/{logged.pk}/cancel/", {"canceled": "false"})
    assert logged.entries.filter(canceled=True).count() == 0


def test_the_cancel_buttons_post_the_state_they_ask_for(marketer, marketer_client):
    logged = _logged(marketer, lines=1)
    for url in ("/segments/logged/", f"/segments/logged/{logged.pk}/"):
        assert 'name="canceled" value="true"' in marketer_client.get(url).content.decode()
    logged_segment_set_canceled(logged, canceled=True, user=marketer)
    for url in ("/segments/logged/", f"/segments/logged/{logged.pk}/"):
        assert 'name="canceled" value="false"' in marketer_client.get(url).content.decode()


def test_a_second_cancel_click_from_a_stale_tab_changes_nothing_and_says_so(marketer, marketer_client):
    from crm.models import AuditEvent

    logged = _logged(marketer, lines=2)
    marketer_client.post(f"/segments/logged/{logged.pk}/cancel/", {"canceled": "true"})
    events = AuditEvent.objects.count()
    response = marketer_client.post(f"/segments/logged/{logged.pk}/cancel/", {"canceled": "true"}, follow=True)
    assert "is already canceled; nothing was changed" in response.content.decode()
    logged.refresh_from_db()
    assert logged.canceled is True and logged.entries.filter(canceled=True).count() == 2
    assert AuditEvent.objects.count() == events


def test_un_canceling_what_is_not_canceled_changes_nothing_and_says_so(marketer):
    logged = _logged(marketer, lines=2)
    with pytest.raises(ValidationError, match="already not canceled; nothing was changed"):
        logged_segment_set_canceled(logged, canceled=False, user=marketer)
    logged.refresh_from_db()
    assert logged.canceled_at is None and not logged.entries.filter(canceled_at__isnull=False).exists()


@pytest.mark.parametrize("data", [{}, {"canceled": ""}, {"canceled": "yes"}, {"canceled": "True"}, {"canceled": "1"}])
def test_cancel_without_a_clear_wanted_state_is_refused_and_changes_nothing(marketer, marketer_client, data):
    logged = _logged(marketer, lines=2)
    response = marketer_client.post(f"/segments/logged/{logged.pk}/cancel/", data)
    assert response.status_code == 400
    assert "canceled=true or canceled=false" in response.content.decode()
    logged.refresh_from_db()
    assert logged.canceled is False and not logged.entries.filter(canceled=True).exists()


@pytest.mark.parametrize(
    ("target", "expected"),
    [("/interactions/?logged_segment=1", "/interactions/?logged_segment=1"), ("https://evil.example/", None)],
)
def test_cancel_goes_back_to_next_only_on_this_site(marketer, marketer_client, target, expected):
    logged = _logged(marketer, lines=1)
    response = marketer_client.post(f"/segments/logged/{logged.pk}/cancel/", {"canceled": "true", "next": target})
    assert response["Location"] == (expected or logged.get_absolute_url())


@pytest.mark.parametrize("url", ["cancel/", "follow-up/"])
def test_a_viewer_cannot_change_a_logged_segment(marketer, viewer_client, url):
    logged = _logged(marketer, lines=1)
    assert viewer_client.post(f"/segments/logged/{logged.pk}/{url}").status_code == 403
    assert not logged.entries.filter(canceled=True).exists()
    assert Segment.objects.count() == 0


def test_cancel_needs_post(marketer, marketer_client):
    logged = _logged(marketer, lines=1)
    assert marketer_client.get(f"/segments/logged/{logged.pk}/cancel/").status_code == 405


def test_a_viewer_cannot_delete_canceled_logged_segments(marketer, viewer_client):
    logged = _logged(marketer, lines=1)
    logged_segment_set_canceled(logged, canceled=True, user=marketer)
    assert viewer_client.post("/segments/logged/delete-canceled/").status_code == 403
    assert LoggedSegment.objects.filter(pk=logged.pk).exists()


def test_a_marketer_deletes_canceled_logged_segments_from_the_page(marketer, marketer_client):
    logged = _logged(marketer, lines=1)
    logged_segment_set_canceled(logged, canceled=True, user=marketer)
    response = marketer_client.post("/segments/logged/delete-canceled/", follow=True)
    assert "1 logged segment has been deleted." in response.content.decode()
    assert not LoggedSegment.objects.exists()
    assert InteractionLogEntry.objects.count() == 1


def test_a_marketer_creates_a_follow_up_from_the_page(marketer, marketer_client):
    logged = _logged(marketer, lines=2)
    response = marketer_client.post(f"/segments/logged/{logged.pk}/follow-up/")
    follow_up = Segment.objects.get()
    assert response.status_code == 302 and response["Location"] == follow_up.get_absolute_url()
    assert follow_up.lines.count() == 2


# --- the Log action from the worksheet ---------------------------------------------------------------------------


def test_logging_from_the_worksheet_redirects_to_the_logged_segment_with_a_link(marketer_client):
    segment, _ = segment_with_lines(2)
    response = marketer_client.post(f"/segments/{segment.pk}/log/", follow=True)
    logged = LoggedSegment.objects.get()
    assert response.redirect_chain[-1][0] == f"/segments/logged/{logged.pk}/"
    content = response.content.decode()
    assert f"Segment {segment.no} has been logged." in content
    assert f'<a href="/segments/logged/{logged.pk}/">Open logged segment {logged.pk}</a>' in content


def test_logging_with_a_follow_up_from_the_worksheet(marketer_client):
    segment, _ = segment_with_lines(2)
    response = marketer_client.post(f"/segments/{segment.pk}/log/", {"follow_up": "on"}, follow=True)
    follow_up = Segment.objects.get()
    assert "Follow-up segment" in response.content.decode() and follow_up.no in response.content.decode()
    assert follow_up.lines.count() == 2


def test_a_refused_log_goes_back_to_the_worksheet_with_the_reason(marketer_client):
    segment = SegmentFactory()
    response = marketer_client.post(f"/segments/{segment.pk}/log/")
    assert response.status_code == 302 and response["Location"] == f"/segments/{segment.pk}/"
    assert LoggedSegment.objects.count() == 0
    page = marketer_client.get("/segments/logged/")
    assert f"Segment {segment.no} is empty." in page.content.decode()


def test_a_salesperson_cannot_log_a_segment(sales_client):
    segment, _ = segment_with_lines(1)
    assert sales_client.post(f"/segments/{segment.pk}/log/").status_code == 403
    assert LoggedSegment.objects.count() == 0 and Segment.objects.filter(pk=segment.pk).exists()


def test_log_needs_post(marketer_client):
    segment, _ = segment_with_lines(1)
    assert marketer_client.get(f"/segments/{segment.pk}/log/").status_code == 405


def test_the_log_dialog_disables_send_when_no_line_has_a_correspondence_type(rf, marketer):
    from django.template.loader import render_to_string

    from tests.factories import InteractionTemplateFactory

    segment = SegmentFactory(template=InteractionTemplateFactory(correspondence_type=""), correspondence_type="")
    SegmentLineFactory(segment=segment, contact=PersonFactory(correspondence_type=""))
    request = rf.get("/")
    request.user = marketer
    html = render_to_string(
        "segments/_log_dialog.html", {"segment": segment, "perms": _perms(marketer)}, request=request
    )
    assert 'name="send" disabled' in html
    assert f'action="/segments/{segment.pk}/log/"' in html
    segment.description = ""
    html = render_to_string(
        "segments/_log_dialog.html", {"segment": segment, "perms": _perms(marketer)}, request=request
    )
    assert "Enter a description on the segment before logging it." in html


def _perms(user):
    from django.contrib.auth.context_processors import PermWrapper

    return PermWrapper(user)


# --- letters to print ----------------------------------------------------------------------------------------------


def test_the_letters_zip_has_one_letter_per_hard_copy_entry(
    marketer, marketer_client, django_capture_on_commit_callbacks
):
    template = template_with_letter(correspondence_type="hard_copy")
    segment = SegmentFactory(template=template)
    ada = SegmentLineFactory(segment=segment, contact=PersonFactory(name="Ada Lovelace", salutation="Dear Ada"))
    grace = SegmentLineFactory(segment=segment, contact=PersonFactory(name="Grace Hopper", salutation="Dear Grace"))
    with django_capture_on_commit_callbacks(execute=True):
        logged = segment_log(segment, user=marketer)
    page = marketer_client.get(f"/segments/logged/{logged.pk}/")
    assert f'href="/segments/logged/{logged.pk}/letters.zip"' in page.content.decode()
    response = marketer_client.get(f"/segments/logged/{logged.pk}/letters.zip")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    ada_letter = f"{ada.contact.company.name} - Ada Lovelace.docx"
    assert sorted(archive.namelist()) == sorted([ada_letter, f"{grace.contact.company.name} - Grace Hopper.docx"])
    assert "Dear Ada," in docx_text(archive.read(ada_letter))


def test_the_letters_to_print_as_one_docx_are_the_entries_letters_in_order(
    marketer, viewer_client, django_capture_on_commit_callbacks
):
    template = template_with_letter(correspondence_type="hard_copy")
    segment = SegmentFactory(template=template)
    SegmentLineFactory(segment=segment, contact=PersonFactory(salutation="Dear Ada"), personal_note="See you soon")
    SegmentLineFactory(segment=segment, contact=PersonFactory(salutation="Dear Grace"))
    with django_capture_on_commit_callbacks(execute=True):
        logged = segment_log(segment, user=marketer)
    page = viewer_client.get(f"/segments/logged/{logged.pk}/").content.decode()
    assert f'href="/segments/logged/{logged.pk}/letters.docx"' in page and "Letters to print (one .docx)" in page

    response = viewer_client.get(f"/segments/logged/{logged.pk}/letters.docx")
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="Segment {segment.no}.docx"'
    combined = b"".join(response.streaming_content)
    entries = list(logged.entries.order_by("id"))
    each = "\n".join(docx_text(entry_document_bytes(entry)[0]) for entry in entries)
    assert docx_text(combined) == each, "the stored letters, one after the other"
    assert "See you soon" in each and f"Entry {entries[1].pk}" in each
    assert len(docx.Document(io.BytesIO(combined)).sections) == 2


@pytest.mark.parametrize("suffix", ["zip", "docx"])
def test_the_letters_to_print_need_the_view_permission(suffix, marketer, stranger_client):
    logged = _logged(marketer, lines=1)
    assert stranger_client.get(f"/segments/logged/{logged.pk}/letters.{suffix}").status_code == 403


@pytest.mark.parametrize("suffix", ["zip", "docx"])
def test_a_logged_segment_without_letters_has_none_to_print(suffix, marketer, marketer_client):
    logged = _logged(marketer, lines=1)
    assert marketer_client.get(f"/segments/logged/{logged.pk}/letters.{suffix}").status_code == 404


def test_the_progress_card_polls_while_the_job_runs_and_stops_when_done(marketer, viewer_client):
    logged = _logged(marketer, lines=1)
    job = LogJob.objects.create(
        logged_segment=logged, status=LogJob.Status.RUNNING, total=10, letters=10, done=4, stage="Merging"
    )
    content = viewer_client.get(f"/segments/logged/{logged.pk}/progress/").content.decode()
    assert 'hx-trigger="every 2s"' in content and "Merging letters: 4 of 10 letters" in content
    LogJob.objects.filter(pk=job.pk).update(status=LogJob.Status.DONE, done=10)
    content = viewer_client.get(f"/segments/logged/{logged.pk}/progress/").content.decode()
    assert "hx-trigger" not in content and "Done" in content


def test_logging_canceling_and_deleting_are_in_the_audit_trail(marketer):
    from crm.models import AuditEvent

    logged = _logged(marketer, lines=2)
    logged_segment_set_canceled(logged, canceled=True, user=marketer)
    logged_segment_set_canceled(logged, canceled=False, user=marketer)
    logged_segment_set_canceled(logged, canceled=True, user=marketer)
    logged_segments_delete_canceled(user=marketer)
    actions = list(AuditEvent.objects.order_by("id").values_list("action", "count"))
    assert actions[-5:] == [
        ("segment_logged", 2),
        ("logged_segment_canceled", 2),
        ("logged_segment_uncanceled", 2),
        ("logged_segment_canceled", 2),
        ("logged_segments_deleted", 1),
    ]


def test_the_job_card_says_whether_anything_was_sent_by_e_mail(
    marketer, viewer_client, django_capture_on_commit_callbacks
):
    said = {}
    for kind, address in (("hard_copy", ""), ("email", "ada@example.com")):
        segment = SegmentFactory(template=template_with_letter(correspondence_type=kind))
        SegmentLineFactory(segment=segment, contact=PersonFactory(email=address))
        with django_capture_on_commit_callbacks(execute=True):
            logged = segment_log(segment, user=marketer, send=True)
        said[kind] = viewer_client.get(f"/segments/logged/{logged.pk}/progress/").content.decode()
    assert "no line is to be sent by e-mail" in said["hard_copy"] and "e-mail lines sent" not in said["hard_copy"]
    assert "1 letter merged, then 1 e-mail sent." in said["email"]
