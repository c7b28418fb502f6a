"""The one way to build a list page: `ListPageView` and its bounded, count-free pagination.

Every list page of the product is a `ListPageView` (contacts, documents, audit, log entries, segments, logged
segments, saved criteria) and the worksheet's lines use `LIST_PAGINATION` with django-tables2's RequestConfig.
What they share lives here once:

- the permission, checked before anything else (403 for a user without it);
- pagination through the table (`table_pagination`) with `BoundedLazyPaginator`: at most `MAX_PER_PAGE` rows
  whatever `?per_page=` says, no COUNT(*) over the whole table, and a page number too large for any table is a
  404, never an OFFSET the database overflows on (docs/SECURITY.md);
- the total under every list ("1–50 of 1,234", numbered pages): one capped count, and past `EXACT_COUNT_LIMIT`
  rows the database's own estimate of an unfiltered table ("about 1,000,000") or "more than 1,000", so a page
  over a million rows never counts them (`list_total`, docs/PERFORMANCE.md);
- the unknown-parameter check: a mistyped filter is named on the page (`unknown_params` in the context), never
  silently ignored;
- `filters_active` in the context: the filter panel (includes/filter_sidebar.html, a <details>) opens by itself
  only when a filter is set, so an unfiltered list has the screen's width.

django-filter's FilterView does the rest: an invalid bound filter form gives an empty list with the form's errors.
"""

import math
from dataclasses import dataclass
from functools import cached_property

from django.db import DatabaseError, connections
from django.db.models import QuerySet
from django.http import Http404
from django.utils.decorators import method_decorator
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin
from django_tables2.paginators import LazyPaginator

from ..access import require_perm
from ..filters import unknown_params
from ..page_cache import cached_page

PER_PAGE = 50
MAX_PER_PAGE = 200
# Far beyond any table (a billion rows at the largest page size), yet an OFFSET every database accepts.
MAX_PAGE = 5_000_000
# Up to this many rows a list's total is exact; counting further would cost a filtered page over a million rows
# more than its budget (docs/PERFORMANCE.md, List totals), so beyond it the total is an estimate or a lower bound.
EXACT_COUNT_LIMIT = 1_000


@dataclass(frozen=True)
class ListTotal:
    """How many rows a list has: exactly `rows`, about `rows` (the database's estimate), or more than `rows`."""

    rows: int
    kind: str = "exact"  # "exact", "about" or "more than"

    @property
    def exact(self) -> bool:
        return self.kind == "exact"

    def __str__(self) -> str:
        return f"{self.rows:,}" if self.exact else f"{self.kind} {self.rows:,}"


def _two_significant_digits(number: int) -> int:
    if number < 100:
        return number
    scale = 10 ** (len(str(number)) - 2)
    return round(number / scale) * scale


def estimated_rows(model, *, using: str = "default") -> int | None:
    """The database's own estimate of a table's rows, read from its statistics without touching the table:
    PostgreSQL's pg_class.reltuples, SQLite's sqlite_stat1 (written by ANALYZE). None when there is none."""
    connection = connections[using]
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(%s)", [f'"{table}"'])
        elif connection.vendor == "sqlite":
            try:
                # The first number of an index's statistics is the table's row count.
                cursor.execute("SELECT MAX(CAST(stat AS INTEGER)) FROM sqlite_stat1 WHERE tbl = %s", [table])
            except DatabaseError:
                # Never analysed: the statistics table does not exist. A statement that does not compile leaves
                # SQLite's transaction as it was.
                return None
        else:
            return None
        row = cursor.fetchone()
    # PostgreSQL says -1 for a table never analysed.
    return int(row[0]) if row and row[0] is not None and row[0] >= 0 else None


def _unfiltered(queryset: QuerySet) -> bool:
    """True when the list has no filter beyond its model's default manager's own. The log entries' manager leaves
    out the few postponed entries (interactions.models.LoggedEntryManager); their unfiltered page is still the
    whole table for an estimate that says "about" (docs/PERFORMANCE.md, Throughput at saturation)."""
    where = queryset.query.where
    return not where or where == queryset.model._default_manager.all().query.where


