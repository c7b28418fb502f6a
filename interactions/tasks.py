"""Background tasks (Django's Tasks API through the django-tasks backport).

The default backend runs a task in-process as soon as it is enqueued; services enqueue after commit, so the
request's transaction is never held open while a mail server answers.
"""

from django_tasks import task


@task()
def deliver_entries(entry_ids: list[int]) -> int:
    """E-mail the given log entries that are in progress or in error; returns how many were sent."""
    from .services.delivery import entries_deliver

    return entries_deliver(entry_ids)
