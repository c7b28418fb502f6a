"""Background tasks of the segments app (Django's Tasks API through the django-tasks backport).

The default backend (settings TASKS) runs a task in-process right away; with TASKS_BACKEND=database a
`manage.py db_worker` process runs them, so a large segment never holds a web request for minutes.
"""

from django_tasks import task

from .services.logging import log_job_run


@task()
def run_log_job(job_id: int) -> None:
    """Merge the letters and send the e-mail of one logged segment (progress on its LogJob row)."""
    log_job_run(job_id)
