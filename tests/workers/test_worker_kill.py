"""A real `manage.py db_worker` killed with SIGKILL mid-job: the job is run again by another worker, once.

PostgreSQL only: the worker lease is a PostgreSQL advisory lock, and several worker processes sharing one SQLite
file is not a setup we support.
"""

import os
import signal
import subprocess
import sys
import time
from io import StringIO
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from .tasks import create_probe_tables, drop_probe_tables, probe_applied, probe_attempts, record_and_sleep

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        "postgresql" not in settings.DATABASES["default"]["ENGINE"],
        reason="needs PostgreSQL: the worker lease is an advisory lock, and SQLite is not a multi-worker setup",
    ),
    pytest.mark.django_db(transaction=True),
]

PROJECT_DIR = Path(__file__).resolve().parents[2]
DATABASE_BACKEND = {"default": {"BACKEND": "crm.jobs.backend.LeasedDatabaseBackend"}}


@pytest.fixture
def probe_tables():
    create_probe_tables()
    yield
    drop_probe_tables()


@pytest.fixture
def database_tasks(settings):
    settings.TASKS = DATABASE_BACKEND


@pytest.fixture
def start_worker(tmp_path):
    """Start `manage.py db_worker` processes against the test database; kills any still running at the end."""
    started: list[subprocess.Popen] = []
    db = connection.settings_dict
    credentials = quote(db["USER"] or "") + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    database_url = f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "crm.settings",
        "DEBUG": "false",
        "SECRET_KEY": "worker-test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        "ALLOWED_HOSTS": "localhost",
        "TASKS_BACKEND": "database",
        "DATABASE_URL": database_url,
        "CONN_MAX_AGE": "0",
    }

    def start(worker_id: str) -> subprocess.Popen:
        log = (tmp_path / f"{worker_id}.log").open("w")
        command = [
            sys.executable,
            "manage.py",
            "db_worker",
            "--interval",
            "0.1",
            "--no-startup-delay",
            "--no-reload",
            "--worker-id",
            worker_id,
        ]
        process = subprocess.Popen(command, cwd=PROJECT_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def wait_until(condition, *, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"Timed out after {timeout:.0f} s waiting for {what}.")


def recover(*, grace: float = 0) -> str:
    out = StringIO()
    call_command("recover_tasks", "--grace", str(grace), stdout=out)
    return out.getvalue()


def test_a_job_whose_worker_is_killed_mid_run_is_run_again_by_another_worker_and_completes_exactly_once(
    probe_tables, database_tasks, start_worker
):
    result = record_and_sleep.enqueue("job-1", 3.0)
    worker_a = start_worker("worker-a")

    wait_until(lambda: probe_attempts("job-1"), timeout=20, what="worker A to start the job")
    assert DBTaskResult.objects.get(id=result.id).status == TaskResultStatus.RUNNING
    assert "0 orphaned tasks were re-queued" in recover(), "a live worker's task must be left alone"

    worker_a.send_signal(signal.SIGKILL)
    worker_a.wait(timeout=10)
    assert probe_applied("job-1") == 0, "killed before its effect"
    assert DBTaskResult.objects.get(id=result.id).status == TaskResultStatus.RUNNING, "the library leaves it orphaned"

    # PostgreSQL drops the dead worker's lease when it notices the connection is gone (at once, normally).
    wait_until(lambda: "1 orphaned tasks were re-queued" in recover(), timeout=10, what="the task to be re-queued")
    assert DBTaskResult.objects.get(id=result.id).status == TaskResultStatus.READY

    worker_b = start_worker("worker-b")
    wait_until(
        lambda: DBTaskResult.objects.get(id=result.id).status in {TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED},
        timeout=25,
        what="worker B to finish the job",
    )

    finished = DBTaskResult.objects.get(id=result.id)
    assert finished.status == TaskResultStatus.SUCCESSFUL, finished.traceback
    assert finished.worker_ids == ["worker-a", "worker-b"]
    assert finished.return_value == 1
    assert probe_applied("job-1") == 1, "the job's effect is applied exactly once"
    assert probe_attempts("job-1") == [worker_a.pid, worker_b.pid]
    assert "0 orphaned tasks were re-queued" in recover(), "nothing left to recover"
