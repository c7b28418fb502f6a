"""Reads for the saved criteria pages: the list, and each saved step in words."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count, QuerySet

from crm.filters import describe_criteria
from interactions.models import LoggedSegment

from .models import SavedSegmentCriteria, SavedSegmentCriteriaStep, SegmentCriteriaAction
from .selectors import OPTION_WORDS

Action = SegmentCriteriaAction.Action


def saved_criteria_list() -> QuerySet:
    """Saved criteria with their number of steps (one GROUP BY, not a count per row) and who saved them."""
    return SavedSegmentCriteria.objects.select_related("user").annotate(step_count=Count("steps"))


def describe_saved_steps(steps: Iterable[SavedSegmentCriteriaStep]) -> list[tuple[SavedSegmentCriteriaStep, str]]:
    """Each step with what replaying it does, in the worksheet's words ('Add contacts: city = Berlin [expand
    companies]'). Unlike a worksheet step a saved step has no count: it is replayed against other contacts."""
    steps = list(steps)
    logged_ids = [_logged_id(step) for step in steps if step.action == Action.REUSE_LOGGED]
    logged_nos = dict(
        LoggedSegment.objects.filter(pk__in=[pk for pk in logged_ids if pk]).values_list("pk", "segment_no")
    )
    return [(step, _describe(step, logged_nos)) for step in steps]


def _logged_id(step: SavedSegmentCriteriaStep) -> int | None:
    value = str((step.criteria or {}).get("logged_segment", ""))
    return int(value) if value.isdigit() else None


def _describe(step: SavedSegmentCriteriaStep, logged_nos: dict[int, str]) -> str:
    criteria = describe_criteria(step.criteria or {})
    options = [OPTION_WORDS.get(name, name) for name, on in (step.options or {}).items() if on]
    if step.action == Action.ADD_LINE:
        # A line added by hand ignores the exclusion flag by construction; saying so is noise.
        options = [option for option in options if option != "ignore exclusion"]
    suffix = f" [{', '.join(options)}]" if options else ""
    if step.action == Action.ADD:
        return f"Add contacts: {criteria}{suffix}"
    if step.action == Action.REDUCE:
        return f"Reduce contacts: {criteria}{suffix}"
    if step.action == Action.REFINE:
        return f"Refine contacts: {criteria}{suffix}"
    if step.action == Action.ADD_LINE:
        return f"Add a line by hand: {criteria}{suffix}"
    if step.action == Action.REMOVE_LINE:
        return f"Remove a line by hand: {criteria} (replayed as reduce)"
    if step.action == Action.REUSE_LOGGED:
        logged_id = _logged_id(step)
        segment_no = logged_nos.get(logged_id) if logged_id else None
        if segment_no:
            return f"Reuse logged segment {logged_id} ({segment_no})"
        return f"Reuse logged segment {logged_id or '?'} (deleted since: replaying this step is refused)"
    return f"{step.get_action_display()}: {criteria}"
