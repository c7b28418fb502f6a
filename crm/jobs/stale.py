"""Background jobs nobody works on any more (BackgroundJob.is_stale): say so, and mark them failed.

With TASKS_BACKEND=immediate a job runs in the web process right after the request commits, with no task row
and no worker lease: a web process killed mid-job (gunicorn timeout, restart, out of memory) leaves its job
"Running" for ever. A working job writes its heartbeat with every progress update, so one silent for
settings.BACKGROUND_JOB_STALE_AFTER seconds has stopped. The pages show it as stopped and offer to run it
again (`logged_segment_retry_delivery`, `segment_letters_prepare`); `manage.py recover_tasks` marks it failed
(`background_jobs_fail_stale`, over every job model registered in crm.jobs.registry), whichever the backend.
"""

from __future__ import annotations

from django.db.models.functions import Now
from django.utils import timezone

from . import registry
from .models import BackgroundJob

__all__ = ["background_job_stopped_message", "background_job_fail_if_stale", "background_jobs_fail_stale"]


def background_job_stopped_message(job: BackgroundJob) -> str:
    """What the pages say about a stale job (and what its error says once it is marked failed)."""
    since = timezone.localtime(job.last_sign_of_life).strftime("%Y-%m-%d %H:%M:%S")
    return f"Stopped: no progress since {since} (the process running it may have stopped)."


def background_job_fail_if_stale(job: BackgroundJob) -> bool:
    """Mark the job failed with the "stopped" reason if it is still stale; whether it was.

    One conditional UPDATE: a job that showed progress meanwhile (or finished) no longer matches and is left as
    it is, so a slow job that came back to life is never failed under its feet.
    """
    model = type(job)
    if not job.is_stale:
        return False
    reason = f"{background_job_stopped_message(job)} {model.RERUN_NOTE}"  # what a rerun does: the pages show it
    changed = (
        model.stale()
        .filter(pk=job.pk)
        .update(
            status=model.Status.FAILED, stage="Stopped", error=reason, finished_at=timezone.now(), heartbeat_at=Now()
        )
    )
    return bool(changed)


def background_jobs_fail_stale(options: registry.RecoveryOptions) -> int:
    """Mark every stale job of every registered job model failed (a recovery sweep); the number.

    A queued job whose task still waits in the database queue is left alone (BackgroundJob.is_stale): it is not
    lost, only waiting for a free worker (and the queue's own recovery looks after its task).
    """
    count = 0
    for model in registry.job_models():
        for job in model.stale().order_by("pk"):
            if job.is_stale if options.dry_run else background_job_fail_if_stale(job):
                count += 1
    return count
