"""The production task backend: django-tasks-db's database queue, plus a lease that outlives no worker.

django-tasks-db claims a task by setting it RUNNING in a short transaction (SELECT … FOR UPDATE SKIP LOCKED,
so several `db_worker` processes on several machines never claim the same task) and then runs it with no lock
held. A worker killed mid-task (SIGKILL, OOM killer, a machine lost) therefore leaves the task RUNNING for
ever: the library has no heartbeat. We add one that costs nothing: while a task runs, its worker holds a
PostgreSQL session-level advisory lock keyed on the task id. PostgreSQL releases the lock the moment the
worker's connection goes away, so `manage.py recover_tasks` can tell a dead worker (lock free) from a slow one
(lock held) without guessing from run times, and re-queue or fail only the tasks whose worker is gone.

On SQLite there are no advisory locks (and no several machines); recover_tasks then falls back to an explicit
`--older-than` run-time limit.
"""

import logging
import uuid

from django.db import connections
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.compat import task_finished, task_started

logger = logging.getLogger("crm.tasks")

# First half of the two-integer advisory-lock key: our namespace, so a task lease never collides with an
# advisory lock taken elsewhere (PostgreSQL keeps the one-bigint and the two-int4 key spaces apart, too).
LEASE_NAMESPACE = 0x7A5C


class WorkerLost(Exception):
    """Recorded as the failure of a task whose worker stopped mid-task too many times (see recover_tasks)."""


class LeasedDatabaseBackend(DatabaseBackend):
    """DatabaseBackend whose worker holds a lease (an advisory lock) on each task while running it."""


def lease_key(task_id: str | uuid.UUID) -> tuple[int, int]:
    """The advisory-lock key of a task: (namespace, first 32 bits of its UUID as a signed int4)."""
    value = uuid.UUID(str(task_id))
    return LEASE_NAMESPACE, int.from_bytes(value.bytes[:4], "big", signed=True)


def lease_is_held(task_id: str | uuid.UUID, *, using: str = "default") -> bool:
    """Whether some worker holds the lease of this task now (PostgreSQL; False elsewhere, which has no leases).

    Read from pg_locks rather than by trying the lock: asking takes nothing, so a worker taking its lease at that
    instant never waits for us. The two-int4 form of a key shows as classid, objid (unsigned) and objsubid 2.
    """
    connection = connections[using]
    if connection.vendor != "postgresql":
        return False
    namespace, key = lease_key(task_id)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 2"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            " AND classid = %s::bigint::oid AND objid = %s::bigint::oid)",
            [namespace, key & 0xFFFFFFFF],
        )
        (held,) = cursor.fetchone()
    return bool(held)


def _is_ours(sender) -> bool:
    # The worker sends these signals with the backend instance as sender on success and with its class on
    # failure (django-tasks-db 0.13), so accept both.
    backend_class = sender if isinstance(sender, type) else type(sender)
    return issubclass(backend_class, LeasedDatabaseBackend)


def _lease_connection(task_result):
    connection = connections[task_result.db_result._state.db or "default"]
    return connection if connection.vendor == "postgresql" else None


def take_lease(sender, task_result, **kwargs) -> None:
    connection = _lease_connection(task_result) if _is_ours(sender) else None
    if connection is None:
        return
    # Blocking on purpose: recover_tasks holds the same key only for the instant it checks a task.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s, %s)", lease_key(task_result.id))


def release_lease(sender, task_result, **kwargs) -> None:
    connection = _lease_connection(task_result) if _is_ours(sender) else None
    if connection is None:
        return
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", lease_key(task_result.id))
    except Exception:  # noqa: BLE001 - a broken connection has released the lock already
        logger.warning("could not release task lease", exc_info=True, extra={"task_id": task_result.id})


# The library's only hooks around running a task are these signals, sent by the worker in the process that runs
# the task. Connected here, where the backend is defined, so every process that can run our backend's tasks has
# them; the receivers ignore other backends (the in-process ImmediateBackend needs no lease).
task_started.connect(take_lease, dispatch_uid="crm.jobs.backend.take_lease")
task_finished.connect(release_lease, dispatch_uid="crm.jobs.backend.release_lease")
