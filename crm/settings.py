"""Settings for the relationship-management product.

One flat module; every deploy-specific value comes from the environment through the small typed helpers
below, with safe defaults (DEBUG off, SECRET_KEY required unless DEBUG is on, SQLite in the project folder).
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: str = "False") -> bool:
    return os.getenv(name, default).strip().lower() in {"1", "true", "yes", "on"}


def envint(name: str, default: str) -> int:
    return int(os.getenv(name, default))


def envlist(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.getenv(name, default).split(",") if item.strip()]


DEBUG = envbool("DEBUG")
SECRET_KEY = os.getenv("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("Set the SECRET_KEY environment variable (or DEBUG=true for development).")
    SECRET_KEY = "development-only-insecure-key"

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "django_tables2",
    "django_htmx",
    "django_tasks",
    "axes",
    "crm",
    "interactions",
    "segments",
    # Not the product: demo data (`seed_demo`) and the benchmarks (`bench`), on top of the apps (see README).
    "demo",
    "bench",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "crm.middleware.RequestLogMiddleware",
    "crm.middleware.RequestSizeLimitMiddleware",
    "crm.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "crm.middleware.NotAllowedPageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes requires: turns a locked-out login into the "too many attempts" page.
    "axes.middleware.AxesMiddleware",
]

# Login throttling (django-axes, issue 14, docs/SECURITY.md): after AXES_FAILURE_LIMIT failed logins for one user
# name from one address, that pair is refused for AXES_COOLOFF_TIME hours, on the product's login and the
# admin's alike. The attempts are rows in the database, so every gunicorn worker and app server sees them.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend with a user's own and group permissions read in one query, not two (crm.auth_backend).
    "crm.auth_backend.OneQueryModelBackend",
]
AXES_FAILURE_LIMIT = envint("LOGIN_FAILURE_LIMIT", "5")
AXES_COOLOFF_TIME = envint("LOGIN_LOCKOUT_MINUTES", "15") / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

ROOT_URLCONF = "crm.site_urls"
WSGI_APPLICATION = "crm.wsgi.application"
ASGI_APPLICATION = "crm.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.getenv("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=envint("CONN_MAX_AGE", "60"),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A dead or unreachable database fails a request (and /healthz) within seconds instead of hanging a worker
    # for the operating system's TCP timeout (issue 14, docs/SECURITY.md).
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", envint("DATABASE_CONNECT_TIMEOUT", "5")
    )
    # A statement may not outlive the request that ran it: gunicorn.conf.py sets this to its worker timeout for
    # the web processes, so a query still running when gunicorn kills a stuck worker is cancelled by the server
    # too, instead of holding a core for minutes (docs/DEPLOY.md). Workers and commands run without a limit.
    if envint("DATABASE_STATEMENT_TIMEOUT", "0") > 0:
        DATABASES["default"]["OPTIONS"]["options"] = (
            f"-c statement_timeout={envint('DATABASE_STATEMENT_TIMEOUT', '0') * 1000}"
        )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers work while one writer commits; IMMEDIATE takes the write lock at BEGIN so two writers
    # queue on the busy timeout instead of failing with "database is locked" half-way through a transaction.
    # A 256 MB page cache (an upper bound, used only as needed) keeps the log-entry indexes in memory, which
    # halves set-based deletes and inserts over hundreds of thousands of rows.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
            "PRAGMA cache_size=-262144; PRAGMA temp_store=MEMORY; PRAGMA mmap_size=268435456;"
        ),
    }
    DATABASES["default"]["TEST"] = {"NAME": os.getenv("SQLITE_TEST_NAME") or None}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "crm:contact_list"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = os.getenv("TIME_ZONE", "Europe/Berlin")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.getenv("MEDIA_ROOT", str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# Uploads: a Word letter template is small; the merge engine has its own unpacked-size guard against zip bombs.
MAX_TEMPLATE_BYTES = envint("MAX_TEMPLATE_BYTES", str(10 * 1024 * 1024))
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
# The entries page's bulk actions take up to 10,000 selected entries (interactions.forms.MAX_SELECTED) plus a few
# other fields; Django's default of 1,000 fields answered a bare 400 well below that (issue 14, docs/SECURITY.md).
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_100

# E-mail: EMAIL_URL (smtp://user:pass@host:587?tls=1) or the usual settings; console backend in development.
EMAIL_URL = os.getenv("EMAIL_URL", "")
if EMAIL_URL:
    from urllib.parse import parse_qs, unquote, urlparse

    _mail = urlparse(EMAIL_URL)
    _query = parse_qs(_mail.query)
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = _mail.hostname or "localhost"
    EMAIL_PORT = _mail.port or 25
    EMAIL_HOST_USER = unquote(_mail.username or "")
    EMAIL_HOST_PASSWORD = unquote(_mail.password or "")
    EMAIL_USE_TLS = _query.get("tls", ["0"])[0] in {"1", "true"} or _mail.scheme == "submission"
    EMAIL_USE_SSL = _query.get("ssl", ["0"])[0] in {"1", "true"} or _mail.scheme == "smtps"
else:
    EMAIL_BACKEND = os.getenv(
        "EMAIL_BACKEND",
        "django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
    )
    EMAIL_HOST = os.getenv("EMAIL_HOST", "localhost")
    EMAIL_PORT = envint("EMAIL_PORT", "25")
    EMAIL_HOST_USER = os.getenv("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.getenv("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = envbool("EMAIL_USE_TLS")
DEFAULT_FROM_EMAIL = os.getenv("DEFAULT_FROM_EMAIL", "CRM <crm@example.com>")
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", "20")

# Background work (merging, sending, large segments) through Django's Tasks API (django-tasks backport).
# Default: run in-process right after the request commits, so the embedded setup stays one command.
# Production: TASKS_BACKEND=database and run `manage.py db_worker` on one or more machines (they share the
# queue through the database: each claims a task with SELECT … FOR UPDATE SKIP LOCKED), plus
# `manage.py recover_tasks --every 60` somewhere, which re-queues (or fails, with the reason) the task of a
# worker that died mid-job. The database backend holds a lease (a PostgreSQL advisory lock) while a task runs,
# which is how recover_tasks tells a dead worker from a slow one. See docs/DEPLOY.md.
TASKS_BACKEND = os.getenv("TASKS_BACKEND", "immediate")
TASKS = {
    "default": {
        "BACKEND": {
            "immediate": "django_tasks.backends.immediate.ImmediateBackend",
            "database": "crm.jobs.backend.LeasedDatabaseBackend",
            "dummy": "django_tasks.backends.dummy.DummyBackend",
        }[TASKS_BACKEND],
    }
}
# Always installed, whatever the backend: its migrations then run everywhere, so switching a deployment to
# TASKS_BACKEND=database needs no extra migrate step, and an empty table costs nothing.
INSTALLED_APPS.append("django_tasks_db")
# A worksheet with more lines than this merges "download all letters" in a background task, with progress on the
# page, instead of in the web request (segments.services.letter_jobs).
SEGMENT_LETTERS_DIRECT_MAX_LINES = envint("SEGMENT_LETTERS_DIRECT_MAX_LINES", "500")
# The same for "print cover sheets" (segments.services.cover_sheets): a PDF page costs far more than a merged
# letter (docs/PERFORMANCE.md, Cover sheets), so the limit is lower.
SEGMENT_COVER_SHEETS_DIRECT_MAX_LINES = envint("SEGMENT_COVER_SHEETS_DIRECT_MAX_LINES", "50")
# A queued or running background job (LogJob, LetterDownloadJob) with no progress for this many seconds is
# "stopped": a working job writes progress every few seconds, so its process is gone (with the in-process backend,
# a web process killed mid-job). The page then offers to run it again; recover_tasks marks it failed.
BACKGROUND_JOB_STALE_AFTER = envint("BACKGROUND_JOB_STALE_AFTER", "600")
# A working job writes its progress and heartbeat at most this often, and at least this often while it works
# (crm.jobs.heartbeat): time-based, so a slow batch never looks stopped.
BACKGROUND_JOB_HEARTBEAT_EVERY = envint("BACKGROUND_JOB_HEARTBEAT_EVERY", "5")

# Letters as PDF (interactions.letter_pdf): LibreOffice's `soffice`, the Python interpreter that has LibreOffice's
# `uno` module (Debian's python3-uno belongs to /usr/bin/python3), and how long one conversion may take before
# LibreOffice is stopped (a batch of letters gets PDF_SECONDS_PER_LETTER more per letter). Machines without
# LibreOffice offer the .docx instead; docs/DEPLOY.md says which machines need it.
LIBREOFFICE_SOFFICE = os.getenv("LIBREOFFICE_SOFFICE", "soffice")
LIBREOFFICE_PYTHON = os.getenv("LIBREOFFICE_PYTHON", "/usr/bin/python3")
PDF_CONVERSION_TIMEOUT = envint("PDF_CONVERSION_TIMEOUT", "60")
PDF_SECONDS_PER_LETTER = envint("PDF_SECONDS_PER_LETTER", "1")

# The company that appears on printed documents and letters.
COMPANY_NAME = os.getenv("COMPANY_NAME", "Northwind Traders Ltd")
COMPANY_ADDRESS = os.getenv("COMPANY_ADDRESS", "1 Harbour Street\nLondon EC1A 1AA\nUnited Kingdom")
COMPANY_VAT_ID = os.getenv("COMPANY_VAT_ID", "GB123456789")

# Pages kept per user until the data changes (crm.page_cache): how long at most (0: off; off by default with DEBUG,
# where a changed template must show on the next reload), and how many pages each web process keeps in its memory
# (a list page is 20-60 KB).
PAGE_CACHE_SECONDS = envint("PAGE_CACHE_SECONDS", "0" if DEBUG else "300")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "pages": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "pages",
        "OPTIONS": {"MAX_ENTRIES": envint("PAGE_CACHE_ENTRIES", "300")},
    },
}

# Security: production defaults, relaxed only when DEBUG is on.
SESSION_COOKIE_SECURE = not DEBUG and envbool("SECURE_COOKIES", "True")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = not DEBUG and envbool("SECURE_SSL_REDIRECT", "True")
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = 0 if DEBUG else envint("SECURE_HSTS_SECONDS", "31536000")
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Logs: one line per record on stdout, `key=value` (LOG_FORMAT=logfmt, default) or JSON (LOG_FORMAT=json), so
# `grep status=500` or a log shipper both work. crm.middleware.RequestLogMiddleware writes one line per request
# (logger crm.request: method, path, status, duration_ms, user); gunicorn's own access log is off.
LOG_FORMAT = os.getenv("LOG_FORMAT", "logfmt")
LOG_LEVEL = os.getenv("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "structured": {"()": "crm.logging.JsonFormatter" if LOG_FORMAT == "json" else "crm.logging.KeyValueFormatter"}
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": "structured"}
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Django logs 4xx/5xx on django.request too; keep its errors (with tracebacks), drop the 404 chatter that
        # our request line already records.
        "django.request": {"level": "ERROR"},
        "django.server": {"level": "WARNING"},
        "crm.request": {"level": os.getenv("REQUEST_LOG_LEVEL", "INFO")},
    },
}

# Django's form renderer, with the plain <input> and <select> widgets written out in Python: the same HTML without
# three or four template renders per field (crm.form_renderer, docs/PERFORMANCE.md).
FORM_RENDERER = "crm.form_renderer.FastWidgetRenderer"

DJANGO_TABLES2_TEMPLATE = "includes/table.html"
DJANGO_TABLES2_TABLE_ATTRS = {"class": "table"}
