"""The logged segment's job card counts what the job handles: letters, e-mail texts and e-mails, each as what it is,
and never says "Letters merged" when no letter was made (docs/BEHAVIOUR.md §13a)."""

import re

import pytest
from django.core.files.base import ContentFile

from segments.log_job import log_job_plan
from segments.models import LogJob
from segments.services import segment_log
from tests.factories import InteractionTemplateFactory, PersonFactory, SegmentFactory, SegmentLineFactory
from tests.segments.logging_helpers import emailed_segment, template_with_letter

pytestmark = pytest.mark.django_db


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _log(marketer, template, *, emails=0, hard_copies=0, send=True, capture=None):
    segment = emailed_segment(emails, template=template)
    for _ in range(hard_copies):
        SegmentLineFactory(segment=segment, contact=PersonFactory(email=""), correspondence_type="hard_copy")
    with capture(execute=True):
        return segment_log(segment, user=marketer, send=send)


def _html_template(**fields):
    template = InteractionTemplateFactory(**fields)
    template.attachment.save("body.html", ContentFile(b"<p>Hello</p>"), save=True)
    return template


def test_no_letters_at_all(marketer, viewer_client, django_capture_on_commit_callbacks):
    template = InteractionTemplateFactory(correspondence_type="")  # no attachment: nothing to merge
    logged = _log(marketer, template, emails=2, capture=django_capture_on_commit_callbacks)
    job = LogJob.objects.get(logged_segment=logged)
    assert (job.status, job.letters, job.email_texts, job.emails, job.total) == (LogJob.Status.DONE, 0, 0, 0, 0)
    assert job.plan_text == "No letter to merge; no line is to be sent by e-mail."

    page = _text(viewer_client.get(f"/segments/logged/{logged.pk}/progress/").content.decode())
    assert "No letter to merge; no line is to be sent by e-mail." in page
    assert "merged" not in page.replace("What was merged", "")


def test_letters_and_e_mails(marketer, viewer_client, django_capture_on_commit_callbacks):
    template = template_with_letter(correspondence_type="email")
    logged = _log(marketer, template, emails=2, hard_copies=1, capture=django_capture_on_commit_callbacks)
    job = LogJob.objects.get(logged_segment=logged)
    assert (job.letters, job.email_texts, job.emails) == (3, 0, 2)
    assert job.done == job.total == 5

    page = _text(viewer_client.get(f"/segments/logged/{logged.pk}/progress/").content.decode())
    assert "3 letters merged, then 2 e-mails sent." in page


def test_e_mails_only(marketer, viewer_client, django_capture_on_commit_callbacks):
    template = _html_template(correspondence_type="email")
    logged = _log(marketer, template, emails=1, capture=django_capture_on_commit_callbacks)
    job = LogJob.objects.get(logged_segment=logged)
    assert (job.letters, job.email_texts, job.emails) == (0, 1, 1)

    page = _text(viewer_client.get(f"/segments/logged/{logged.pk}/progress/").content.decode())
    assert "1 e-mail text merged, then 1 e-mail sent." in page
    assert "letter" not in page.lower().replace("letters and e-mail", "")


def test_letters_without_send(marketer, viewer_client, django_capture_on_commit_callbacks):
    template = template_with_letter(correspondence_type="email")
    logged = _log(marketer, template, emails=1, send=False, capture=django_capture_on_commit_callbacks)
    job = LogJob.objects.get(logged_segment=logged)
    assert job.plan_text == "1 letter merged; nothing sent by e-mail."


def test_the_plan_counts_a_language_without_a_letter_as_none(marketer, django_capture_on_commit_callbacks):
    template = template_with_letter(correspondence_type="")
    segment = SegmentFactory(template=template)
    SegmentLineFactory(segment=segment, contact=PersonFactory())
    SegmentLineFactory(segment=segment, contact=PersonFactory())
    logged = segment_log(segment, user=marketer)  # the job is queued, not run (no on-commit callbacks)
    assert log_job_plan(logged, send=False) == (2, 0, 0)
    template.attachment.delete(save=True)
    assert log_job_plan(logged, send=True) == (0, 0, 0)


def test_a_running_job_counts_each_stage_in_its_own_unit(marketer, viewer_client, django_capture_on_commit_callbacks):
    logged = _log(marketer, InteractionTemplateFactory(), capture=django_capture_on_commit_callbacks, emails=1)
    job = LogJob.objects.get(logged_segment=logged)
    common = {"status": LogJob.Status.RUNNING, "letters": 1500, "email_texts": 0, "emails": 10, "total": 1510}
    LogJob.objects.filter(pk=job.pk).update(**common, stage="Merging", done=120)
    page = _text(viewer_client.get(f"/segments/logged/{logged.pk}/progress/").content.decode())
    assert "Merging letters: 120 of 1,500 letters" in page
    assert "It merges 1,500 letters, then sends 10 e-mails." in page

    LogJob.objects.filter(pk=job.pk).update(stage=LogJob.SENDING, done=1503)
    page = _text(viewer_client.get(f"/segments/logged/{logged.pk}/progress/").content.decode())
    assert "Sending e-mail: 3 of 10 e-mails" in page

    LogJob.objects.filter(pk=job.pk).update(letters=0, email_texts=0, emails=1, total=1, done=0)
    page = _text(viewer_client.get(f"/segments/logged/{logged.pk}/progress/").content.decode())
    assert "Sending e-mail: 0 of 1 e-mail" in page and "It sends 1 e-mail; there is no letter to merge." in page


