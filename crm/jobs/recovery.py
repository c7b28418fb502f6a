"""Recovery of background work whose process is gone: run by `manage.py recover_tasks` (crm/management/commands).

django-tasks-db leaves the task of a killed `db_worker` RUNNING for ever. On PostgreSQL a running task's worker
holds a lease (an advisory lock, crm.jobs.backend) that PostgreSQL drops with the worker's connection, so a
RUNNING task whose lease is free has no worker: it goes back to the queue, or, once workers have died on it
`max_attempts` times (a poison task that kills its worker), is marked FAILED with the reason. A task whose
worker is alive is never touched, however long it runs, so no task runs twice at the same time. On SQLite, which
has no advisory locks, only `older_than` can say a worker is gone.

A lost task may leave rows half-way: the lost handler its app registered (crm.jobs.registry) tidies up after it.
Then the background jobs silent for settings.BACKGROUND_JOB_STALE_AFTER seconds are marked failed (crm.jobs.stale:
with the in-process backend there is no task row to recover), and each sweep the apps registered runs (e-mail
entries whose sender is gone, see interactions.sending).
"""

import logging
from datetime import timedelta

from django.db import connections, transaction
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from . import registry
from .backend import WorkerLost, lease_key
from .stale import background_jobs_fail_stale

__all__ = ["recover_orphaned_tasks", "recover_stale_jobs", "run_sweeps", "database_has_leases"]

logger = logging.getLogger("crm.tasks")


def database_has_leases() -> bool:
    """Whether the task queue's database can tell a live worker or sender by its lease (PostgreSQL)."""
    return connections[DBTaskResult.objects.db].vendor == "postgresql"


def recover_orphaned_tasks(*, grace: float, max_attempts: int, older_than: float | None, dry_run: bool = False):
    """Examine every RUNNING task claimed more than `grace` seconds ago; returns (re-queued, failed)."""
    now = timezone.now()
    candidates = DBTaskResult.objects.running().filter(started_at__lt=now - timedelta(seconds=grace))
    requeued = failed = 0
    for task_id in candidates.values_list("id", flat=True):
        # One short transaction per task: lock its row (skip it if another recover_tasks has it), check the
        # lease, then re-queue or fail it with a conditional write.
        with transaction.atomic(using=candidates.db):
            task = (
                DBTaskResult.objects.select_for_update(skip_locked=True)
                .filter(id=task_id, status=TaskResultStatus.RUNNING)
                .first()
            )
            if task is None or not _worker_is_gone(task, now=now, older_than=older_than):
                continue
            attempts = len(task.worker_ids)
            stopped = (
                f"Worker {task.worker_ids[-1] if task.worker_ids else '?'} stopped while running this task "
                f"(started {task.started_at:%Y-%m-%d %H:%M:%S %Z})"
            )
            if attempts >= max_attempts:
                failed += 1
                reason = (
                    f"{stopped}; workers stopped on it {attempts} times, so it is not run again "
                    f"(--max-attempts {max_attempts})."
                )
                _tidy_up(task, reason=reason, failed=True, dry_run=dry_run)
                logger.warning("orphaned task failed", extra={"task_id": str(task.id), "attempts": attempts})
                if not dry_run:
                    task.status = TaskResultStatus.FAILED
                    task.finished_at = timezone.now()
                    task.exception_class_path = f"{WorkerLost.__module__}.{WorkerLost.__qualname__}"
                    task.traceback = f"{WorkerLost.__module__}.{WorkerLost.__qualname__}: {reason}\n"
                    task.return_value = None
                    task.save(
                        update_fields=["status", "finished_at", "exception_class_path", "traceback", "return_value"]
                    )
            else:
                requeued += 1
                reason = f"{stopped}; it is queued again (attempt {attempts + 1} of at most {max_attempts})."
                _tidy_up(task, reason=reason, failed=False, dry_run=dry_run)
                logger.warning("orphaned task re-queued", extra={"task_id": str(task.id), "attempts": attempts})
                if not dry_run:
                    # Back to READY; worker_ids keeps who tried, which is how the attempts are counted.
                    task.status = TaskResultStatus.READY
                    task.save(update_fields=["status"])
    return requeued, failed


def recover_stale_jobs(options: registry.RecoveryOptions) -> int:
    """Background jobs with no progress for BACKGROUND_JOB_STALE_AFTER seconds, marked failed; the number."""
    try:
        return background_jobs_fail_stale(options)
    except Exception:  # noqa: BLE001 - logged; the sweeps and the next run go on
        logger.exception("could not mark stale background jobs failed")
        return 0


def run_sweeps(options: registry.RecoveryOptions) -> list[str]:
    """Run every registered sweep; the report line of each that put something right."""
    verb = "would be" if options.dry_run else "were"
    lines = []
    for sweep in registry.sweeps():
        try:
            count = sweep.run(options)
        except Exception:  # noqa: BLE001 - logged; the other sweeps and the next run go on
            logger.exception("recovery sweep failed", extra={"sweep": sweep.report})
            continue
        if count:
            lines.append(sweep.report.format(count=count, verb=verb))
    return lines


def _tidy_up(task: DBTaskResult, *, reason: str, failed: bool, dry_run: bool) -> None:
    kind = registry.task_kind(task.task_path)
    if kind is None or kind.lost_handler is None:
        return
    arguments = task.args_kwargs or {}
    try:
        # A savepoint: tidying up must never keep the task itself from being re-queued or failed.
        with transaction.atomic(using=task._state.db):
            kind.lost_handler(
                *arguments.get("args", []), **arguments.get("kwargs", {}), reason=reason, failed=failed, dry_run=dry_run
            )
    except Exception:  # noqa: BLE001 - logged; the task's own recovery goes on
        logger.exception("could not tidy up after a lost task", extra={"task_id": str(task.id)})


def _worker_is_gone(task: DBTaskResult, *, now, older_than: float | None) -> bool:
    connection = connections[task._state.db or "default"]
    if connection.vendor == "postgresql":
        # Transaction-scoped, so it is released with this transaction: a new worker claiming the re-queued task
        # waits for our commit before it takes the lease.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", lease_key(task.id))
            (lease_free,) = cursor.fetchone()
        # Lease held: the worker is alive, however long it runs; --older-than never overrides a live worker.
        return bool(lease_free)
    if older_than is None:
        return False
    return task.started_at < now - timedelta(seconds=older_than)
