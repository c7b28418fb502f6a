"""A `db_worker` whose database connection drops mid-task fails that task and goes on with the next one.

PostgreSQL only: the connection is dropped by terminating the task's own server process (`pg_terminate_backend`),
as a database restart or failover does; SQLite has no server connection to lose. Before, the worker could not
record the failure on the broken connection and exited, leaving the job "Running".
"""

from io import StringIO

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from crm.jobs.connections import LOST_CONNECTION_REASON
from segments import letters, tasks
from segments.models import LetterDownloadJob
from tests.workers.test_stale_jobs import letters_worksheet

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        "postgresql" not in django_settings.DATABASES["default"]["ENGINE"],
        reason="needs a database server whose connection can drop: PostgreSQL",
    ),
]


@pytest.fixture
def database_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "crm.jobs.backend.LeasedDatabaseBackend"}}


def test_a_task_whose_connection_drops_fails_with_its_job_and_the_worker_runs_the_next(
    marketer, monkeypatch, database_tasks
):
    segment = letters_worksheet(marketer)
    doomed = LetterDownloadJob.objects.create(segment=segment, kind="zip", user=marketer, stage="Queued")
    fine = LetterDownloadJob.objects.create(segment=segment, kind="docx", user=marketer, stage="Queued")
    first = tasks.run_letter_download_job.enqueue(doomed.pk)
    second = tasks.run_letter_download_job.enqueue(fine.pk)
    real_render = letters._Letters.render
    dropped = []

    def render(self, line):
        if not dropped:  # the database goes away under the first letter of the first job
            dropped.append(line.pk)
            with connection.cursor() as cursor:
                try:
                    cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")
                except Exception:  # noqa: BLE001 - the server closes the connection as it answers
                    pass
        return real_render(self, line)

    monkeypatch.setattr(letters._Letters, "render", render)

    call_command("db_worker", "--batch", "--worker-id", "w1", "--no-startup-delay", stdout=StringIO())

    assert dropped, "the connection was dropped mid-task"
    failed, succeeded = DBTaskResult.objects.get(id=first.id), DBTaskResult.objects.get(id=second.id)
    assert failed.status == TaskResultStatus.FAILED
    assert succeeded.status == TaskResultStatus.SUCCESSFUL, "the worker went on with the next task"
    doomed.refresh_from_db()
    fine.refresh_from_db()
    assert doomed.status == LetterDownloadJob.Status.FAILED and LOST_CONNECTION_REASON in doomed.error
    assert fine.status == LetterDownloadJob.Status.DONE
