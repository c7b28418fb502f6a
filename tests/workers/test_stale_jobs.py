"""Background jobs nobody works on any more (the in-process task backend has no task row to recover).

A web process killed mid-job leaves its LogJob or LetterDownloadJob "Running" for ever. Every progress update
writes the job's heartbeat; a job silent for BACKGROUND_JOB_STALE_AFTER seconds is "stopped": the pages say so
and offer to run it again, and recover_tasks marks it failed. Time is moved by writing an old heartbeat_at (or
created_at) straight into the database.
"""

import re
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.utils import timezone

from interactions.models import InteractionLogEntry
from segments import letters, log_job, tasks
from segments.letter_download_job import letter_download_job_run
from segments.log_job import log_job_run
from segments.models import LetterDownloadJob, LogJob
from segments.services import (
    logged_segment_retry_delivery,
    segment_add_contacts,
    segment_letters_prepare,
    segment_log,
)
from tests.factories import (
    CompanyFactory,
    InteractionTemplateFactory,
    PersonFactory,
    SegmentFactory,
)
from tests.segments.logging_helpers import docx_bytes, emailed_segment

pytestmark = pytest.mark.django_db

LONG_AGO = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
SILENT = "Stopped: no progress since"


def logged_with_a_job(marketer, capture, *, emails: int = 3):
    """A logged segment whose job (merge the letters, send the e-mail) is queued and has not run."""
    segment = emailed_segment(emails)
    with capture(execute=False):
        logged = segment_log(segment, user=marketer, send=True)
    return logged, LogJob.objects.get(logged_segment=logged)


def left_running(job, *, heartbeat=LONG_AGO, **fields):
    """The job as a process killed mid-job leaves it: running, its last progress at `heartbeat`."""
    fields.setdefault("stage", "Sending e-mail")
    type(job).objects.filter(pk=job.pk).update(
        status=job.Status.RUNNING, started_at=heartbeat, heartbeat_at=heartbeat, **fields
    )
    job.refresh_from_db()
    return job


def snapshot(logged):
    jobs = list(LogJob.objects.filter(logged_segment=logged).order_by("id").values())
    entries = list(logged.entries.order_by("id").values("id", "delivery_status", "delivery_error", "merge_values"))
    return jobs, entries


# --- the heartbeat ----------------------------------------------------------------------------------------------


def test_every_progress_update_of_a_log_job_renews_its_heartbeat(
    marketer, monkeypatch, django_capture_on_commit_callbacks
):
    logged, job = logged_with_a_job(marketer, django_capture_on_commit_callbacks)
    assert job.heartbeat_at is None
    monkeypatch.setattr(log_job, "LETTER_BATCH", 1)
    monkeypatch.setattr(log_job, "DELIVERY_BATCH", 1)
    seen = []

    def heartbeat_then_age_it():
        # Called just before each progress write: the previous write renewed the heartbeat; age it again.
        seen.append(LogJob.objects.get(pk=job.pk).heartbeat_at)
        LogJob.objects.filter(pk=job.pk).update(heartbeat_at=LONG_AGO)

    real_store, real_deliver = log_job._store_merge_values, log_job.entries_deliver

    def store(entries):
        heartbeat_then_age_it()
        return real_store(entries)

    def deliver(ids, **kwargs):
        heartbeat_then_age_it()
        return real_deliver(ids, **kwargs)

    monkeypatch.setattr(log_job, "_store_merge_values", store)
    monkeypatch.setattr(log_job, "entries_deliver", deliver)
    before = timezone.now() - timedelta(seconds=5)

    log_job_run(job.pk)

    # Three letter batches and three e-mail batches, each preceded by a renewed heartbeat (the start, then each
    # batch's progress update, then the "Sending e-mail" stage).
    assert len(seen) == 6
    assert all(beat is not None and beat > before for beat in seen), seen
    job.refresh_from_db()
    assert job.status == LogJob.Status.DONE and job.heartbeat_at > before and not job.is_stale
    assert len(mail.outbox) == 3