def list_total(queryset: QuerySet, *, at_least: int = 0, exact: bool = False) -> ListTotal:
    """The total of a list page, in one query up to EXACT_COUNT_LIMIT rows: the count of at most one row more than
    the limit. Beyond it, an unfiltered list (no WHERE but its default manager's) takes the table's estimate and
    says "about"; a filtered one says "more than 1,000". `at_least` is what the page itself has shown to exist (a
    deep page). `exact`: always the exact count, for a list whose rows are found through an index on what bounds
    it (a worksheet's lines)."""
    if exact:
        return ListTotal(queryset.order_by().count())
    estimate = None
    if _unfiltered(queryset):
        # A table the statistics put far past the limit is not counted at all: one query, not two, on the pages
        # whose query budget is 8 (docs/PERFORMANCE.md). Nearer the limit the estimate may be stale, so count.
        estimate = estimated_rows(queryset.model, using=queryset.db)
        if estimate is not None and estimate > 10 * EXACT_COUNT_LIMIT:
            return ListTotal(_two_significant_digits(max(estimate, at_least)), "about")
    capped = queryset.order_by().values("pk")[: EXACT_COUNT_LIMIT + 1].count()
    if capped <= EXACT_COUNT_LIMIT:
        return ListTotal(capped)
    if estimate is not None and estimate > EXACT_COUNT_LIMIT:
        return ListTotal(_two_significant_digits(max(estimate, at_least)), "about")
    return ListTotal(EXACT_COUNT_LIMIT, "more than")


class BoundedLazyPaginator(LazyPaginator):
    """django-tables2's LazyPaginator (the next page is known from one row more, never from a count) with the page
    size clamped to 1..MAX_PER_PAGE, and the page's place in the list: `total` (`list_total`), and on the page
    `first_row`, `last_row` and `links` (the numbered pages to offer; None is a gap).

    The clamp is here, in the paginator, because django-tables2's RequestConfig reads `?per_page=` from the query
    string itself after the view chose its page size; whatever reaches the paginator is bounded.
    """

    def __init__(self, object_list, per_page, *, exact_total: bool = False, **kwargs):
        self.exact_total = exact_total
        super().__init__(object_list, max(1, min(int(per_page), MAX_PER_PAGE)), **kwargs)

    def validate_number(self, number):
        number = super().validate_number(number)
        if number > MAX_PAGE:
            raise Http404("There is no such page.")
        return number

    def page(self, number):
        page = super().page(number)
        page.first_row = (page.number - 1) * self.per_page + 1 if page.object_list else 0
        page.last_row = page.first_row + len(page.object_list) - 1 if page.object_list else 0
        self.current = page
        return page

    def _queryset(self) -> QuerySet | None:
        # django-tables2 hands the table's rows over; the (sorted, filtered) queryset is their data's data.
        data = getattr(getattr(self.object_list, "data", None), "data", self.object_list)
        return data if isinstance(data, QuerySet) else None

    @cached_property
    def total(self) -> ListTotal:
        # Counted even when this page shows the end of the list: one query on every page, whatever the row count
        # (the query-count budget of docs/PERFORMANCE.md is per page, constant).
        queryset = self._queryset()
        if queryset is None:
            return ListTotal(len(self.object_list))
        return list_total(queryset, at_least=self.current.last_row + self.current.has_next(), exact=self.exact_total)

    @property
    def summary(self) -> str:
        """'1–50 of 1,234', 'about' or 'more than' past EXACT_COUNT_LIMIT."""
        page = self.current
        return f"{page.first_row:,}–{page.last_row:,} of {self.total}"

    @cached_property
    def links(self) -> list[int | None]:
        """Page numbers to link: the first, two either side of the current one, and the last when the total is
        exact; None marks a gap. Past an estimated total only the pages known to exist are offered."""
        page, total = self.current, self.total
        known_rows = total.rows if total.exact else max(EXACT_COUNT_LIMIT + 1, page.last_row + 1)
        last_known = max(1, math.ceil(known_rows / self.per_page))
        wanted = {1, *range(page.number - 2, page.number + 3)}
        if total.exact:
            wanted.add(last_known)
        numbers = sorted(n for n in wanted if 1 <= n <= last_known)
        links: list[int | None] = []
        for number in numbers:
            if links and number - links[-1] > 1:
                links.append(None)
            links.append(number)
        if not total.exact:
            links.append(None)
        return links


LIST_PAGINATION = {"per_page": PER_PAGE, "paginator_class": BoundedLazyPaginator}


class ListPageView(SingleTableMixin, FilterView):
    """A list page: `permission` to see it, a FilterSet (a crm.filters.ListFilterSet), a table (a
    crm.tables.BaseTable) and `get_queryset()` with the table's select_related."""

    permission: str
    table_pagination = LIST_PAGINATION
    http_method_names = ["get", "head"]

    # Kept per user until the data changes (crm.page_cache); the permission is checked whenever the page is built.
    @method_decorator(cached_page)
    def dispatch(self, request, *args, **kwargs):
        require_perm(request, self.permission)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["unknown_params"] = unknown_params(self.request.GET, self.filterset.filters)
        # The filter panel is folded away (a <details>) unless a filter is set, so the table has the width.
        context["filters_active"] = any(self.request.GET.get(name) for name in self.filterset.filters)
        return context
