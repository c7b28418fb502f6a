"""Background tasks (Django's Tasks API through the django-tasks backport).

The default backend runs a task in-process as soon as it is enqueued; services enqueue after commit, so the
request's transaction is never held open while a mail server answers. The task path is stored in queued rows of
the database queue (and named in interactions.sending.DELIVER_TASK_PATH): keep it.
"""

from django_tasks import task

from crm.jobs.connections import survives_lost_connection

from .sending import entries_deliver


@task()
@survives_lost_connection
def deliver_entries(entry_ids: list[int]) -> int:
    """E-mail the given log entries that are in progress or in error; returns how many were sent."""
    return entries_deliver(entry_ids)