def test_every_progress_update_of_a_letters_job_renews_its_heartbeat(marketer, monkeypatch, settings):
    settings.SEGMENT_LETTERS_DIRECT_MAX_LINES = 1
    settings.BACKGROUND_JOB_HEARTBEAT_EVERY = 0  # every progress update is due
    segment = letters_worksheet(marketer)
    monkeypatch.setattr(letters, "PROGRESS_EVERY", 1)
    real_write = letters.write_segment_letters
    renewed = []

    def write(segment, kind, fileobj, *, progress):
        def checked(done):
            LetterDownloadJob.objects.filter(pk=job.pk).update(heartbeat_at=LONG_AGO)
            progress(done)
            renewed.append(LetterDownloadJob.objects.get(pk=job.pk).heartbeat_at)

        return real_write(segment, kind, fileobj, progress=checked)

    monkeypatch.setattr(letters, "write_segment_letters", write)
    job = LetterDownloadJob.objects.create(segment=segment, kind="zip", user=marketer, stage="Queued")
    before = timezone.now() - timedelta(seconds=5)

    letter_download_job_run(job.pk)

    assert len(renewed) >= 3 and all(beat > before for beat in renewed), renewed
    job.refresh_from_db()
    assert job.status == LetterDownloadJob.Status.DONE and job.heartbeat_at > before


def letters_worksheet(marketer):
    template = InteractionTemplateFactory(code="LETTER", language_code="en")
    template.attachment.save("letter.docx", ContentFile(docx_bytes("{{ contact.salutation }},")))
    segment = SegmentFactory(template=template, description="Spring offer", language_code="en")
    acme = CompanyFactory(name="Acme", city="Kiel")
    PersonFactory(name="Ada Lovelace", company=acme, city="Kiel")
    PersonFactory(name="Grace Hopper", company=acme, city="Kiel")
    segment_add_contacts(segment, criteria={"city": "Kiel"}, user=marketer)
    return segment


# --- staleness --------------------------------------------------------------------------------------------------


def test_a_job_is_stale_once_silent_for_longer_than_the_setting(marketer, settings, django_capture_on_commit_callbacks):
    settings.BACKGROUND_JOB_STALE_AFTER = 600
    logged, job = logged_with_a_job(marketer, django_capture_on_commit_callbacks)
    assert not job.is_stale, "a job queued a moment ago"
    left_running(job, heartbeat=timezone.now() - timedelta(seconds=590))
    assert not job.is_stale and not LogJob.stale().exists()
    left_running(job, heartbeat=timezone.now() - timedelta(seconds=610))
    assert job.is_stale and list(LogJob.stale()) == [job]
    # Never started: its creation counts.
    LogJob.objects.filter(pk=job.pk).update(status=LogJob.Status.QUEUED, heartbeat_at=None, created_at=LONG_AGO)
    job.refresh_from_db()
    assert job.is_stale and job.last_sign_of_life == LONG_AGO
    # A finished job is never stale, however old.
    LogJob.objects.filter(pk=job.pk).update(status=LogJob.Status.FAILED)
    job.refresh_from_db()
    assert not job.is_stale and not LogJob.stale().exists()


def test_a_stale_job_shows_stopped_and_offers_to_run_it_again(
    marketer, marketer_client, django_capture_on_commit_callbacks
):
    logged, job = logged_with_a_job(marketer, django_capture_on_commit_callbacks)
    left_running(job, total=6, done=3)
    since = timezone.localtime(LONG_AGO).strftime("%Y-%m-%d %H:%M:%S")

    for url in (f"/segments/logged/{logged.pk}/", f"/segments/logged/{logged.pk}/progress/"):
        page = marketer_client.get(url).content.decode()
        assert f"{SILENT} {since} (the process running it may have stopped)" in page
        assert f'action="/segments/logged/{logged.pk}/retry/"' in page and "Run the job again" in page
        assert "hx-trigger" not in page, "a stopped job is not polled"


