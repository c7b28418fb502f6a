"""Small access helpers shared by every app's views (healthchecks-style)."""

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme

from .filenames import visible_filename


def require_perm(request, perm: str) -> None:
    """403 unless the user holds the permission: never a half-done change."""
    if not request.user.has_perm(perm):
        raise PermissionDenied


def error_messages(error: ValidationError) -> list[str]:
    if hasattr(error, "message_dict"):
        return [message for messages_ in error.message_dict.values() for message in messages_]
    return list(error.messages)


def add_validation_error(request, error: ValidationError) -> None:
    for message in error_messages(error):
        messages.error(request, message)


def add_refusal(request, error: Exception) -> None:
    """A service's refusal as the page's error messages: a ValidationError's messages, else the error's text (e.g.
    "LibreOffice is not installed")."""
    if isinstance(error, ValidationError):
        add_validation_error(request, error)
    else:
        messages.error(request, str(error))


def object_action(
    model, *, perm: str, refusals: tuple[type[Exception], ...] = (ValidationError,)
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """A view that acts on one object through a service: `perm` or 403 first, then the object by the URL's `pk`
    (404 when there is none), then the view, called with the object instead of the pk. When the service refuses
    (one of `refusals`), the user is back on the object's page with the reason as a message."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request, pk: int) -> HttpResponse:
            require_perm(request, perm)
            obj = get_object_or_404(model, pk=pk)
            try:
                return view(request, obj)
            except refusals as error:
                add_refusal(request, error)
                return redirect(obj)

        return wrapper

    return decorate


def add_service_error(form, error: ValidationError, *, fields: dict[str, str] | None = None) -> None:
    """Show a service's refusal on the form: on the field it names, else above the form.

    `fields` maps a service argument to the form field that carries it (e.g. company -> company_no).
    """
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, errors in error.error_dict.items():
        target = (fields or {}).get(name, name)
        form.add_error(target if target in form.fields else None, errors)


def safe_next(request, default: str, *, field: str = "next") -> str:
    """The POSTed `next` page to go back to, when it is on this site; else `default` (no open redirect)."""
    target = request.POST.get(field, "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def download_response(data: bytes, filename: str, content_type: str) -> HttpResponse:
    """A file the user downloads (a letter, an entry's document, a cover sheet): never cached by the browser."""
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, visible_filename(filename))
    response["Content-Length"] = str(len(data))
    response["Cache-Control"] = "private, no-store"
    return response
