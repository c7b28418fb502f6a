"""Resend with updated merge fields (reference 2.13, scenarios 70 and 71; docs/BEHAVIOUR.md §8): a new entry per
resent entry, merged again with today's data and sent; the old entries unchanged."""

import datetime

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from crm.models import AuditEvent
from interactions.models import InteractionDailyTotal, InteractionLogEntry
from interactions.services import log_entries_set_canceled
from segments.models import LogJob
from segments.services import NOTHING_TO_RESEND, log_entries_resend_updated, segment_log
from tests.factories import InteractionTemplateFactory, PersonFactory, SegmentFactory, SegmentLineFactory
from tests.segments.logging_helpers import letter_text, segment_with_lines, template_with_letter

pytestmark = pytest.mark.django_db


@pytest.fixture
def logged(marketer, django_capture_on_commit_callbacks):
    """A logged segment whose two e-mail letters were merged and sent, and one printed letter."""
    template = template_with_letter(correspondence_type="email")
    segment = SegmentFactory(template=template, description="Spring mailing")
    for i in range(2):
        SegmentLineFactory(segment=segment, contact=PersonFactory(email=f"p{i}@example.com", salutation=f"Dear P{i}"))
    SegmentLineFactory(segment=segment, correspondence_type="hard_copy", contact=PersonFactory(salutation="Dear Q"))
    with django_capture_on_commit_callbacks(execute=True):
        logged = segment_log(segment, user=marketer, send=True)
    mail.outbox.clear()
    return logged


def _snapshot(entries):
    return list(
        entries.order_by("id").values_list(
            "id", "date", "time", "description", "delivery_status", "merge_values", "document_id", "canceled"
        )
    )


def test_scenario_70_given_a_logged_segment_when_resent_with_updated_merge_fields_then_new_entries_are_sent(
    logged, marketer, django_capture_on_commit_callbacks
):
    # Given a logged segment of three merged letters, two of them e-mailed, logged some days ago,
    old_entries = InteractionLogEntry.objects.filter(logged_segment=logged)
    old_entries.update(date=datetime.date(2026, 1, 5))
    before = _snapshot(old_entries)
    old_ids = [row[0] for row in before]
    counted_today = InteractionDailyTotal.objects.get(date=datetime.date.today()).count
    # when it is resent with updated merge fields,
    with django_capture_on_commit_callbacks(execute=True):
        job = log_entries_resend_updated(logged, user=marketer)
    # then there is a new entry per old one, in the same logged segment, dated today, "Resend: " + description,
    new = InteractionLogEntry.objects.filter(logged_segment=logged).exclude(pk__in=old_ids).order_by("id")
    assert new.count() == 3
    today = datetime.date.today()
    for entry, old in zip(new, InteractionLogEntry.objects.filter(pk__in=old_ids).order_by("id"), strict=True):
        assert (entry.contact_id, entry.template_id, entry.correspondence_type) == (
            old.contact_id,
            old.template_id,
            old.correspondence_type,
        )
        assert entry.date == today and entry.time is not None
        assert entry.description == "Resend: " + old.description
        assert entry.user == marketer
        assert f"Entry {entry.pk}" in letter_text(entry)  # merged again, as itself
    # the two e-mails went out again, delivered by the job,
    job.refresh_from_db()
    assert job.status == LogJob.Status.DONE
    assert len(mail.outbox) == 2
    assert set(new.values_list("delivery_status", flat=True)) == {""}
    # and the old entries are unchanged.
    assert _snapshot(InteractionLogEntry.objects.filter(pk__in=old_ids)) == before
    assert AuditEvent.objects.filter(action=AuditEvent.Action.ENTRIES_RESENT, count=3).exists()
    # The statistics count the new entries on today's date.
    assert InteractionDailyTotal.objects.get(date=today).count == counted_today + 3


def test_scenario_71_given_changed_contact_data_when_selected_entries_are_resent_then_the_letter_has_todays_data(
    logged, marketer, django_capture_on_commit_callbacks
):
    # Given an e-mailed entry whose contact's salutation changed after logging,
    entry = logged.entries.filter(correspondence_type="email").order_by("id").first()
    assert "Dear P0," in letter_text(entry)
    entry.contact.salutation = "Dear Ms Brown"
    entry.contact.save()
    # when just that entry is resent with updated merge fields,
    with django_capture_on_commit_callbacks(execute=True):
        log_entries_resend_updated([entry.pk], user=marketer)
    # then its new entry's letter has today's salutation, the old letter keeps the old one,
    new = InteractionLogEntry.objects.get(description="Resend: " + entry.description, contact=entry.contact)
    assert "Dear Ms Brown," in letter_text(new)
    entry.refresh_from_db()
    assert "Dear P0," in letter_text(entry)
    # and only that contact got an e-mail.
    assert [m.to[0].endswith("<p0@example.com>") for m in mail.outbox] == [True]