def test_a_fresh_running_job_shows_its_progress_without_the_button(
    marketer, marketer_client, django_capture_on_commit_callbacks
):
    logged, job = logged_with_a_job(marketer, django_capture_on_commit_callbacks)
    left_running(job, heartbeat=timezone.now(), letters=3, emails=3, total=6, done=4)
    progress = marketer_client.get(f"/segments/logged/{logged.pk}/progress/").content.decode()
    assert "Running" in progress and "Sending e-mail: 1 of 3 e-mails" in progress and "hx-trigger" in progress
    assert SILENT not in progress and "Run the job again" not in progress


def test_running_a_stale_job_again_does_what_is_left_and_completes_it(
    marketer, marketer_client, settings, django_capture_on_commit_callbacks
):
    logged, job = logged_with_a_job(marketer, django_capture_on_commit_callbacks)
    sent_before = logged.entries.order_by("id").first()
    # The dead process had sent the first e-mail already: only the other two are left.
    InteractionLogEntry.objects.filter(pk=sent_before.pk).update(delivery_status="")
    left_running(job, total=6, done=1)

    with django_capture_on_commit_callbacks(execute=True):
        response = marketer_client.post(f"/segments/logged/{logged.pk}/retry/")
    assert response.status_code == 302

    job.refresh_from_db()
    assert job.status == LogJob.Status.FAILED and job.stage == "Stopped" and job.finished_at is not None
    assert job.error.startswith(SILENT) and "does only what is left" in job.error
    new = logged.log_jobs.order_by("-id").first()
    assert new.pk != job.pk and new.status == LogJob.Status.DONE and not new.is_stale
    assert sorted(m.to[0].split("<")[1].rstrip(">") for m in mail.outbox) == ["p1@example.com", "p2@example.com"]
    assert set(logged.entries.values_list("delivery_status", flat=True)) == {""}
    assert all("segment.no" in entry.merge_values for entry in logged.entries.all()), "every letter merged"
    page = marketer_client.get(f"/segments/logged/{logged.pk}/").content.decode()
    assert "Done" in page and SILENT not in page


def test_running_a_live_job_again_is_refused_and_changes_nothing(
    marketer, marketer_client, django_capture_on_commit_callbacks
):
    logged, job = logged_with_a_job(marketer, django_capture_on_commit_callbacks)
    left_running(job, heartbeat=timezone.now() - timedelta(seconds=30), total=6, done=3)
    # A failed delivery, which "run again" would otherwise put back in progress.
    InteractionLogEntry.objects.filter(pk=logged.entries.order_by("id").first().pk).update(
        delivery_status="error", delivery_error="Mail server down"
    )
    before = snapshot(logged)

    with pytest.raises(ValidationError) as refused:
        logged_segment_retry_delivery(logged, user=marketer)
    assert refused.value.messages == [
        f"The job of logged segment {logged.pk} is still running (last progress at "
        f"{timezone.localtime(job.heartbeat_at):%Y-%m-%d %H:%M:%S}): wait for it to finish. It can be run again "
        "once it has failed, or has shown no progress for a while."
    ]
    assert snapshot(logged) == before

    with django_capture_on_commit_callbacks(execute=True):
        response = marketer_client.post(f"/segments/logged/{logged.pk}/retry/", follow=True)
    assert "is still running" in response.content.decode()
    assert snapshot(logged) == before and mail.outbox == []


@pytest.mark.parametrize("persona", ["sales_client", "viewer_client"])
def test_only_marketing_may_run_a_stale_job_again(persona, request, marketer, django_capture_on_commit_callbacks):
    logged, job = logged_with_a_job(marketer, django_capture_on_commit_callbacks)
    left_running(job)
    before = snapshot(logged)
    client = request.getfixturevalue(persona)

    page = client.get(f"/segments/logged/{logged.pk}/")
    if page.status_code == 200:  # may see the logged segment: told it stopped, offered no button
        assert SILENT in page.content.decode() and "Run the job again" not in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/segments/logged/{logged.pk}/retry/").status_code == 403
    assert snapshot(logged) == before and mail.outbox == []


