"""One log line per request (logger `crm.request`): method, path, status, duration and the user's id.

It sits right after SecurityMiddleware, so the duration covers everything below it, static files included,
and a response that an inner middleware turned into a redirect or a 403 is logged with its real status.
"""

import logging
import time

from django.utils.functional import empty

logger = logging.getLogger("crm.request")


class RequestLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        status = 500  # what the client gets if an exception escapes (Django's handler turns it into a 500)
        try:
            response = self.get_response(request)
            status = response.status_code
            return response
        finally:
            duration_ms = (time.perf_counter() - started) * 1000
            level = logging.ERROR if status >= 500 else logging.INFO
            logger.log(
                level,
                "request",
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": status,
                    "duration_ms": round(duration_ms, 1),
                    "user": _user_id(request),
                },
            )


def _user_id(request) -> int | None:
    """The logged-in user's id, without loading the user just for the log line (health checks, static files)."""
    user = request.__dict__.get("user")
    if user is None or getattr(user, "_wrapped", None) is empty:
        return None
    return user.pk if user.is_authenticated else None
