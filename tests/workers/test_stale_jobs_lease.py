"""A job whose task still holds its lease is never declared stale, and a working job beats every few seconds.

recover_tasks (and the pages' "run it again") used to go by the heartbeat alone: a job silent for
BACKGROUND_JOB_STALE_AFTER seconds was failed even while a live worker still ran its task, and the page then
offered a second, concurrent run. The lease (crm.jobs.backend) wins over the heartbeat. And the heartbeat follows
the clock (crm.jobs.heartbeat), not the batches: a slow batch still shows a sign of life every few seconds.
"""

from datetime import UTC, datetime
from io import StringIO

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from crm.jobs import heartbeat as heartbeat_module
from crm.jobs.backend import lease_key
from segments import letters, log_job, tasks
from segments.letter_download_job import letter_download_job_run
from segments.models import LetterDownloadJob, LogJob
from tests.workers.test_stale_jobs import letters_worksheet

pytestmark = pytest.mark.django_db

LONG_AGO = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
on_postgresql = pytest.mark.skipif(
    "postgresql" not in django_settings.DATABASES["default"]["ENGINE"],
    reason="the worker lease is a PostgreSQL advisory lock; SQLite has no leases",
)


@pytest.fixture
def database_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "crm.jobs.backend.LeasedDatabaseBackend"}}


def silent_running_job(marketer) -> LetterDownloadJob:
    """A letters job running, silent for months, whose task a worker has claimed."""
    segment = letters_worksheet(marketer)
    job = LetterDownloadJob.objects.create(segment=segment, kind="zip", user=marketer, stage="Merging letters")
    LetterDownloadJob.objects.filter(pk=job.pk).update(
        status=LetterDownloadJob.Status.RUNNING, started_at=LONG_AGO, heartbeat_at=LONG_AGO
    )
    job.refresh_from_db()
    return job


def claimed_task(job) -> DBTaskResult:
    result = tasks.run_letter_download_job.enqueue(job.pk)
    DBTaskResult.objects.filter(id=result.id).update(status=TaskResultStatus.RUNNING, worker_ids=["worker-1"])
    return DBTaskResult.objects.get(id=result.id)


def recover() -> str:
    out = StringIO()
    call_command("recover_tasks", "--grace", "0", stdout=out, stderr=StringIO())
    return out.getvalue()


@on_postgresql
def test_a_silent_job_whose_task_holds_its_lease_is_not_stale_and_recover_tasks_leaves_it_running(
    marketer, database_tasks
):
    job = silent_running_job(marketer)
    task = claimed_task(job)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s, %s)", lease_key(task.id))  # the worker, alive and working
    try:
        assert not job.is_stale, "a live worker holds its task's lease"
        assert "stale background jobs" not in recover()
        job.refresh_from_db()
        assert job.status == LetterDownloadJob.Status.RUNNING and job.error == ""
        assert DBTaskResult.objects.get(id=task.id).status == TaskResultStatus.RUNNING
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", lease_key(task.id))

    # The worker gone (its lease free): now the job is stale and the recovery fails it, once.
    assert job.is_stale
    assert "1 stale background jobs were marked failed." in recover()
    job.refresh_from_db()
    assert job.status == LetterDownloadJob.Status.FAILED and job.error.startswith("Stopped: no progress since")


@on_postgresql
def test_the_page_offers_no_rerun_of_a_silent_job_a_live_worker_still_holds(marketer, marketer_client, database_tasks):
    job = silent_running_job(marketer)
    task = claimed_task(job)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s, %s)", lease_key(task.id))
    try:
        page = marketer_client.get(f"/segments/{job.segment_id}/").content.decode()
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", lease_key(task.id))
    assert "Stopped: no progress since" not in page


def test_a_silent_job_with_no_live_task_is_still_stale(marketer, database_tasks):
    job = silent_running_job(marketer)
    claimed_task(job)  # claimed, but nobody holds its lease (on SQLite there are no leases at all)
    assert job.is_stale


# --- the heartbeat follows the clock ------------------------------------------------------------------------------


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(heartbeat_module, "monotonic", fake)
    return fake


def test_a_letters_job_beats_every_few_seconds_of_work_within_a_batch(marketer, monkeypatch, settings, clock):
    settings.BACKGROUND_JOB_HEARTBEAT_EVERY = 5
    segment = letters_worksheet(marketer)  # two lines, well inside one batch
    job = LetterDownloadJob.objects.create(segment=segment, kind="zip", user=marketer, stage="Queued")
    real_render = letters._Letters.render
    beats = []

    def slow_render(self, line):
        # What the job row says as the next letter starts; then this letter takes six seconds.
        beats.append(LetterDownloadJob.objects.values_list("heartbeat_at", "done").get(pk=job.pk))
        LetterDownloadJob.objects.filter(pk=job.pk).update(heartbeat_at=LONG_AGO)
        clock.now += 6
        return real_render(self, line)

    monkeypatch.setattr(letters._Letters, "render", slow_render)

    letter_download_job_run(job.pk)

    # As the last line starts, the six seconds of work of the one before have been written: a fresh heartbeat and
    # the lines before it counted (before, progress was written every hundred lines: not at all within these).
    assert beats[-1][0] > LONG_AGO and beats[-1][1] >= 1
    job.refresh_from_db()
    assert job.status == LetterDownloadJob.Status.DONE


def test_the_heartbeat_writes_at_most_once_per_interval(marketer, settings, clock):
    settings.BACKGROUND_JOB_HEARTBEAT_EVERY = 5
    job = silent_running_job(marketer)
    beat = heartbeat_module.JobHeartbeat(LetterDownloadJob, job.pk)
    clock.now += 4
    assert beat(done=1) is False
    assert LetterDownloadJob.objects.get(pk=job.pk).heartbeat_at == LONG_AGO
    clock.now += 1
    assert beat(done=2) is True
    written = LetterDownloadJob.objects.get(pk=job.pk)
    assert written.heartbeat_at > LONG_AGO and written.done == 2
    assert beat(done=3) is False, "just written"


def test_a_log_job_beats_while_a_slow_mail_server_sends_one_batch(
    marketer, monkeypatch, settings, clock, django_capture_on_commit_callbacks
):
    from tests.workers.test_stale_jobs import logged_with_a_job

    settings.BACKGROUND_JOB_HEARTBEAT_EVERY = 5
    logged, job = logged_with_a_job(marketer, django_capture_on_commit_callbacks, emails=3)
    real_deliver = log_job.entries_deliver.__globals__["_deliver"]
    seen = []

    def slow_deliver(entry, *args):
        LogJob.objects.filter(pk=job.pk).update(heartbeat_at=LONG_AGO)
        clock.now += 6  # a slow mail server: six seconds an e-mail
        return real_deliver(entry, *args)

    monkeypatch.setitem(log_job.entries_deliver.__globals__, "_deliver", slow_deliver)
    real_progress_write = heartbeat_module.JobHeartbeat.write

    def write(self, **fields):
        real_progress_write(self, **fields)
        seen.append(fields)

    monkeypatch.setattr(heartbeat_module.JobHeartbeat, "write", write)

    log_job.log_job_run(job.pk)

    # One batch of three e-mails, yet a heartbeat after each slow one (not only after the batch).
    assert sum(1 for fields in seen if not fields) >= 3, seen