# --- the worksheet's letters ------------------------------------------------------------------------------------


def test_a_stale_letters_job_shows_stopped_and_preparing_again_replaces_it(
    marketer, marketer_client, settings, django_capture_on_commit_callbacks
):
    settings.SEGMENT_LETTERS_DIRECT_MAX_LINES = 1
    segment = letters_worksheet(marketer)
    with django_capture_on_commit_callbacks(execute=False):
        stuck = segment_letters_prepare(segment, kind="zip", user=marketer)
    left_running(stuck, stage="Merging letters", total=3, done=1)

    card = marketer_client.get(f"/segments/{segment.pk}/letters/jobs/").content.decode()
    since = timezone.localtime(LONG_AGO).strftime("%Y-%m-%d %H:%M:%S")
    assert f"{SILENT} {since} (the process running it may have stopped)" in card
    assert "Prepare the letters again" in card and 'name="kind" value="zip"' in card
    assert "hx-trigger" not in card
    assert SILENT in marketer_client.get(f"/segments/{segment.pk}/").content.decode()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = marketer_client.post(f"/segments/{segment.pk}/letters/prepare/", {"kind": "zip"})
    assert response.status_code == 302
    stuck.refresh_from_db()
    assert stuck.status == LetterDownloadJob.Status.FAILED and stuck.error.startswith(SILENT)
    new = LetterDownloadJob.objects.exclude(pk=stuck.pk).get()
    assert new.status == LetterDownloadJob.Status.QUEUED
    for callback in callbacks:  # the new job's task, as the web process runs it after the commit
        callback()
    new.refresh_from_db()
    assert new.status == LetterDownloadJob.Status.DONE and new.done == 3 and new.document_id
    # Its run deleted the job it replaced, as it does any finished one of the same kind.
    assert list(LetterDownloadJob.objects.all()) == [new]


def test_a_live_letters_job_is_returned_as_it_is(marketer, settings, django_capture_on_commit_callbacks):
    settings.SEGMENT_LETTERS_DIRECT_MAX_LINES = 1
    segment = letters_worksheet(marketer)
    with django_capture_on_commit_callbacks(execute=False):
        running = segment_letters_prepare(segment, kind="zip", user=marketer)
    left_running(running, heartbeat=timezone.now(), stage="Merging letters")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        again = segment_letters_prepare(segment, kind="zip", user=marketer)
    assert again.pk == running.pk and callbacks == [] and LetterDownloadJob.objects.count() == 1
    running.refresh_from_db()
    assert running.status == LetterDownloadJob.Status.RUNNING


# --- recover_tasks ----------------------------------------------------------------------------------------------


