"""The audit trail: services call `audit_record` inside their transaction, saying what they did in readable words."""

from typing import Any

from .models import AuditEvent


def audit_record(
    action: str, *, user=None, obj: Any = None, count: int = 0, summary: str = "", **details: Any
) -> AuditEvent:
    """One audit row. `summary`: what happened in readable words, naming the entries or segments touched and their
    count, cut with "and N more" (crm.wording.named_list); `details` keep the same facts as data."""
    url = obj.get_absolute_url() if obj is not None and hasattr(obj, "get_absolute_url") else ""
    user = user if getattr(user, "is_authenticated", False) else None
    return AuditEvent.objects.create(
        action=action,
        user=user,
        object_repr=str(obj)[:200] if obj is not None else "",
        object_url=url[:200],
        count=count,
        summary=summary,
        details={key: _plain(value) for key, value in details.items()},
    )


def _plain(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    return str(value)
