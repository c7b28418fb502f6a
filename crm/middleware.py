"""One log line per request (logger `crm.request`): method, path, status, duration and the user's id; and the early
refusal of a request body larger than any upload (RequestSizeLimitMiddleware); the CSP header; the 405 page.

It sits right after SecurityMiddleware, so the duration covers everything below it, static files included,
and a response that an inner middleware turned into a redirect or a 403 is logged with its real status.
"""

import logging
import time

from django.conf import settings
from django.core.signals import request_finished
from django.http import HttpResponse, HttpResponseNotAllowed
from django.shortcuts import render
from django.utils.functional import empty

from crm.logging import request_done, request_in_flight, request_was_aborted

logger = logging.getLogger("crm.request")
# Sent when the response is closed, after its last byte (a streamed body included).
request_finished.connect(lambda **kwargs: request_done(), weak=False, dispatch_uid="crm.middleware.request_done")


class RequestLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        status = 500  # what the client gets if an exception escapes (Django's handler turns it into a 500)

        def fields(status=None):
            duration_ms = (time.perf_counter() - started) * 1000
            return {
                "method": request.method,
                "path": request.path,
                "status": status,
                "duration_ms": round(duration_ms, 1),
                "user": _user_id(request),
            }

        # Until the response is closed (a streamed download too), gunicorn's timeout hook can log this request as
        # killed (crm.logging.log_aborted_request, gunicorn.conf.py).
        request_in_flight(fields)
        try:
            response = self.get_response(request)
            status = response.status_code
            return response
        finally:
            if not request_was_aborted():  # the hook logged it as a timeout already
                level = logging.ERROR if status >= 500 else logging.INFO
                logger.log(level, "request", extra=fields(status))


def _user_id(request) -> int | None:
    """The logged-in user's id, without loading the user just for the log line (health checks, static files)."""
    user = request.__dict__.get("user")
    if user is None or getattr(user, "_wrapped", None) is empty:
        return None
    return user.pk if user.is_authenticated else None


# An upload may carry the largest file we accept (settings.MAX_TEMPLATE_BYTES) plus the form's other fields and
# the multipart framing: this much more.
UPLOAD_MARGIN_BYTES = 1024 * 1024


def request_body_limit() -> int:
    return settings.MAX_TEMPLATE_BYTES + UPLOAD_MARGIN_BYTES


class RequestSizeLimitMiddleware:
    """Refuse a request whose declared body is larger than any upload we accept, before reading any of it.

    Django spools an uploaded file to disk whatever its size and the form refuses it only afterwards; this answers
    413 on the Content-Length header alone, with the limit the upload forms name (interactions.validators). The
    reverse proxy should refuse it even earlier (client_max_body_size, docs/DEPLOY.md)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        declared = request.META.get("CONTENT_LENGTH") or ""
        if declared.isascii() and declared.isdigit() and int(declared) > request_body_limit():
            limit_mb = f"{settings.MAX_TEMPLATE_BYTES / (1024 * 1024):.1f}".removesuffix(".0")
            return HttpResponse(
                f"The file is too large (the limit is {limit_mb} MB). Nothing was uploaded.",
                status=413,
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)


# Scripts, styles, images and fonts from our own files only (static/, no CDN), nothing may frame a page, forms post
# only to us. No 'unsafe-inline': templates carry no inline script, handler or style attribute (tests check every
# page; docs/SECURITY.md).
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class ContentSecurityPolicyMiddleware:
    """Send the Content-Security-Policy header with every response (Django 5.2 has no built-in CSP)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        return response


class NotAllowedPageMiddleware:
    """Give a 405 (a view's require_POST / require_http_methods) the product's own page instead of an empty body.

    Django has no handler405: the views answer with a bare HttpResponseNotAllowed. Its Allow header is kept.
    htmx requests get the bare response (they swap fragments, never a whole page).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code != 405 or not isinstance(response, HttpResponseNotAllowed) or response.content:
            return response
        if request.headers.get("HX-Request"):
            return response
        page = render(request, "405.html", {"allowed": response.get("Allow", "")}, status=405)
        page["Allow"] = response.get("Allow", "")
        return page
