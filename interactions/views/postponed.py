"""Postponed Interactions (reference 2.1, Finish later; docs/BEHAVIOUR.md §2): the list, Resume and Delete.

Who sees what: every user their own postponed entries (they are drafts of the user who started them); a superuser
everyone's (interactions.services.postponed_entries_for). The page needs the permission to create interactions.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from crm.access import add_validation_error, require_perm
from crm.views.lists import ListPageView

from ..filters import PostponedEntryFilter
from ..services import interaction_delete_postponed, postponed_entries_for
from ..tables import PostponedEntryTable

CREATE_PERM = "interactions.add_interactionlogentry"


class PostponedEntryListView(ListPageView):
    permission = CREATE_PERM
    table_class = PostponedEntryTable
    filterset_class = PostponedEntryFilter
    template_name = "interactions/postponed_list.html"

    def get_queryset(self):
        return (
            postponed_entries_for(self.request.user)
            .select_related("contact", "template", "user")
            .defer("merge_values")
            .order_by("-id")
        )


def resume_url(entry) -> str:
    return f"{reverse('interactions:interaction_create')}?resume={entry.pk}"


@require_POST
def postponed_delete(request, pk: int):
    require_perm(request, CREATE_PERM)
    entry = get_object_or_404(postponed_entries_for(request.user), pk=pk)
    try:
        interaction_delete_postponed(entry, user=request.user)
    except ValidationError as error:
        add_validation_error(request, error)
    else:
        messages.success(request, f"Postponed interaction {pk} “{entry.description}” was deleted.")
    return redirect("interactions:postponed_list")
