"""Production settings and serving: the deploy check, the health endpoint, the log line format, required secrets."""

import json
import logging
import os
import runpy
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
from django.db import OperationalError

from crm.logging import (
    JsonFormatter,
    KeyValueFormatter,
    request_done,
    request_in_flight,
    request_was_aborted,
)

PROJECT_DIR = Path(__file__).resolve().parents[1]
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "crm.settings",
    "DEBUG": "false",
    "SECRET_KEY": "production-test-Zq8v!w3#kL0p@x7rT2m$yN5b^cJ9h&fD4s*gA1e(uK6o)iQ",
    "ALLOWED_HOSTS": "crm.example.com",
}


# crm.settings_test (and the browser tests' conftest) relax these in this process's environment; the subprocess
# must see production defaults.
RELAXED_BY_TEST_SETTINGS = {
    "SECRET_KEY",
    "DEBUG",
    "SECURE_SSL_REDIRECT",
    "SECURE_COOKIES",
    "SECURE_HSTS_SECONDS",
    "ALLOWED_HOSTS",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
}


def manage(*args, **env) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if key not in RELAXED_BY_TEST_SETTINGS}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_deploy_check_is_clean_with_production_environment_variables():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION_ENV)

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_settings_refuse_to_start_without_a_secret_key():
    result = manage("check", **{**PRODUCTION_ENV, "SECRET_KEY": ""})

    assert result.returncode != 0
    assert "Set the SECRET_KEY environment variable" in result.stderr


def test_the_deploy_check_fails_when_https_hardening_is_switched_off():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION_ENV, SECURE_SSL_REDIRECT="false")

    assert result.returncode != 0
    assert "security.W008" in result.stderr


@pytest.mark.django_db
def test_the_health_check_answers_200_without_login_and_asks_the_database_once(client, django_assert_num_queries):
    with django_assert_num_queries(1):
        response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_the_health_check_answers_503_when_the_database_is_down_and_keeps_the_reason_for_the_log(client, caplog):
    broken = mock.Mock()
    reason = 'connection to server at "db.internal" (10.0.0.5), port 5432 failed: role "crm" does not exist'
    broken.cursor.side_effect = OperationalError(reason)
    with mock.patch("crm.views.health.connection", broken), caplog.at_level(logging.ERROR, logger="crm.views.health"):
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"status": "error"}
    assert "db.internal" not in response.content.decode()
    assert any("db.internal" in (record.exc_text or str(record.exc_info)) for record in caplog.records)


def test_a_postgresql_database_fails_fast_with_a_connect_timeout():
    code = "from django.conf import settings; print(settings.DATABASES['default']['OPTIONS']['connect_timeout'])"
    env = {**PRODUCTION_ENV, "DATABASE_URL": "postgres://crm@db.invalid:5432/crm"}
    assert manage("shell", "-c", code, **env).stdout.split()[-1] == "5"
    env["DATABASE_CONNECT_TIMEOUT"] = "2"
    assert manage("shell", "-c", code, **env).stdout.split()[-1] == "2"


def test_a_web_process_cancels_a_postgresql_statement_that_outlives_its_request(monkeypatch):
    code = "from django.conf import settings; print(settings.DATABASES['default']['OPTIONS'].get('options'))"
    env = {**PRODUCTION_ENV, "DATABASE_URL": "postgres://crm@db.invalid:5432/crm"}
    monkeypatch.delenv("DATABASE_STATEMENT_TIMEOUT", raising=False)  # as a worker or a command starts: no limit
    assert manage("shell", "-c", code, **env).stdout.split()[-1] == "None"
    env["DATABASE_STATEMENT_TIMEOUT"] = "60"
    assert manage("shell", "-c", code, **env).stdout.strip().splitlines()[-1] == "-c statement_timeout=60000"


def test_pages_are_kept_per_user_in_production_and_not_with_debug(monkeypatch):
    code = "from django.conf import settings; print(settings.PAGE_CACHE_SECONDS)"
    monkeypatch.delenv("PAGE_CACHE_SECONDS", raising=False)
    assert manage("shell", "-c", code, **PRODUCTION_ENV).stdout.split()[-1] == "300"
    assert manage("shell", "-c", code, DEBUG="true").stdout.split()[-1] == "0"  # a changed template shows at once
    assert manage("shell", "-c", code, **PRODUCTION_ENV, PAGE_CACHE_SECONDS="0").stdout.split()[-1] == "0"


def test_gunicorn_gives_its_workers_a_statement_timeout_equal_to_its_worker_timeout(monkeypatch):
    monkeypatch.delenv("DATABASE_STATEMENT_TIMEOUT", raising=False)
    monkeypatch.setenv("GUNICORN_TIMEOUT", "45")
    with mock.patch.dict(os.environ):
        config = runpy.run_path(str(PROJECT_DIR / "gunicorn.conf.py"))
        assert config["timeout"] == 45
        assert os.environ["DATABASE_STATEMENT_TIMEOUT"] == "45"
    assert "DATABASE_STATEMENT_TIMEOUT" not in os.environ


def request_lines(caplog) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == "crm.request"]


