"""Re-queue (or fail, with the reason) background tasks whose worker died mid-task, and put right what they and
other stopped processes left half-way (crm.jobs.recovery).

Run it every minute or so (`--every 60` loops; several copies are safe: each task is examined under a row lock
with SKIP LOCKED). On SQLite, which has no advisory locks, only `--older-than SECONDS` can say a worker is gone.
Each pass then marks failed the background jobs that have shown no progress for
settings.BACKGROUND_JOB_STALE_AFTER seconds (crm.jobs.stale), and runs the sweeps the apps registered in
crm.jobs.registry (e-mail entries whose sender is gone, or that no task is sending: interactions.sending).
"""

import time

from django.core.management.base import BaseCommand, CommandError

from crm.jobs.recovery import database_has_leases, recover_orphaned_tasks, recover_stale_jobs, run_sweeps
from crm.jobs.registry import RecoveryOptions


class Command(BaseCommand):
    help = "Re-queue or fail background tasks whose worker stopped mid-task."

    def add_arguments(self, parser):
        parser.add_argument(
            "--grace",
            type=float,
            default=30.0,
            help="Leave tasks claimed (and e-mail entries created) less than this many seconds ago alone (the "
            "worker takes its lease an instant after claiming). Default 30.",
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
        if not database_has_leases() and older_than is None:
            self.stderr.write("Without PostgreSQL there are no worker leases: pass --older-than SECONDS.")
        recovery = RecoveryOptions(dry_run=dry_run, reset_sending=reset_sending, grace=grace)
        verb = "would be" if dry_run else "were"
        while True:
            requeued, failed = recover_orphaned_tasks(
                grace=grace, max_attempts=max_attempts, older_than=older_than, dry_run=dry_run
            )
            self.stdout.write(f"{requeued} orphaned tasks {verb} re-queued, {failed} {verb} marked failed.")
            stale = recover_stale_jobs(recovery)
            if stale:
                self.stdout.write(f"{stale} stale background jobs {verb} marked failed.")
            for line in run_sweeps(recovery):
                self.stdout.write(line)
            if every is None:
                return
            time.sleep(every)