def test_resending_a_resent_entry_does_not_stack_the_prefix_and_cuts_to_the_field_length(
    logged, marketer, django_capture_on_commit_callbacks
):
    entries = list(logged.entries.order_by("id"))
    first, second = entries[0], entries[1]
    InteractionLogEntry.objects.filter(pk=first.pk).update(description="Resend: Spring mailing")
    InteractionLogEntry.objects.filter(pk=second.pk).update(description="x" * 100)
    with django_capture_on_commit_callbacks(execute=True):
        log_entries_resend_updated([first.pk, second.pk], user=marketer)
    descriptions = set(
        InteractionLogEntry.objects.exclude(pk__in=[e.pk for e in entries]).values_list("description", flat=True)
    )
    assert descriptions == {"Resend: Spring mailing", ("Resend: " + "x" * 100)[:100]}


def test_a_personal_note_is_merged_again(marketer, django_capture_on_commit_callbacks):
    segment, (line,) = segment_with_lines(1, template=template_with_letter(correspondence_type="hard_copy"))
    line.personal_note = "See you in May"
    line.save()
    with django_capture_on_commit_callbacks(execute=True):
        logged = segment_log(segment, user=marketer)
    old = logged.entries.get()
    with django_capture_on_commit_callbacks(execute=True):
        log_entries_resend_updated(logged, user=marketer)
    new = logged.entries.exclude(pk=old.pk).get()
    assert "See you in May" in letter_text(new) and f"Entry {new.pk}" in letter_text(new)


def test_nothing_to_resend_is_refused_and_nothing_changes(marketer, django_capture_on_commit_callbacks):
    # A logged segment without letters (a template without one): nothing can be merged again.
    segment, _ = segment_with_lines(2, template=InteractionTemplateFactory())
    with django_capture_on_commit_callbacks(execute=True):
        logged = segment_log(segment, user=marketer)
    count, jobs = InteractionLogEntry.objects.count(), LogJob.objects.count()
    with pytest.raises(ValidationError) as refused:
        log_entries_resend_updated(logged, user=marketer)
    assert refused.value.messages == [NOTHING_TO_RESEND]
    assert "There is nothing to send." in NOTHING_TO_RESEND
    assert (InteractionLogEntry.objects.count(), LogJob.objects.count()) == (count, jobs)


def test_canceled_entries_are_not_resent(logged, marketer, django_capture_on_commit_callbacks):
    log_entries_set_canceled(logged.entries.all(), canceled=True, user=marketer)
    with pytest.raises(ValidationError, match="There is nothing to send"):
        log_entries_resend_updated(logged, user=marketer)


def test_entries_of_several_logged_segments_are_refused(logged, marketer, django_capture_on_commit_callbacks):
    segment, _ = segment_with_lines(1, template=template_with_letter(correspondence_type="hard_copy"))
    with django_capture_on_commit_callbacks(execute=True):
        other = segment_log(segment, user=marketer)
    count = InteractionLogEntry.objects.count()
    mixed = [logged.entries.first().pk, other.entries.first().pk]
    with pytest.raises(ValidationError, match="must always be from the same logged segment"):
        log_entries_resend_updated(mixed, user=marketer)
    assert InteractionLogEntry.objects.count() == count


def test_refused_while_the_logged_segments_job_is_still_running(logged, marketer):
    LogJob.objects.create(logged_segment=logged, send=True, user=marketer, stage="Queued")
    count = InteractionLogEntry.objects.count()
    with pytest.raises(ValidationError, match="is still queued"):
        log_entries_resend_updated(logged, user=marketer)
    assert InteractionLogEntry.objects.count() == count


# --- the logged segment page --------------------------------------------------------------------------------------


def test_a_marketer_resends_with_updated_merge_fields_from_the_logged_segment_page(
    logged, marketer_client, django_capture_on_commit_callbacks
):
    page = marketer_client.get(f"/segments/logged/{logged.pk}/").content.decode()
    assert "Resend with updated merge fields" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = marketer_client.post(f"/segments/logged/{logged.pk}/resend/", follow=True)
    assert "Resending with updated merge fields" in response.content.decode()
    assert logged.entries.filter(description__startswith="Resend: ").count() == 3
    assert len(mail.outbox) == 2


def test_nothing_to_resend_is_said_on_the_page(marketer, marketer_client, django_capture_on_commit_callbacks):
    segment, _ = segment_with_lines(1, template=InteractionTemplateFactory())
    with django_capture_on_commit_callbacks(execute=True):
        logged = segment_log(segment, user=marketer)
    response = marketer_client.post(f"/segments/logged/{logged.pk}/resend/", follow=True)
    assert "There is nothing to send." in response.content.decode()
    assert logged.entries.count() == 1


def test_a_viewer_cannot_resend(logged, viewer_client):
    count = InteractionLogEntry.objects.count()
    assert viewer_client.post(f"/segments/logged/{logged.pk}/resend/").status_code == 403
    assert (
        "Resend with updated merge fields" not in viewer_client.get(f"/segments/logged/{logged.pk}/").content.decode()
    )
    assert InteractionLogEntry.objects.count() == count


