"""The one way to build a list page: `ListPageView` and its bounded, count-free pagination.

Every list page of the product is a `ListPageView` (contacts, documents, audit, log entries, segments, logged
segments, saved criteria) and the worksheet's lines use `LIST_PAGINATION` with django-tables2's RequestConfig.
What they share lives here once:

- the permission, checked before anything else (403 for a user without it);
- pagination through the table (`table_pagination`) with `BoundedLazyPaginator`: at most `MAX_PER_PAGE` rows
  whatever `?per_page=` says, no COUNT(*) over the whole table, and a page number too large for any table is a
  404, never an OFFSET the database overflows on (docs/SECURITY.md);
- the unknown-parameter check: a mistyped filter is named on the page (`unknown_params` in the context), never
  silently ignored.

django-filter's FilterView does the rest: an invalid bound filter form gives an empty list with the form's errors.
"""

from django.http import Http404
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin
from django_tables2.paginators import LazyPaginator

from ..access import require_perm
from ..filters import unknown_params

PER_PAGE = 50
MAX_PER_PAGE = 200
# Far beyond any table (a billion rows at the largest page size), yet an OFFSET every database accepts.
MAX_PAGE = 5_000_000


class BoundedLazyPaginator(LazyPaginator):
    """django-tables2's LazyPaginator (the next page is known from one row more, never from a count) with the page
    size clamped to 1..MAX_PER_PAGE.

    The clamp is here, in the paginator, because django-tables2's RequestConfig reads `?per_page=` from the query
    string itself after the view chose its page size; whatever reaches the paginator is bounded.
    """

    def __init__(self, object_list, per_page, **kwargs):
        super().__init__(object_list, max(1, min(int(per_page), MAX_PER_PAGE)), **kwargs)

    def validate_number(self, number):
        number = super().validate_number(number)
        if number > MAX_PAGE:
            raise Http404("There is no such page.")
        return number


LIST_PAGINATION = {"per_page": PER_PAGE, "paginator_class": BoundedLazyPaginator}


class ListPageView(SingleTableMixin, FilterView):
    """A list page: `permission` to see it, a FilterSet (a crm.filters.ListFilterSet), a table (a
    crm.tables.BaseTable) and `get_queryset()` with the table's select_related."""

    permission: str
    table_pagination = LIST_PAGINATION
    http_method_names = ["get", "head"]

    def dispatch(self, request, *args, **kwargs):
        require_perm(request, self.permission)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["unknown_params"] = unknown_params(self.request.GET, self.filterset.filters)
        return context
