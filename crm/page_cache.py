"""Whole pages kept per user until the data changes (issue 18, docs/PERFORMANCE.md "Throughput at saturation").

A list page or a contact page costs 10-15 ms of Django's time to build, mostly the template and the table; a user
who pages back, reloads, or comes back from a form asks for the same HTML again. `cached_page` keeps each page a
logged-in user was shown (a 200, GET, no flash message) and serves it again while nothing was written since:

- **The data version.** `watch_writes` (installed on every database connection, crm.apps) sees each INSERT,
  UPDATE, DELETE or schema statement and raises the one-row DataVersion number after that transaction commits,
  whichever process wrote: a web request, a job worker, the admin, a management command. A page is kept under
  the number read *before* it was built, so a page built while a write committed is never served after it. A
  rolled-back transaction raises nothing. Writes to the session and login-attempt tables are not data a page
  shows, so they raise nothing either. A writer outside Django (psql) is not seen: PAGE_CACHE_SECONDS bounds
  how long such a page can live.
- **The key** is the data version, the user, the full path with its query string, today's date and the htmx
  request headers (a fragment is not the full page). A change of the user's permissions or groups is a write,
  so a page the user may no longer see is never served again from here; the view's own permission check runs
  on every page built.
- **The CSRF token** is the only per-request part of a page: it is kept as a placeholder and a fresh token for
  the request's own CSRF cookie is put in when the page is served. A page in which the token could not be
  found is not kept.

The pages are kept in the "pages" cache (settings.CACHES): each web process's own memory, bounded in entries.
PAGE_CACHE_SECONDS = 0 turns this off (the test suite does, except the tests that check it).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.cache import caches
from django.db import DatabaseError, connections, models
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.middleware.csrf import get_token
from django.utils import timezone

from .models import DataVersion

logger = logging.getLogger(__name__)

# Statements that read, or only steer the connection; anything else (INSERT, UPDATE, DELETE, CREATE, DROP,
# ALTER, TRUNCATE, COPY, a WITH that writes…) counts as a write.
_READS = ("SELECT", "SAVEPOINT", "RELEASE", "ROLLBACK", "PRAGMA", "SET", "SHOW", "EXPLAIN", "BEGIN", "COMMIT")
_WRITE_IN_WITH = re.compile(r"\b(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)
_TARGET = re.compile(r'^\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.IGNORECASE)
# Tables no page shows: the sessions, django-axes' login attempts, and the version row itself.
_UNSEEN_TABLES = frozenset(
    {"django_session", "axes_accessattempt", "axes_accessfailurelog", "axes_accesslog", "crm_dataversion"}
)
_CSRF_VALUE = re.compile(rb'(?:name="csrfmiddlewaretoken" value="|"X-CSRFToken": ")([A-Za-z0-9]+)"')
_CSRF_PLACEHOLDER = b"\x00csrf-token\x00"
# Headers a view sets that are replayed with its kept page (the middleware adds the others on every response).
_SKIPPED_HEADERS = frozenset({"content-length", "set-cookie"})


def is_write(sql: str) -> bool:
    """Whether the statement may change a table a page shows."""
    head = sql.lstrip(" \t\r\n(")[:9].upper()  # "(SELECT …) UNION (SELECT …)" reads too
    if head.startswith(_READS):
        return False
    if head.startswith("WITH") and not _WRITE_IN_WITH.search(sql):
        return False
    target = _TARGET.match(sql)
    return not (target and target.group(1).lower() in _UNSEEN_TABLES)


def raise_data_version(using: str) -> None:
    """Raise the data version by one (in autocommit, after the writing transaction committed)."""
    try:
        if not DataVersion.objects.using(using).filter(pk=1).update(number=models.F("number") + 1):
            DataVersion.objects.using(using).get_or_create(pk=1)
    except DatabaseError:
        # The commit stands, and this process forgets the pages it kept; another process's kept pages live at
        # most PAGE_CACHE_SECONDS. Said only when the table is there: before its migration (a new database being
        # migrated) there is nothing to keep current.
        caches["pages"].clear()
        connection = connections[using]
        if DataVersion._meta.db_table in connection.introspection.table_names():
            logger.warning("could not raise the data version", exc_info=True, extra={"database": using})


def _raises_data_version(callback: Any) -> bool:
    return getattr(callback, "func", None) is raise_data_version


def watch_writes(execute: Callable, sql: str, params: Any, many: bool, context: dict) -> Any:
    """A database execute wrapper (Django's connection.execute_wrappers): after a write, the data version is
    raised once the transaction commits (at once in autocommit)."""
    result = execute(sql, params, many, context)
    connection = context["connection"]
    # Only the configured databases: not Django's own short-lived one for CREATE DATABASE in the tests.
    if connection.alias in connections.settings and is_write(str(sql)):
        # Once per transaction: a rolled-back one drops its callbacks, so the next transaction registers again.
        if not any(_raises_data_version(callback) for _, callback, _ in connection.run_on_commit):
            # Robust: a failure here must not make the committed change look failed to its caller.
            connection.on_commit(functools.partial(raise_data_version, connection.alias), robust=True)
    return result


def install_write_watch(sender: Any, connection: Any, **kwargs: Any) -> None:
    """connection_created receiver: every connection, in every process, reports its writes."""
    if watch_writes not in connection.execute_wrappers:
        connection.execute_wrappers.append(watch_writes)


def data_version(using: str = "default") -> int:
    number = DataVersion.objects.using(using).filter(pk=1).values_list("number", flat=True).first()
    if number is None:  # a flushed database (the tests'): the row comes back
        number = DataVersion.objects.using(using).get_or_create(pk=1)[0].number
    return number


def _page_key(request: HttpRequest, version: int) -> str:
    htmx = sorted((name.lower(), value) for name, value in request.headers.items() if name.lower().startswith("hx-"))
    parts = [str(version), str(request.user.pk), request.get_full_path(), timezone.localdate().isoformat(), repr(htmx)]
    return "page:" + hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _keepable(request: HttpRequest, response: HttpResponseBase) -> bytes | None:
    """The page's content with its CSRF token as the placeholder, or None when it must not be kept."""
    if (
        not isinstance(response, HttpResponse)  # a streamed or file response is never kept
        or response.status_code != 200
        or response.cookies
        or len(messages.get_messages(request))
    ):
        return None
    content = response.content
    tokens = set(_CSRF_VALUE.findall(content))
    if request.META.get("CSRF_COOKIE_NEEDS_UPDATE") and not tokens:
        return None  # a token was made for this page but is not where it can be replaced
    for token in tokens:
        content = content.replace(token, _CSRF_PLACEHOLDER)
    return content


def _served_again(request: HttpRequest, kept: tuple[bytes, list[tuple[str, str]]]) -> HttpResponse:
    content, headers = kept
    if _CSRF_PLACEHOLDER in content:
        content = content.replace(_CSRF_PLACEHOLDER, get_token(request).encode())
    response = HttpResponse(content)
    for name, value in headers:
        response[name] = value
    return response


def cached_page(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Serve the page again while the data version, the user and the URL are the same (see the module)."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        seconds = settings.PAGE_CACHE_SECONDS
        if (
            not seconds
            or request.method != "GET"
            or not request.user.is_authenticated
            or len(messages.get_messages(request))
        ):
            return view(request, *args, **kwargs)
        pages = caches["pages"]
        key = _page_key(request, data_version())
        kept = pages.get(key)
        if kept is not None:
            return _served_again(request, kept)
        response = view(request, *args, **kwargs)
        render = getattr(response, "render", None)
        if callable(render) and not getattr(response, "is_rendered", True):
            response = render()
        content = _keepable(request, response)
        if content is not None:
            headers = [(name, value) for name, value in response.items() if name.lower() not in _SKIPPED_HEADERS]
            pages.set(key, (content, headers), seconds)
        return response

    return wrapped