# --- selected entries on the Interaction Log Entries page ---------------------------------------------------------

ENTRIES_RESEND_URL = "/segments/logged/resend-entries/"


def test_the_entries_page_offers_resend_with_updated_merge_fields_posting_to_the_segments_service(
    logged, marketer_client
):
    page = marketer_client.get("/interactions/").content.decode()
    assert 'formaction="/segments/logged/resend-entries/"' in page
    assert "Resend with updated merge fields" in page


def test_scenario_71_selected_entries_are_resent_from_the_entries_page(
    logged, marketer_client, django_capture_on_commit_callbacks
):
    """Scenario 71 from the entries page. Given an e-mailed entry whose contact's salutation changed, when it is
    selected on the Interaction Log Entries page and resent with updated merge fields, then one new entry has
    today's salutation and was sent, the old entry is unchanged, and the page goes to the logged segment."""
    entry = logged.entries.filter(correspondence_type="email").order_by("id").first()
    entry.contact.salutation = "Dear Ms Brown"
    entry.contact.save()
    before = _snapshot(InteractionLogEntry.objects.filter(pk=entry.pk))
    with django_capture_on_commit_callbacks(execute=True):
        response = marketer_client.post(
            ENTRIES_RESEND_URL, {"action": "resend_updated", "ids": [entry.pk], "next": "/interactions/"}
        )
    assert response.status_code == 302 and response.url == f"/segments/logged/{logged.pk}/"
    new = InteractionLogEntry.objects.get(description="Resend: " + entry.description)
    assert new.contact_id == entry.contact_id and "Dear Ms Brown," in letter_text(new)
    assert len(mail.outbox) == 1
    assert _snapshot(InteractionLogEntry.objects.filter(pk=entry.pk)) == before
    page = marketer_client.get(response.url).content.decode()
    assert "Resending with updated merge fields" in page


def test_nothing_to_send_from_the_entries_page_is_said_and_nothing_changes(
    marketer, marketer_client, django_capture_on_commit_callbacks
):
    segment, _ = segment_with_lines(2, template=InteractionTemplateFactory())
    with django_capture_on_commit_callbacks(execute=True):
        logged = segment_log(segment, user=marketer)
    count, jobs = InteractionLogEntry.objects.count(), LogJob.objects.count()
    ids = list(logged.entries.values_list("pk", flat=True))
    response = marketer_client.post(
        ENTRIES_RESEND_URL, {"action": "resend_updated", "ids": ids, "next": "/interactions/"}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/interactions/"
    assert "There is nothing to send." in response.content.decode()
    assert (InteractionLogEntry.objects.count(), LogJob.objects.count()) == (count, jobs)


def test_entries_of_two_logged_segments_from_the_entries_page_are_refused(
    logged, marketer, marketer_client, django_capture_on_commit_callbacks
):
    segment, _ = segment_with_lines(1, template=template_with_letter(correspondence_type="hard_copy"))
    with django_capture_on_commit_callbacks(execute=True):
        other = segment_log(segment, user=marketer)
    count = InteractionLogEntry.objects.count()
    ids = [logged.entries.first().pk, other.entries.first().pk]
    response = marketer_client.post(ENTRIES_RESEND_URL, {"action": "resend_updated", "ids": ids}, follow=True)
    assert "must always be from the same logged segment" in response.content.decode()
    assert InteractionLogEntry.objects.count() == count


def test_resending_from_the_entries_page_without_a_selection_says_so(logged, marketer_client):
    count = InteractionLogEntry.objects.count()
    response = marketer_client.post(ENTRIES_RESEND_URL, {"action": "resend_updated"}, follow=True)
    assert "Select one or more entries first." in response.content.decode()
    assert InteractionLogEntry.objects.count() == count


def test_a_salesperson_and_a_viewer_cannot_resend_selected_entries(logged, sales_client, viewer_client):
    count = InteractionLogEntry.objects.count()
    ids = list(logged.entries.values_list("pk", flat=True))
    for client in (sales_client, viewer_client):
        response = client.post(ENTRIES_RESEND_URL, {"action": "resend_updated", "ids": ids})
        assert response.status_code == 403
        assert "resend-entries" not in client.get("/interactions/").content.decode()
    assert InteractionLogEntry.objects.count() == count


def test_resending_selected_entries_needs_a_post(marketer_client):
    assert marketer_client.get(ENTRIES_RESEND_URL).status_code == 405


def test_the_audit_row_counts_the_resent_letters_printed_and_e_mailed_alike(
    logged, marketer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        log_entries_resend_updated(logged, user=marketer)
    row = AuditEvent.objects.filter(action=AuditEvent.Action.ENTRIES_RESENT).get()
    assert row.summary.startswith(f"Resent 3 letters of logged segment {logged.pk} ({logged.segment_no})")
