"""Background tasks of the segments app (Django's Tasks API through the django-tasks backport).

The default backend (settings TASKS) runs a task in-process right away; with TASKS_BACKEND=database a
`manage.py db_worker` process runs them, so a large segment never holds a web request for minutes.
"""

from django_tasks import task

from .models import LetterDownloadJob, LogJob
from .services.logging import log_job_run


@task()
def run_log_job(job_id: int) -> None:
    """Merge the letters and send the e-mail of one logged segment (progress on its LogJob row)."""
    try:
        log_job_run(job_id)
    except (KeyboardInterrupt, SystemExit):
        # A worker stopped by a second TERM (or Ctrl-C) aborts the job with SystemExit, which log_job_run's
        # handler of ordinary errors lets through: record it here, or the page would say "Running" for ever.
        LogJob.fail(
            job_id,
            stage="Stopped",
            only_active=True,
            error=f"The background worker was stopped while running this job. {LogJob.RERUN_NOTE}",
        )
        raise


def run_log_job_lost(job_id: int, *, reason: str, failed: bool, dry_run: bool = False) -> None:
    """The worker running `run_log_job(job_id)` is gone (called by `manage.py recover_tasks`).

    The job itself cannot record that (its process died), so without this its LogJob would say "Running" for
    ever. Failed (workers died on it too often): the LogJob is failed with the reason, which the logged segment
    page shows with its "Run the job again" button. Re-queued: it says "Queued" again until a worker reruns it.
    Either way the e-mail entries the dead worker left "sending" go back to "error" (they may have gone out).
    """
    if dry_run:
        return
    from interactions.models import DeliveryStatus, InteractionLogEntry
    from interactions.services.delivery import deliveries_recover_interrupted

    job = LogJob.objects.filter(pk=job_id).only("logged_segment_id").first()
    if job is None:  # deleted with its canceled logged segment
        return
    if failed:
        LogJob.fail(
            job_id,
            stage="Stopped",
            only_active=True,
            error=(
                f"The background worker stopped while running this job and it is not run again by itself. {reason} "
                f"{LogJob.RERUN_NOTE}"
            ),
        )
    else:
        LogJob.requeue_if_running(job_id, stage="Queued again: the worker running it stopped")
    sending = InteractionLogEntry.objects.filter(
        logged_segment_id=job.logged_segment_id, delivery_status=DeliveryStatus.SENDING
    )
    deliveries_recover_interrupted(list(sending.values_list("pk", flat=True)))


@task()
def run_letter_download_job(job_id: int) -> None:
    """Write every letter of a big worksheet, or of a big logged segment, into one download (progress on its
    LetterDownloadJob row)."""
    from .services.letter_jobs import letter_download_job_run

    letter_download_job_run(job_id)


def run_letter_download_job_lost(job_id: int, *, reason: str, failed: bool, dry_run: bool = False) -> None:
    """The worker running `run_letter_download_job(job_id)` is gone (a handler for `manage.py recover_tasks`).

    Without this the job would say "Running" for ever. Failed: the job says so, with the reason, and the page
    offers to ask for the letters again. Re-queued: it says "Queued" until a worker runs it again,
    which starts over (a half-written file is a temporary file, gone with the worker).
    """
    if dry_run:
        return
    if failed:
        LetterDownloadJob.fail(
            job_id,
            stage="Stopped",
            only_active=True,
            error=f"The background worker stopped while merging these letters. {reason} {LetterDownloadJob.RERUN_NOTE}",
        )
    else:
        LetterDownloadJob.requeue_if_running(job_id, stage="Queued again: the worker merging them stopped", done=0)