@pytest.mark.django_db
def test_every_request_is_logged_as_one_key_value_line_with_the_user(sales_client, salesperson_user, caplog):
    with caplog.at_level(logging.INFO, logger="crm.request"):
        sales_client.get("/contacts/?name=a%20b")

    (record,) = request_lines(caplog)
    line = KeyValueFormatter().format(record)
    assert "\n" not in line
    assert line.startswith("ts=")
    assert " level=INFO logger=crm.request msg=request method=GET path=/contacts/ status=200 duration_ms=" in line
    assert line.endswith(f" user={salesperson_user.pk}")


@pytest.mark.django_db
def test_anonymous_and_refused_requests_are_logged_with_their_status(client, stranger_client, caplog):
    with caplog.at_level(logging.INFO, logger="crm.request"):
        client.get("/contacts/")
        stranger_client.get("/contacts/")
        client.get("/healthz")

    statuses = [(record.path, record.status, record.user) for record in request_lines(caplog)]
    assert statuses[0] == ("/contacts/", 302, None)
    assert statuses[1][:2] == ("/contacts/", 403)
    assert statuses[2] == ("/healthz", 200, None)


def make_record(message: str, **extra) -> logging.LogRecord:
    record = logging.LogRecord("crm.tasks", logging.WARNING, __file__, 1, message, (), None)
    record.__dict__.update(extra)
    return record


def test_values_with_spaces_quotes_or_newlines_are_quoted_so_a_record_stays_on_one_line():
    line = KeyValueFormatter().format(make_record("task re-queued", task_id="abc", note='say "hi"\nbye'))

    assert line.endswith(' level=WARNING logger=crm.tasks msg="task re-queued" task_id=abc note="say \\"hi\\"\\nbye"')


def test_a_traceback_stays_on_the_same_line():
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord("crm", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())

    line = KeyValueFormatter().format(record)

    assert "\n" not in line
    assert 'exc="Traceback (most recent call last):\\n' in line
    assert "ValueError: boom" in line


def test_the_json_format_has_the_same_fields_one_object_per_line():
    line = JsonFormatter().format(make_record("task re-queued", task_id="abc", attempts=2))

    assert "\n" not in line
    fields = json.loads(line)
    assert {key: fields[key] for key in ("level", "logger", "msg", "task_id", "attempts")} == {
        "level": "WARNING",
        "logger": "crm.tasks",
        "msg": "task re-queued",
        "task_id": "abc",
        "attempts": 2,
    }
    assert fields["ts"].endswith("Z")


def test_the_async_safety_check_is_relaxed_only_inside_the_browser_tests():
    # tests/e2e relaxes it for its own package (Playwright's sync API runs an event loop); this module runs after
    # that package, so a module-level setting there would show here.
    assert "DJANGO_ALLOW_ASYNC_UNSAFE" not in os.environ


def test_every_control_character_is_escaped_so_a_value_cannot_forge_or_hide_part_of_a_line():
    # A newline forges a second record; ESC starts a terminal sequence; U+202E turns the rest around on screen;
    # U+2028 and NEL break lines in some viewers; a backslash must not be read as the start of an escape.
    forged = "Ada\r\nts=2026 level=INFO msg=login user=1\x1b[2J\u202eevil\u2028\x85\\x1b\x00end"
    line = KeyValueFormatter().format(make_record("contact saved", contact=forged))

    assert all(char.isprintable() for char in line)
    assert (
        ' contact="Ada\\r\\nts=2026 level=INFO msg=login user=1\\x1b[2J\\u202eevil\\u2028\\x85\\\\x1b\\x00end"' in line
    )

    json_line = JsonFormatter().format(make_record("contact saved", contact=forged))
    assert all(char.isprintable() for char in json_line)
    assert json.loads(json_line)["contact"] == (
        "Ada\r\nts=2026 level=INFO msg=login user=1\x1b[2J\\u202eevil\\u2028\\x85\\x1b\x00end"
    )


def load_gunicorn_config() -> dict:
    """gunicorn.conf.py as gunicorn reads it; the environment variables it sets for its workers stay in here."""
    with mock.patch.dict(os.environ):
        return runpy.run_path(str(PROJECT_DIR / "gunicorn.conf.py"))


def test_a_request_killed_by_gunicorns_timeout_is_logged_as_a_failure_not_200(caplog):
    """gunicorn calls worker_abort in the worker it kills; the streamed download it was serving had been logged
    with 200 when its headers went out."""
    request_in_flight(lambda: {"method": "GET", "path": "/segments/1/letters.zip", "status": 200, "user": 7})
    try:
        with caplog.at_level(logging.INFO, logger="crm.request"):
            load_gunicorn_config()["worker_abort"](worker=None)
        (record,) = request_lines(caplog)
        line = KeyValueFormatter().format(record)
        assert record.levelno == logging.ERROR
        assert " method=GET path=/segments/1/letters.zip status=504 user=7 aborted=timeout" in line
        assert request_was_aborted()
    finally:
        request_done()


@pytest.mark.django_db
def test_a_streamed_download_stays_in_flight_until_its_response_is_closed(marketer_client, caplog):
    with caplog.at_level(logging.INFO, logger="crm.request"):
        response = marketer_client.get("/interactions/export.csv")
        assert response.streaming
        load_gunicorn_config()["worker_abort"](worker=None)  # killed while the body streams
        response.close()
    statuses = [record.status for record in request_lines(caplog)]
    assert statuses == [200, 504]
    assert not request_was_aborted(), "cleared with the response"
