"""Small access helpers shared by every app's views (healthchecks-style)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError


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
