"""Sending while logging: each e-mail entry's delivery status, a failing mail server, retry (reference 2.9 step 9)."""

from email.utils import formataddr

import pytest
from django.core import mail

from interactions.models import InteractionLogEntry
from segments.models import LogJob
from segments.services import logged_segment_retry_delivery, segment_log
from tests.factories import SegmentLineFactory
from tests.segments.logging_helpers import emailed_segment

pytestmark = pytest.mark.django_db

FAILING = "tests.segments.failing_mail.FailingEmailBackend"


def _segment():
    segment = emailed_segment(2)
    emailed = list(segment.lines.order_by("id"))
    printed = SegmentLineFactory(segment=segment, correspondence_type="hard_copy")
    return segment, emailed, printed


def test_sending_delivers_each_email_line_and_clears_its_status(marketer, django_capture_on_commit_callbacks):
    segment, emailed, printed = _segment()
    with django_capture_on_commit_callbacks(execute=True):
        logged = segment_log(segment, user=marketer, send=True)
    # formataddr quotes names with dots or commas ("Mrs. Jones"), as the delivery service does.
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        formataddr((line.contact.name, line.contact.email)) for line in emailed
    )
    assert set(logged.entries.values_list("delivery_status", flat=True)) == {""}
    job = LogJob.objects.get(logged_segment=logged)
    assert job.status == LogJob.Status.DONE and job.send
    assert job.done == job.total == 3 + 2  # three letters merged, two e-mails sent


def test_without_send_nothing_is_sent(marketer, django_capture_on_commit_callbacks):
    segment, _, _ = _segment()
    with django_capture_on_commit_callbacks(execute=True):
        logged = segment_log(segment, user=marketer, send=False)
    assert mail.outbox == []
    assert set(logged.entries.values_list("delivery_status", flat=True)) == {""}


def test_email_lines_are_in_progress_until_the_job_sends_them(marketer, django_capture_on_commit_callbacks):
    segment, emailed, printed = _segment()
    with django_capture_on_commit_callbacks(execute=False):
        logged = segment_log(segment, user=marketer, send=True)
    statuses = dict(logged.entries.values_list("contact_id", "delivery_status"))
    assert statuses == {
        emailed[0].contact_id: "in_progress",
        emailed[1].contact_id: "in_progress",
        printed.contact_id: "",
    }


def test_a_failing_mail_server_marks_each_entry_and_a_retry_sends_them(
    marketer, marketer_client, settings, django_capture_on_commit_callbacks
):
    segment, emailed, printed = _segment()
    settings.EMAIL_BACKEND = FAILING
    with django_capture_on_commit_callbacks(execute=True):
        logged = segment_log(segment, user=marketer, send=True)
    failed = logged.entries.filter(correspondence_type="email")
    assert set(failed.values_list("delivery_status", flat=True)) == {"error"}
    assert all("Mail server temporarily unavailable" in e.delivery_error for e in failed)
    assert InteractionLogEntry.objects.get(contact=printed.contact).delivery_status == ""
    assert logged.entries.count() == 3  # the entries stay logged

    page = marketer_client.get(f"/segments/logged/{logged.pk}/").content.decode()
    assert "Send failed e-mails again" in page
    # The finished job's card says that e-mails of the logged segment were not delivered, not only "sent".
    assert (
        "2 e-mails of this logged segment could not be sent (delivery “Error” in the entries, with the reason)" in page
    )

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        response = marketer_client.post(f"/segments/logged/{logged.pk}/retry/")
    assert response.status_code == 302
    assert len(mail.outbox) == 2
    assert set(logged.entries.values_list("delivery_status", flat=True)) == {""}
    assert set(logged.entries.values_list("delivery_error", flat=True)) == {""}
    assert "could not be sent" not in marketer_client.get(f"/segments/logged/{logged.pk}/").content.decode()


def test_a_retry_resends_by_the_entries_page_rule_a_canceled_entry_stays_as_it_is_and_it_is_recorded(
    marketer, settings, django_capture_on_commit_callbacks
):
    from crm.models import AuditEvent
    from interactions.services import log_entries_set_canceled

    segment, emailed, printed = _segment()
    settings.EMAIL_BACKEND = FAILING
    with django_capture_on_commit_callbacks(execute=True):
        logged = segment_log(segment, user=marketer, send=True)
    kept, withdrawn = logged.entries.filter(correspondence_type="email").order_by("id")
    log_entries_set_canceled([withdrawn.pk], canceled=True, user=marketer)  # one entry canceled by hand

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        job = logged_segment_retry_delivery(logged, user=marketer)

    assert job is not None
    assert [message.to for message in mail.outbox] == [[formataddr((kept.contact.name, kept.contact.email))]]
    withdrawn.refresh_from_db()
    assert withdrawn.delivery_status == "error" and "temporarily unavailable" in withdrawn.delivery_error
    (event,) = AuditEvent.objects.filter(action=AuditEvent.Action.ENTRIES_RESENT)
    assert event.count == 1 and event.user == marketer and event.object_repr == str(logged)


def test_retry_with_nothing_failed_does_nothing(marketer, django_capture_on_commit_callbacks):
    segment, _, _ = _segment()
    with django_capture_on_commit_callbacks(execute=True):
        logged = segment_log(segment, user=marketer, send=True)
    assert logged_segment_retry_delivery(logged, user=marketer) is None
    assert LogJob.objects.filter(logged_segment=logged).count() == 1


def test_a_viewer_cannot_retry(marketer, viewer_client, settings, django_capture_on_commit_callbacks):
    segment, _, _ = _segment()
    settings.EMAIL_BACKEND = FAILING
    with django_capture_on_commit_callbacks(execute=True):
        logged = segment_log(segment, user=marketer, send=True)
    assert viewer_client.post(f"/segments/logged/{logged.pk}/retry/").status_code == 403
    assert logged.entries.filter(delivery_status="error").count() == 2