def recover(*args) -> str:
    out = StringIO()
    call_command("recover_tasks", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_recover_tasks_fails_stale_jobs_and_leaves_fresh_ones_alone(
    marketer, settings, django_capture_on_commit_callbacks
):
    settings.SEGMENT_LETTERS_DIRECT_MAX_LINES = 1
    stale_logged, stale = logged_with_a_job(marketer, django_capture_on_commit_callbacks)
    left_running(stale)
    fresh_logged, fresh = logged_with_a_job(marketer, django_capture_on_commit_callbacks)
    left_running(fresh, heartbeat=timezone.now() - timedelta(seconds=60))
    never_started_logged, never_started = logged_with_a_job(marketer, django_capture_on_commit_callbacks)
    LogJob.objects.filter(pk=never_started.pk).update(created_at=LONG_AGO)
    segment = letters_worksheet(marketer)
    with django_capture_on_commit_callbacks(execute=False):
        stuck_letters = segment_letters_prepare(segment, kind="docx", user=marketer)
    left_running(stuck_letters, stage="Merging letters")

    assert "3 stale background jobs would be marked failed." in recover("--dry-run")
    assert LogJob.objects.filter(status=LogJob.Status.FAILED).count() == 0
    assert LetterDownloadJob.objects.get().status == LetterDownloadJob.Status.RUNNING

    assert "3 stale background jobs were marked failed." in recover()

    for job in (stale, never_started, stuck_letters):
        job.refresh_from_db()
        assert job.status == job.Status.FAILED and job.stage == "Stopped" and job.finished_at is not None
        assert job.error.startswith(SILENT)
    assert "since 2026-01-02" in stale.error and "Ask for the letters again." in stuck_letters.error
    fresh_before = fresh.heartbeat_at
    fresh.refresh_from_db()
    assert (fresh.status, fresh.error, fresh.heartbeat_at) == (LogJob.Status.RUNNING, "", fresh_before)
    assert "stale" not in recover(), "nothing left to do"


def test_recover_tasks_leaves_a_job_waiting_in_the_database_queue(
    marketer, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "crm.jobs.backend.LeasedDatabaseBackend"}}
    logged, job = logged_with_a_job(marketer, django_capture_on_commit_callbacks)
    # Logged long ago and enqueued, but every worker is busy: its task is still READY in the queue.
    LogJob.objects.filter(pk=job.pk).update(created_at=LONG_AGO)
    tasks.run_log_job.enqueue(job.pk)
    job.refresh_from_db()
    assert job.waits_in_queue() and not job.is_stale, "silent for long, but a worker will take it"

    assert "stale" not in recover("--older-than", "3600")
    job.refresh_from_db()
    assert job.status == LogJob.Status.QUEUED


def test_a_job_waiting_in_the_database_queue_is_shown_queued_and_not_run_twice(
    marketer, marketer_client, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "crm.jobs.backend.LeasedDatabaseBackend"}}
    logged, job = logged_with_a_job(marketer, django_capture_on_commit_callbacks)
    LogJob.objects.filter(pk=job.pk).update(created_at=LONG_AGO)
    tasks.run_log_job.enqueue(job.pk)
    InteractionLogEntry.objects.filter(pk=logged.entries.order_by("id").first().pk).update(
        delivery_status="error", delivery_error="Mail server down"
    )
    before = snapshot(logged)

    page = marketer_client.get(f"/segments/logged/{logged.pk}/progress/").content.decode()
    assert "Queued" in page and "it starts as soon as a worker is free" in page and "hx-trigger" in page
    assert SILENT not in page and "Run the job again" not in page
    # Said once, and in the present tense: nothing has been merged or sent yet.
    assert "Queued Queued" not in " ".join(re.sub(r"<[^>]+>", " ", page).split())
    # Counted now (the queued job has not counted them): one of the three e-mails failed meanwhile.
    assert "It merges 3 letters, then sends 2 e-mails." in page and "letters merged" not in page.lower()

    since = timezone.localtime(LONG_AGO).strftime("%Y-%m-%d %H:%M:%S")
    with pytest.raises(ValidationError) as refused:
        logged_segment_retry_delivery(logged, user=marketer)
    assert refused.value.messages == [
        f"The job of logged segment {logged.pk} is still queued (since {since}): wait for a worker to run it. "
        "It can be run again once it has failed, or has shown no progress for a while."
    ]
    assert snapshot(logged) == before


def test_a_queued_job_is_kept_alive_only_by_its_own_task_in_the_queue(
    marketer, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "crm.jobs.backend.LeasedDatabaseBackend"}}
    logged, job = logged_with_a_job(marketer, django_capture_on_commit_callbacks)
    LogJob.objects.filter(pk=job.pk).update(created_at=LONG_AGO)
    tasks.run_log_job.enqueue(job.pk + 1000)  # another job's task waits, not this one's
    job.refresh_from_db()
    assert not job.waits_in_queue() and job.is_stale


def test_each_job_kind_names_the_task_that_runs_it():
    assert LogJob.TASK_PATH == tasks.run_log_job.module_path
    assert LetterDownloadJob.TASK_PATH == tasks.run_letter_download_job.module_path
