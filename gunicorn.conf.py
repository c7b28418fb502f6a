"""gunicorn settings, read from the environment (gunicorn loads ./gunicorn.conf.py on its own).

    .venv/bin/gunicorn            # crm.wsgi on 0.0.0.0:8000, WEB_CONCURRENCY workers

Every request is logged once, by crm.middleware.RequestLogMiddleware (method, path, status, duration, user), so
gunicorn's access log is off; gunicorn's own messages use the same key=value format on stdout.
"""

import multiprocessing
import os

wsgi_app = "crm.wsgi:application"
bind = os.getenv("GUNICORN_BIND", f"0.0.0.0:{os.getenv('PORT', '8000')}")

# Sync workers: the pages are short database-bound requests; more processes, not threads, use the cores.
workers = int(os.getenv("WEB_CONCURRENCY", str(multiprocessing.cpu_count() * 2 + 1)))
threads = int(os.getenv("GUNICORN_THREADS", "1"))
# A request that takes longer than this is killed (its worker restarted). Long work belongs in a task.
timeout = int(os.getenv("GUNICORN_TIMEOUT", "60"))
# ... and so is its database statement (PostgreSQL's statement_timeout, crm/settings.py): gunicorn's kill ends the
# worker, not the query the server is running for it.
os.environ.setdefault("DATABASE_STATEMENT_TIMEOUT", str(timeout))
# On SIGTERM (a rolling restart) workers finish the requests they have for up to this long, then stop.
graceful_timeout = int(os.getenv("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = int(os.getenv("GUNICORN_KEEPALIVE", "5"))
# Recycle a worker now and then, so a slow leak in any library never grows without bound.
max_requests = int(os.getenv("GUNICORN_MAX_REQUESTS", "5000"))
max_requests_jitter = max_requests // 10
# The reverse proxy in front sets X-Forwarded-Proto; trust it only from these addresses.
forwarded_allow_ips = os.getenv("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")


def worker_abort(worker):
    """gunicorn runs this in a worker it kills for taking longer than `timeout` (SIGABRT): log the request it was
    serving as failed (status=504 aborted=timeout), not with the 200 a streamed response had already logged."""
    # Imported here, in the worker: the master reads this file before the project is importable.
    from crm.logging import log_aborted_request

    log_aborted_request(reason="timeout")


accesslog = None
errorlog = "-"
loglevel = os.getenv("LOG_LEVEL", "info").lower()
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "structured": {
            "()": "crm.logging.JsonFormatter" if os.getenv("LOG_FORMAT") == "json" else "crm.logging.KeyValueFormatter"
        }
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": "structured"}
    },
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {
        "gunicorn.error": {"handlers": ["console"], "level": loglevel.upper(), "propagate": False},
        "gunicorn.access": {"handlers": [], "level": "CRITICAL", "propagate": False},
    },
}
