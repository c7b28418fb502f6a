"""The saved criteria pages: the list, one saved criteria with its steps, and deleting it.

Marketing manages them; Sales and Viewer read them (every role may view); a user without a role gets 403.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST, require_safe

from crm.access import add_validation_error, require_perm
from crm.views.lists import ListPageView

from .. import services
from ..filters import SavedCriteriaFilter
from ..models import SavedSegmentCriteria
from ..selectors_criteria import describe_saved_steps, saved_criteria_list
from ..tables import SavedCriteriaTable

VIEW, DELETE = "segments.view_savedsegmentcriteria", "segments.delete_savedsegmentcriteria"


class SavedCriteriaListView(ListPageView):
    permission = VIEW
    table_class = SavedCriteriaTable
    filterset_class = SavedCriteriaFilter
    template_name = "segments/saved_criteria_list.html"

    def get_queryset(self):
        return saved_criteria_list()


@require_safe
def saved_criteria_detail(request, pk: int):
    require_perm(request, VIEW)
    saved = get_object_or_404(saved_criteria_list(), pk=pk)
    return render(
        request,
        "segments/saved_criteria_detail.html",
        {"saved": saved, "steps": describe_saved_steps(saved.steps.order_by("step"))},
    )


@require_POST
def saved_criteria_delete(request, pk: int):
    require_perm(request, DELETE)
    saved = get_object_or_404(SavedSegmentCriteria, pk=pk)
    try:
        services.saved_criteria_delete(saved, user=request.user)
    except ValidationError as error:
        add_validation_error(request, error)
    else:
        messages.success(request, f"Saved criteria {saved.code} was deleted.")
    return redirect("segments:saved_criteria_list")
