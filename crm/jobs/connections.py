"""A task that loses its database connection fails on its own, and its worker carries on (docs/DEPLOY.md).

django-tasks-db records a failed task on the connection the task used. When that connection dropped mid-task (a
database restart, a failover, a killed backend) the record fails too, and the `db_worker` process exits: Django
reconnects only a connection that was closed, and nothing closes a broken one between tasks. `survives_lost_connection`
wraps each task: when the task raises, every broken connection is closed (as Django does after each request), so
the worker records the failure on a fresh connection, the job's own row says what happened (its kind's lost
handler, crm.jobs.registry), and the next task runs. If the database stays away, the worker still exits, and its
supervisor restarts it (the systemd unit in docs/DEPLOY.md).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps

from django.db import DatabaseError, connections, transaction

from . import registry

__all__ = ["survives_lost_connection", "close_broken_connections"]

logger = logging.getLogger("crm.tasks")

LOST_CONNECTION_REASON = "The database connection was lost while running this job."


def close_broken_connections() -> list[str]:
    """Close every connection that has had an error and no longer answers; the aliases closed.

    Connections inside a transaction are left alone: whoever opened it owns the outcome (and, in the in-process
    backend, that is the web request's own cleanup)."""
    closed = []
    for connection in connections.all(initialized_only=True):
        if connection.connection is None or connection.in_atomic_block or not connection.errors_occurred:
            continue
        if not connection.is_usable():
            connection.close()
            closed.append(connection.alias)
    return closed


def survives_lost_connection(func: Callable) -> Callable:
    """Wrap a task function (under `@task()`): on a failure that broke a connection, reconnect and fail the job."""
    task_path = f"{func.__module__}.{func.__qualname__}"

    @wraps(func)
    def run(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except BaseException:
            if close_broken_connections():
                logger.warning("task lost its database connection", extra={"task": task_path})
                _fail_job(task_path, args, kwargs)
            raise

    return run


def _fail_job(task_path: str, args, kwargs) -> None:
    kind = registry.task_kind(task_path)
    if kind is None or kind.lost_handler is None:
        return
    try:
        with transaction.atomic():
            kind.lost_handler(*args, **kwargs, reason=LOST_CONNECTION_REASON, failed=True)
    except DatabaseError:  # the database is still away: the stale-job sweep of recover_tasks says so later
        logger.warning("could not mark the job failed", exc_info=True, extra={"task": task_path})
