"""The production stack on the loopback interface, shared by scripts/loadtest.py and scripts/saturation.py.

Production settings (DEBUG off, a fresh SECRET_KEY, plain HTTP on 127.0.0.1), a PostgreSQL database on
127.0.0.1 created if missing, gunicorn started with gunicorn.conf.py and waited for on /healthz, a login that
keeps the session cookie, and the figures written between a script's markers in docs/PERFORMANCE.md.
"""

import os
import secrets
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import requests

PROJECT_DIR = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
PERFORMANCE_MD = PROJECT_DIR / "docs" / "PERFORMANCE.md"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


def add_stack_arguments(parser, *, database: str, entries: int, port: int) -> None:
    """The options of the stack a script runs against: its database and how far it is seeded, gunicorn's workers
    and port, and whether the figures go into docs/PERFORMANCE.md."""
    parser.add_argument(
        "--database-url",
        default=f"postgres://postgres@127.0.0.1:5432/{database}",
        help="PostgreSQL on 127.0.0.1 (default: %(default)s; created and seeded if needed)",
    )
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--entries", type=int, default=entries)
    parser.add_argument("--web-workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--port", type=int, default=port)
    parser.add_argument("--write", action="store_true", help="record the figures in docs/PERFORMANCE.md")


def prepare_database(env: dict, args, refusal: str) -> None:
    """The database of `args.database_url` created if missing (exit with `refusal` unless it is local), migrated
    and seeded to `args.contacts` and `args.entries` (idempotent), and the static files collected."""
    ensure_database(args.database_url, refusal)
    print("Migrating, collecting static files, seeding (idempotent)…", flush=True)
    manage(env, "migrate", "--verbosity", "0")
    manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    manage(env, "seed_demo", "--contacts", str(args.contacts), "--entries", str(args.entries))


def django_env(database_url: str, **extra: str) -> dict:
    """The environment of a production process on the loopback interface, with `extra` variables on top."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "crm.settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        # Plain HTTP on the loopback interface: no TLS in front of it here.
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_COOKIES": "false",
        "DATABASE_URL": database_url,
        "LOG_LEVEL": "WARNING",
        **extra,
    }


def manage(env: dict, *args: str, capture: bool = False) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=PROJECT_DIR,
        env=env,
        check=True,
        text=True,
        stdout=subprocess.PIPE if capture else None,
    )
    return result.stdout if capture else ""


def ensure_database(database_url: str, refusal: str) -> None:
    """Create the PostgreSQL database `database_url` names if missing; exit with `refusal` unless it is local."""
    url = urlparse(database_url)
    if url.scheme not in {"postgres", "postgresql"} or url.hostname not in LOCAL_HOSTS:
        sys.exit(refusal)
    import psycopg  # only the PostgreSQL runs need the driver at import time

    name = url.path.lstrip("/")
    with psycopg.connect(url._replace(path="/postgres").geturl(), autocommit=True) as connection:
        if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            connection.execute(f'CREATE DATABASE "{name}"')
            print(f"Created database {name}.")


def start_gunicorn(env: dict, port: int, workers: int, log_dir: Path) -> subprocess.Popen:
    """gunicorn (gunicorn.conf.py) on 127.0.0.1:`port`, its output in `log_dir`/gunicorn.log."""
    web_env = {**env, "GUNICORN_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": str(workers)}
    return subprocess.Popen(
        [str(Path(PYTHON).parent / "gunicorn")],
        cwd=PROJECT_DIR,
        env=web_env,
        stdout=(log_dir / "gunicorn.log").open("w"),
        stderr=subprocess.STDOUT,
    )


def wait_for_health(base_url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit("gunicorn exited during start-up; see its log.")
        try:
            if requests.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    sys.exit("gunicorn did not answer /healthz in time.")


def login(base_url: str, username: str, password: str) -> str:
    """Log in once and return the session cookie's value.

    Password hashing is deliberately slow (PBKDF2): a run that logged in per simulated user would measure the
    hasher, not the pages. Real users log in once and keep their session for weeks.
    """
    session = requests.Session()
    session.get(f"{base_url}/accounts/login/", timeout=30)
    response = session.post(
        f"{base_url}/accounts/login/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": session.cookies.get("csrftoken", "")},
        allow_redirects=False,
        timeout=30,
    )
    if response.status_code != 302 or "sessionid" not in session.cookies:
        sys.exit(f"Could not log in as {username}: {response.status_code}")
    return session.cookies["sessionid"]


def write_performance_md(block: str, start_marker: str, end_marker: str) -> None:
    """Put `block` (which begins with `start_marker` and ends with `end_marker`) in docs/PERFORMANCE.md, in place
    of the one between those markers there, or at the end."""
    PERFORMANCE_MD.parent.mkdir(exist_ok=True)
    text = PERFORMANCE_MD.read_text() if PERFORMANCE_MD.exists() else "# Performance\n"
    if start_marker in text and end_marker in text:
        text = text[: text.index(start_marker)] + block + text[text.index(end_marker) + len(end_marker) :]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    PERFORMANCE_MD.write_text(text)
