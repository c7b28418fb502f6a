"""A probe task for the worker tests: it records each run, sleeps (so a test can kill it mid-job), then applies
its effect.

Its effect is deliberately NOT idempotent (a plain `applied = applied + 1`): if the task ever ran to the end
twice, the counter would say 2. The tables are plain SQL tables that the test creates and drops, so the probe
needs no model or migration in the app.
"""

import os
import time

from django.db import connection, transaction
from django_tasks import task

ATTEMPTS_TABLE = "worker_probe_attempt"
EFFECTS_TABLE = "worker_probe_effect"


def create_probe_tables() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {ATTEMPTS_TABLE} (job_key varchar(64) NOT NULL, pid integer NOT NULL)"
        )
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {EFFECTS_TABLE} (job_key varchar(64) PRIMARY KEY, applied integer NOT NULL)"
        )


def drop_probe_tables() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {ATTEMPTS_TABLE}")
        cursor.execute(f"DROP TABLE IF EXISTS {EFFECTS_TABLE}")


def probe_attempts(job_key: str) -> list[int]:
    """The process ids of the workers that started the job, in order."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT pid FROM {ATTEMPTS_TABLE} WHERE job_key = %s", [job_key])
        return [pid for (pid,) in cursor.fetchall()]


def probe_applied(job_key: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT applied FROM {EFFECTS_TABLE} WHERE job_key = %s", [job_key])
        row = cursor.fetchone()
        return row[0] if row else 0


@task()
def record_and_sleep(job_key: str, seconds: float) -> int:
    """Record this run (committed at once), sleep, then add 1 to the job's effect counter; returns the counter."""
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {ATTEMPTS_TABLE} (job_key, pid) VALUES (%s, %s)", [job_key, os.getpid()])
    time.sleep(seconds)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {EFFECTS_TABLE} (job_key, applied) VALUES (%s, 0) ON CONFLICT DO NOTHING", [job_key]
        )
        cursor.execute(f"UPDATE {EFFECTS_TABLE} SET applied = applied + 1 WHERE job_key = %s", [job_key])
    return probe_applied(job_key)
