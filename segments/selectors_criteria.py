"""Reads for the saved criteria pages: the list, and each saved step in words."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from .models import SavedSegmentCriteria
from .selectors import describe_saved_steps

__all__ = ["saved_criteria_list", "describe_saved_steps"]


def saved_criteria_list() -> QuerySet:
    """Saved criteria with their number of steps (one GROUP BY, not a count per row) and who saved them."""
    return SavedSegmentCriteria.objects.select_related("user").annotate(step_count=Count("steps"))
