"""Re-queue (or fail, with the reason) background tasks whose worker died mid-task.

django-tasks-db leaves the task of a killed `db_worker` RUNNING for ever. On PostgreSQL a running task's worker
holds a lease (an advisory lock, crm.tasks_backend) that PostgreSQL drops with the worker's connection, so a
RUNNING task whose lease is free has no worker: it goes back to the queue, or, once workers have died on it
`--max-attempts` times (a poison task that kills its worker), is marked FAILED with the reason. A task whose
worker is alive is never touched, however long it runs, so no task runs twice at the same time.

Run it every minute or so (`--every 60` loops; several copies are safe: each task is examined under a row lock
with SKIP LOCKED). On SQLite, which has no advisory locks, only `--older-than SECONDS` can say a worker is gone.

Each run also marks failed the background jobs (a logged segment's LogJob, a worksheet's LetterDownloadJob) that
have shown no progress for settings.BACKGROUND_JOB_STALE_AFTER seconds, whichever the backend: with the default
in-process backend there is no task row to recover, and a web process killed mid-job would otherwise leave its
job "Running" for ever (see segments.services.stale_jobs).

A lost task may leave rows half-way: each task path in LOST_TASK_HANDLERS names the function that tidies up after
it (e-mail entries left "sending" go back to "error", a segment's LogJob stops saying "running"). Each run also
puts back e-mail entries whose sender (a worker, or a web process sending in-process) is gone: see
interactions.services.delivery.
"""

import logging
import time
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import connections, transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from crm.tasks_backend import WorkerLost, lease_key
from interactions.services.delivery import deliveries_recover_interrupted

logger = logging.getLogger("crm.tasks")

# Task path -> "module.function" called (in the transaction that re-queues or fails the task) as
# function(*task_args, reason=…, failed=…, dry_run=…), to tidy up what the lost run left half-way. Strings, so
# this command needs no import of the apps' task modules.
LOST_TASK_HANDLERS = {
    "interactions.tasks.deliver_entries": "interactions.services.delivery.deliver_entries_lost",
    "segments.tasks.run_log_job": "segments.log_job.log_job_lost",
    "segments.tasks.run_letter_download_job": "segments.letter_download_job.letter_download_job_lost",
}

# "module.function"s called as function(dry_run=…) on each run, returning how many stale background jobs they
# marked failed (or would have). Strings, for the same reason as above.
STALE_JOB_HANDLERS = ["segments.services.stale_jobs.background_jobs_fail_stale"]


class Command(BaseCommand):
    help = "Re-queue or fail background tasks whose worker stopped mid-task."

    def add_arguments(self, parser):
        parser.add_argument(
            "--grace",
            type=float,
            default=30.0,
            help="Leave tasks claimed less than this many seconds ago alone (the worker takes its lease an "
            "instant after claiming). Default 30.",
        )
        parser.add_argument(
            "--max-attempts",
            type=int,
            default=3,
            help="After this many workers died running a task, mark it FAILED instead of re-queueing. Default 3.",
        )
        parser.add_argument(
            "--older-than",
            type=float,
            default=None,
            help="Without leases (SQLite): treat a task RUNNING for longer than this many seconds as orphaned.",
        )
        parser.add_argument(
            "--reset-sending",
            action="store_true",
            help="Put every e-mail entry still 'sending' back to 'error' (it may or may not have gone out). For "
            "SQLite, which cannot tell a live sender: run it only while nothing is sending. Not needed on "
            "PostgreSQL, where entries whose sender is gone are put back on every run.",
        )
        parser.add_argument("--every", type=float, default=None, help="Run again every N seconds, until stopped.")
        parser.add_argument("--dry-run", action="store_true", help="Report what would be done, change nothing.")

    def handle(self, *args, grace, max_attempts, older_than, every, dry_run, reset_sending=False, **options):
        if max_attempts < 1 or grace < 0 or (older_than is not None and older_than <= 0):
            raise CommandError("--max-attempts must be 1 or more, --grace 0 or more, --older-than more than 0.")
        if connections[DBTaskResult.objects.db].vendor != "postgresql" and older_than is None:
            self.stderr.write("Without PostgreSQL there are no worker leases: pass --older-than SECONDS.")
        while True:
            requeued, failed = recover_orphaned_tasks(
                grace=grace, max_attempts=max_attempts, older_than=older_than, dry_run=dry_run
            )
            verb = "would be" if dry_run else "were"
            self.stdout.write(f"{requeued} orphaned tasks {verb} re-queued, {failed} {verb} marked failed.")
            interrupted = recover_interrupted_deliveries(reset_sending=reset_sending, dry_run=dry_run)
            if interrupted:
                self.stdout.write(f"{interrupted} interrupted e-mail deliveries {verb} put back to error.")
            stale = recover_stale_jobs(dry_run=dry_run)
            if stale:
                self.stdout.write(f"{stale} stale background jobs {verb} marked failed.")
            if every is None:
                return
            time.sleep(every)


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


def recover_interrupted_deliveries(*, reset_sending: bool, dry_run: bool) -> int:
    """E-mail entries left "sending" by a sender that is gone, back to "error"; the number.

    On PostgreSQL every run does it (each sender holds a lease while sending); on SQLite only --reset-sending.
    """
    if connections[DBTaskResult.objects.db].vendor == "postgresql" or reset_sending:
        return deliveries_recover_interrupted(dry_run=dry_run)
    return 0


def recover_stale_jobs(*, dry_run: bool) -> int:
    """Background jobs with no progress for BACKGROUND_JOB_STALE_AFTER seconds, marked failed; the number."""
    total = 0
    for handler in STALE_JOB_HANDLERS:
        try:
            total += import_string(handler)(dry_run=dry_run)
        except Exception:  # noqa: BLE001 - logged; the other handlers and the next run go on
            logger.exception("could not mark stale background jobs failed", extra={"handler": handler})
    return total


def _tidy_up(task: DBTaskResult, *, reason: str, failed: bool, dry_run: bool) -> None:
    handler = LOST_TASK_HANDLERS.get(task.task_path)
    if handler is None:
        return
    arguments = task.args_kwargs or {}
    try:
        # A savepoint: tidying up must never keep the task itself from being re-queued or failed.
        with transaction.atomic(using=task._state.db):
            import_string(handler)(
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
