"""Background tasks of the segments app (Django's Tasks API through the django-tasks backport).

The default backend (settings TASKS) runs a task in-process right away; with TASKS_BACKEND=database a
`manage.py db_worker` process runs them, so a large segment never holds a web request for minutes. Each task
runs a job module (`segments.log_job`, `segments.letter_download_job`); the services that queue them import this
module. The task paths are stored in queued rows of the database queue: keep them.
"""

from django_tasks import task

from crm.jobs.connections import survives_lost_connection

from .letter_download_job import letter_download_job_run
from .log_job import log_job_run
from .models import LogJob


@task()
@survives_lost_connection
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


@task()
@survives_lost_connection
def run_letter_download_job(job_id: int) -> None:
    """Write every letter of a big worksheet, or of a big logged segment, into one download (progress on its
    LetterDownloadJob row)."""
    letter_download_job_run(job_id)
