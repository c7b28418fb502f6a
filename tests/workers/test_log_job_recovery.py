"""A logged segment's LogJob when the worker running it dies (issue 9): recover_tasks re-queues or fails the task,
and the LogJob says so on the logged segment page instead of "Running" for ever.

As in test_recover_tasks.py there is no real worker: the task row and the job are set up as a worker would have
left them (RUNNING, half-way through sending, one entry claimed "sending").
"""

from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from interactions.sending import INTERRUPTED_REASON
from segments.models import LogJob
from segments.services import segment_log
from tests.factories import PersonFactory, SegmentFactory, SegmentLineFactory
from tests.segments.logging_helpers import emailed_segment, template_with_letter

pytestmark = pytest.mark.django_db


@pytest.fixture
def database_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "crm.jobs.backend.LeasedDatabaseBackend"}}


def logged_segment_with_a_dead_worker(marketer, capture, *, worker_ids):
    """Log a segment (its job queued as a database task), then leave it as a worker killed mid-send would."""
    segment = emailed_segment(3)
    with capture(execute=True):
        logged = segment_log(segment, user=marketer, send=True)
    job = LogJob.objects.get(logged_segment=logged)
    task = DBTaskResult.objects.get(task_path="segments.tasks.run_log_job")
    assert task.args_kwargs["args"] == [job.pk] and job.status == LogJob.Status.QUEUED

    DBTaskResult.objects.filter(id=task.id).update(
        status=TaskResultStatus.RUNNING, worker_ids=worker_ids, started_at=timezone.now() - timedelta(hours=2)
    )
    LogJob.objects.filter(pk=job.pk).update(
        status=LogJob.Status.RUNNING, stage="Sending e-mail", started_at=timezone.now(), total=6, done=3
    )
    claimed = logged.entries.order_by("id").first()
    logged.entries.filter(pk=claimed.pk).update(delivery_status="sending")
    return logged, job, task, claimed


def recover(*args) -> str:
    out = StringIO()
    call_command("recover_tasks", "--older-than", "3600", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_a_job_whose_task_is_failed_for_too_many_dead_workers_is_failed_with_the_reason(
    database_tasks, marketer, marketer_client, settings, django_capture_on_commit_callbacks
):
    logged, job, task, claimed = logged_segment_with_a_dead_worker(
        marketer, django_capture_on_commit_callbacks, worker_ids=["w1", "w2", "w3"]
    )

    assert recover("--max-attempts", "3").startswith("0 orphaned tasks were re-queued, 1 were marked failed.\n")

    job.refresh_from_db()
    assert job.status == LogJob.Status.FAILED and job.finished_at is not None
    assert job.error.startswith("The background worker stopped while running this job and it is not run again")
    assert "Worker w3 stopped while running this task" in job.error and "workers stopped on it 3 times" in job.error
    claimed.refresh_from_db()
    assert (claimed.delivery_status, claimed.delivery_error) == ("error", INTERRUPTED_REASON)
    assert DBTaskResult.objects.get(id=task.id).status == TaskResultStatus.FAILED

    progress = marketer_client.get(f"/segments/logged/{logged.pk}/progress/").content.decode()
    assert "Failed" in progress and "The background worker stopped while running this job" in progress
    assert "hx-trigger" not in progress, "a failed job is not polled any more"
    page = marketer_client.get(f"/segments/logged/{logged.pk}/").content.decode()
    assert "Worker w3 stopped while running this task" in page and "Run the job again" in page

    # The user runs it again (in-process now): the rest is sent, and the interrupted e-mail with it.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    with django_capture_on_commit_callbacks(execute=True):
        assert marketer_client.post(f"/segments/logged/{logged.pk}/retry/").status_code == 302
    assert set(logged.entries.values_list("delivery_status", flat=True)) == {""}
    assert len(mail.outbox) == 3
    assert logged.log_jobs.order_by("-id").first().status == LogJob.Status.DONE


def test_a_job_whose_task_is_queued_again_says_queued(
    database_tasks, marketer, marketer_client, django_capture_on_commit_callbacks
):
    logged, job, task, claimed = logged_segment_with_a_dead_worker(
        marketer, django_capture_on_commit_callbacks, worker_ids=["w1"]
    )

    assert recover().startswith("1 orphaned tasks were re-queued, 0 were marked failed.\n")

    job.refresh_from_db()
    assert (job.status, job.error) == (LogJob.Status.QUEUED, "")
    assert job.stage == "Queued again: the worker running it stopped"
    claimed.refresh_from_db()
    assert claimed.delivery_status == "error"
    assert DBTaskResult.objects.get(id=task.id).status == TaskResultStatus.READY
    progress = marketer_client.get(f"/segments/logged/{logged.pk}/progress/").content.decode()
    assert "Queued" in progress and "Queued again: the worker running it stopped" in progress


def test_a_dry_run_leaves_the_job_running(database_tasks, marketer, django_capture_on_commit_callbacks):
    logged, job, task, claimed = logged_segment_with_a_dead_worker(
        marketer, django_capture_on_commit_callbacks, worker_ids=["w1", "w2", "w3"]
    )

    assert recover("--dry-run").startswith("0 orphaned tasks would be re-queued, 1 would be marked failed.\n")

    job.refresh_from_db()
    claimed.refresh_from_db()
    assert (job.status, job.error) == (LogJob.Status.RUNNING, "")
    assert claimed.delivery_status == "sending"
    assert DBTaskResult.objects.get(id=task.id).status == TaskResultStatus.RUNNING


def test_a_job_deleted_with_its_logged_segment_does_not_stop_the_recovery(
    database_tasks, marketer, django_capture_on_commit_callbacks
):
    logged, job, task, claimed = logged_segment_with_a_dead_worker(
        marketer, django_capture_on_commit_callbacks, worker_ids=["w1", "w2", "w3"]
    )
    LogJob.objects.filter(pk=job.pk).delete()

    assert recover().startswith("0 orphaned tasks were re-queued, 1 were marked failed.\n")
    assert DBTaskResult.objects.get(id=task.id).status == TaskResultStatus.FAILED


def test_a_job_aborted_by_stopping_its_worker_is_failed_not_left_running(
    marketer, monkeypatch, django_capture_on_commit_callbacks
):
    from segments import log_job
    from segments.tasks import run_log_job

    template = template_with_letter(correspondence_type="email")
    segment = SegmentFactory(template=template)
    SegmentLineFactory(segment=segment, contact=PersonFactory(email="p@example.com"))
    with django_capture_on_commit_callbacks(execute=False):
        logged = segment_log(segment, user=marketer, send=True)
    job = LogJob.objects.get(logged_segment=logged)

    def second_term(*args, **kwargs):
        raise SystemExit(0)  # what db_worker's handler of a second TERM raises in the middle of the task

    monkeypatch.setattr(log_job, "_deliver", second_term)
    with pytest.raises(SystemExit):
        run_log_job.call(job.pk)

    job.refresh_from_db()
    assert job.status == LogJob.Status.FAILED and job.finished_at is not None
    assert job.error.startswith("The background worker was stopped while running this job.")
    assert mail.outbox == []
