"""`manage.py recover_tasks` on tasks left RUNNING by a worker that is gone (no real worker: rows set up by hand).

On PostgreSQL "gone" means the task's lease is free (nobody holds it in these tests); on SQLite it means RUNNING
for longer than --older-than.
"""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from .tasks import record_and_sleep

pytestmark = pytest.mark.django_db


@pytest.fixture
def database_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "crm.jobs.backend.LeasedDatabaseBackend"}}


def orphaned_task(*, worker_ids, started_minutes_ago=120) -> DBTaskResult:
    result = record_and_sleep.enqueue("job", 0)
    DBTaskResult.objects.filter(id=result.id).update(
        status=TaskResultStatus.RUNNING,
        worker_ids=worker_ids,
        started_at=timezone.now() - timedelta(minutes=started_minutes_ago),
    )
    return DBTaskResult.objects.get(id=result.id)


def recover(*args) -> str:
    out = StringIO()
    call_command("recover_tasks", "--older-than", "3600", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_it_puts_a_task_whose_worker_is_gone_back_in_the_queue(database_tasks):
    task = orphaned_task(worker_ids=["dead-worker"])

    assert recover() == "1 orphaned tasks were re-queued, 0 were marked failed.\n"

    task.refresh_from_db()
    assert task.status == TaskResultStatus.READY
    assert task.worker_ids == ["dead-worker"], "the attempts are remembered"


def test_it_fails_a_task_that_workers_died_on_too_often_with_the_reason(database_tasks):
    task = orphaned_task(worker_ids=["w1", "w2", "w3"])

    assert recover("--max-attempts", "3") == "0 orphaned tasks were re-queued, 1 were marked failed.\n"

    task.refresh_from_db()
    assert task.status == TaskResultStatus.FAILED
    assert task.finished_at is not None
    assert task.exception_class_path == "crm.jobs.backend.WorkerLost"
    assert "Worker w3 stopped while running this task" in task.traceback
    assert task.task_result.errors[0].traceback == task.traceback, "the reason is what the Tasks API reports"


def test_it_leaves_a_task_claimed_within_the_grace_period_alone(database_tasks):
    task = orphaned_task(worker_ids=["w1"], started_minutes_ago=0)

    assert recover("--grace", "60").startswith("0 orphaned tasks were re-queued, 0")

    task.refresh_from_db()
    assert task.status == TaskResultStatus.RUNNING


def test_a_dry_run_changes_nothing(database_tasks):
    task = orphaned_task(worker_ids=["w1"])

    assert recover("--dry-run") == "1 orphaned tasks would be re-queued, 0 would be marked failed.\n"

    task.refresh_from_db()
    assert task.status == TaskResultStatus.RUNNING


def test_finished_and_queued_tasks_are_not_touched(database_tasks):
    queued = record_and_sleep.enqueue("job", 0)
    done = orphaned_task(worker_ids=["w1"])
    DBTaskResult.objects.filter(id=done.id).update(status=TaskResultStatus.SUCCESSFUL)

    assert recover().startswith("0 orphaned tasks were re-queued, 0")
    assert DBTaskResult.objects.get(id=queued.id).status == TaskResultStatus.READY
    assert DBTaskResult.objects.get(id=done.id).status == TaskResultStatus.SUCCESSFUL


def test_bad_arguments_are_refused():
    with pytest.raises(CommandError, match="--max-attempts must be 1 or more"):
        call_command("recover_tasks", "--max-attempts", "0")
