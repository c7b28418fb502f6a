"""Saved criteria outside a worksheet (saving and replaying them are worksheet steps, in criteria_steps.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction

from crm.audit import audit_record
from crm.models import AuditEvent

from ..models import SavedSegmentCriteria

if TYPE_CHECKING:
    from django.contrib.auth.models import User

__all__ = ["saved_criteria_delete"]


@transaction.atomic
def saved_criteria_delete(saved: SavedSegmentCriteria, *, user: User | None) -> None:
    """Delete saved criteria with their steps (docs/BEHAVIOUR.md §6). Worksheets that replayed them keep their own
    steps: reusing copies the steps, it does not point at them."""
    deleted, _ = SavedSegmentCriteria.objects.filter(pk=saved.pk).delete()
    if not deleted:
        raise ValidationError(f"Saved criteria {saved.code} no longer exists (someone deleted it already).")
    audit_record(
        AuditEvent.Action.SAVED_CRITERIA_DELETED,
        user=user,
        obj=saved.code,
        count=1,
        summary=f"Deleted saved criteria {saved.code}",
    )