def test_a_queued_job_says_what_it_will_do(marketer, viewer_client):
    template = template_with_letter(correspondence_type="email")
    segment = SegmentFactory(template=template)
    SegmentLineFactory(segment=segment, contact=PersonFactory(email="ada@example.com"))
    logged = segment_log(segment, user=marketer, send=True)  # queued: its task runs after commit
    page = _text(viewer_client.get(f"/segments/logged/{logged.pk}/progress/").content.decode())
    assert "Queued" in page and "It merges 1 letter, then sends 1 e-mail." in page


def test_the_letters_card_counts_cover_sheets_as_cover_sheets_and_lines_as_lines(marketer, viewer_client):
    from segments.models import LetterDownloadJob

    segment = SegmentFactory()
    covers = LetterDownloadJob.objects.create(
        segment=segment, kind="covers", status="running", stage="Printing cover sheets", total=1200, done=3
    )
    letters = LetterDownloadJob.objects.create(segment=segment, kind="zip", status="done", total=1, done=1)
    page = _text(viewer_client.get(f"/segments/{segment.pk}/letters/jobs/").content.decode())
    assert "Printing cover sheets · 3 of 1,200 cover sheets" in page
    assert "The letters of 1 line, merged" in page

    LetterDownloadJob.objects.filter(pk=covers.pk).update(status="done", total=1)
    LetterDownloadJob.objects.filter(pk=letters.pk).update(total=2)
    page = _text(viewer_client.get(f"/segments/{segment.pk}/letters/jobs/").content.decode())
    assert "1 cover sheet, printed and logged" in page and "The letters of 2 lines, merged" in page


def test_sending_again_and_resending_say_what_the_job_did(
    marketer, marketer_client, django_capture_on_commit_callbacks
):
    from interactions.models import InteractionLogEntry

    template = template_with_letter(correspondence_type="email")
    logged = _log(marketer, template, emails=2, capture=django_capture_on_commit_callbacks)
    failed = InteractionLogEntry.objects.filter(logged_segment=logged)
    failed.update(delivery_status="error", delivery_error="Mail server down")

    with django_capture_on_commit_callbacks(execute=True):
        page = marketer_client.post(f"/segments/logged/{logged.pk}/retry/", follow=True).content.decode()
    # Said as the request ends: the job runs after its commit.
    assert "Sending again (queued): It sends 2 e-mails; there is no letter to merge." in _text(page)
    assert set(failed.values_list("delivery_status", flat=True)) == {""}, "then it ran and sent them"

    failed.update(delivery_status="error", delivery_error="Mail server down")
    with django_capture_on_commit_callbacks(execute=True):
        page = marketer_client.post(f"/segments/logged/{logged.pk}/resend/", follow=True).content.decode()
    assert "Resending with updated merge fields (queued): It merges 2 letters, then sends 2 e-mails." in _text(page)


def test_a_finished_job_run_again_keeps_what_it_said(marketer, django_capture_on_commit_callbacks):
    from segments.log_job import log_job_run

    template = template_with_letter(correspondence_type="email")
    logged = _log(marketer, template, emails=2, capture=django_capture_on_commit_callbacks)
    job = LogJob.objects.get(logged_segment=logged)
    assert job.plan_text == "2 letters merged, then 2 e-mails sent."
    assert log_job_run(job.pk).plan_text == "2 letters merged, then 2 e-mails sent."


def test_a_job_queued_again_after_its_worker_stopped_goes_on_counting(
    marketer, monkeypatch, django_capture_on_commit_callbacks
):
    from segments import log_job

    segment = emailed_segment(2)
    with django_capture_on_commit_callbacks(execute=False):
        logged = segment_log(segment, user=marketer, send=True)
    job = LogJob.objects.get(logged_segment=logged)
    real_deliver = log_job._deliver

    def worker_stops(*args, **kwargs):
        raise SystemExit(0)  # the worker stops once the letters are merged, before any e-mail goes

    monkeypatch.setattr(log_job, "_deliver", worker_stops)
    with pytest.raises(SystemExit):
        log_job.log_job_run(job.pk)
    job.refresh_from_db()
    assert (job.status, job.letters, job.emails, job.done) == (LogJob.Status.RUNNING, 2, 2, 2)

    LogJob.requeue_if_running(job.pk, stage="Queued again: the worker running it stopped")
    monkeypatch.setattr(log_job, "_deliver", real_deliver)
    job = log_job.log_job_run(job.pk)
    assert (job.letters, job.emails, job.done, job.total) == (2, 2, 4, 4)
    assert job.plan_text == "2 letters merged, then 2 e-mails sent."


@pytest.mark.parametrize(
    "status, letters, email_texts, send, emails, expected",
    [
        ("done", 2, 0, True, 2, "2 letters merged, then 2 e-mails sent."),
        ("done", 0, 0, True, 2, "No letter to merge; 2 e-mails sent."),
        ("done", 1, 0, False, 0, "1 letter merged; nothing sent by e-mail."),
        ("done", 0, 0, True, 0, "No letter to merge; no line is to be sent by e-mail."),
        ("done", 1, 2, True, 3, "3 letters and e-mail texts merged, then 3 e-mails sent."),
        ("queued", 1_500, 0, True, 10, "It merges 1,500 letters, then sends 10 e-mails."),
        ("running", 0, 0, True, 1, "It sends 1 e-mail; there is no letter to merge."),
        ("queued", 0, 2, False, 0, "It merges 2 e-mail texts; it sends nothing by e-mail."),
        ("queued", 0, 0, False, 0, "No letter to merge; it sends nothing by e-mail."),
        ("running", 1, 0, True, 0, "It merges 1 letter; no line is to be sent by e-mail."),
        ("failed", 2, 0, True, 2, ""),
    ],
)
def test_each_plan_sentence_in_its_tense(status, letters, email_texts, send, emails, expected):
    job = LogJob(status=status, letters=letters, email_texts=email_texts, send=send, emails=emails)
    assert job.plan_text == expected
