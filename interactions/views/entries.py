"""The Interaction Log Entries page: list, detail, bulk actions, CSV export, delete canceled entries."""

import csv
import re
from contextlib import closing
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from crm.access import add_validation_error, require_perm, safe_next
from crm.views.lists import ListPageView
from crm.wording import count_of

from .. import letter_pdf, services
from ..filters import LogEntryFilter
from ..forms import MAX_SELECTED, BulkActionForm
from ..models import Evaluation, InteractionLogEntry
from ..tables import DEFAULT_COLUMNS, LogEntryTable

VIEW_PERM = "interactions.view_interactionlogentry"
CANCEL_PERM = "interactions.cancel_interactionlogentry"
DELETE_PERM = "interactions.delete_interactionlogentry"

RELATED_FOR_COLUMN = {
    "contact": "contact",
    "company": "contact_company",
    "template": "template",
    "group": "group",
    "salesperson": "salesperson",
    "user": "user",
}
# The one field of each joined row that its column shows (interactions.tables.CELLS).
SHOWN_FIELD_OF_RELATED = {
    "contact": "name",
    "contact_company": "name",
    "template": "code",
    "group": "code",
    "salesperson": "code",
    "user": "username",
}
# The entry's own columns: all but the merge values (a JSON document per letter, never shown here).
ENTRY_FIELDS = tuple(field.name for field in InteractionLogEntry._meta.concrete_fields if field.name != "merge_values")


def _plural(count: int, singular: str = "interaction log entry", plural: str = "interaction log entries") -> str:
    return count_of(count, singular, plural)


def selected_columns(request) -> list[str]:
    """?columns=a,b or ?columns=a&columns=b; unknown names are ignored, nothing chosen = the default set."""
    known = {name for name, _ in LogEntryTable.column_choices()}
    chosen = [name for raw in request.GET.getlist("columns") for name in raw.split(",") if name in known]
    return chosen or list(DEFAULT_COLUMNS)


def canonical_query(params) -> str:
    """The query string without empty values, and without ?columns= when it is the default set."""
    query = params.copy()
    for key in list(query):
        values = [value for value in query.getlist(key) if value != ""]
        if values:
            query.setlist(key, values)
        else:
            del query[key]
    if "columns" in query:
        chosen = [name for raw in query.getlist("columns") for name in raw.split(",") if name]
        if set(chosen) == set(DEFAULT_COLUMNS):
            del query["columns"]
        else:
            query.setlist("columns", [",".join(chosen)])
    return query.urlencode()


def _has_filters(filterset) -> bool:
    return any(value not in (None, "") for value in filterset.form.cleaned_data.values())


class LogEntryListView(ListPageView):
    permission = VIEW_PERM
    table_class = LogEntryTable
    filterset_class = LogEntryFilter
    template_name = "interactions/entry_list.html"

    def get(self, request, *args, **kwargs):
        canonical = canonical_query(request.GET)
        if canonical != request.GET.urlencode():
            # The filter form submits every field; keep the address short and shareable (only what is set).
            return redirect(f"{request.path}?{canonical}" if canonical else request.path)
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        # Join only what the shown columns read, and of each joined row only the field its column shows: the
        # contacts' and templates' other columns were two thirds of what a 50-row page read and turned into
        # objects (docs/PERFORMANCE.md, Throughput at saturation).
        shown = set(selected_columns(self.request))
        related = [RELATED_FOR_COLUMN[name] for name in shown if name in RELATED_FOR_COLUMN]
        joined_fields = [f"{relation}__{SHOWN_FIELD_OF_RELATED[relation]}" for relation in related]
        return InteractionLogEntry.objects.select_related(*related).only(*ENTRY_FIELDS, *joined_fields)

    def get_table(self, **kwargs):
        table = super().get_table(**kwargs)
        table.show_only(selected_columns(self.request), selectable=self.request.user.has_perm(CANCEL_PERM))
        return table

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query.pop("page", None)
        filter_query = query.copy()
        filter_query.pop("columns", None)
        shown = selected_columns(self.request)
        context.update(
            query=query.urlencode(),
            filter_query=filter_query.urlencode(),
            column_choices=[(name, label, name in shown) for name, label in LogEntryTable.column_choices()],
            max_selected=f"{MAX_SELECTED:,}",
            evaluation_choices=[c for c in Evaluation.choices if c[0]],
            next_url=self.request.get_full_path(),
            can_act=self.request.user.has_perm(CANCEL_PERM),
            can_delete=self.request.user.has_perm(DELETE_PERM),
        )
        return context


@require_safe
def entry_detail(request, pk: int):
    require_perm(request, VIEW_PERM)
    entry = get_object_or_404(
        InteractionLogEntry.objects.select_related(
            "contact",
            "contact_company",
            "template",
            "group",
            "salesperson",
            "user",
            "canceled_by",
            "logged_segment",
            "document",
            "merge_template",
        ),
        pk=pk,
    )
    uncancel_blocked = bool(entry.canceled and entry.logged_segment and entry.logged_segment.canceled)
    stored = entry.document or entry.merge_template
    return render(
        request,
        "interactions/entry_detail.html",
        {
            "entry": entry,
            # "Preview (PDF)": a printed PDF as it is, a Word letter converted where LibreOffice is installed.
            "document_is_pdf": stored is not None and stored.content_type == letter_pdf.PDF_CONTENT_TYPE,
            "document_is_word": stored is not None and letter_pdf.is_word_letter(stored.filename, stored.content_type),
            "pdf_available": letter_pdf.is_available(),
            "pdf_unavailable_message": letter_pdf.PDF_UNAVAILABLE_MESSAGE,
            "uncancel_blocked": uncancel_blocked,
            # Canceling asks whether to remove the letter too when this entry alone has it (reference 2.12).
            "owns_letter": not entry.canceled and services.log_entries_owning_letters([entry.pk]) > 0,
            "evaluation_choices": [c for c in Evaluation.choices if c[0]],
            "can_act": request.user.has_perm(CANCEL_PERM),
            "next_url": request.get_full_path(),
        },
    )


@require_POST
def entry_actions(request):
    """Bulk and row actions on the selected entries: one service call each, a message, back to the page."""
    require_perm(request, CANCEL_PERM)
    form = BulkActionForm(request.POST)
    back = safe_next(request, reverse("interactions:interaction_list"))
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(back)
    action, ids = form.cleaned_data["action"], form.cleaned_data["ids"]
    try:
        if action in ("cancel", "uncancel", "switch_canceled"):
            if action == "switch_canceled":
                # Business Central's "Switch Checkmark in Canceled": the opposite of the first selected row.
                first = InteractionLogEntry.objects.filter(pk=ids[0]).values_list("canceled", flat=True).first()
                canceled = not first
            else:
                canceled = action == "cancel"
            changed = services.log_entries_set_canceled(
                ids, canceled=canceled, user=request.user, remove_own_letters=form.cleaned_data["remove_letters"]
            )
            verb = "canceled" if canceled else "un-canceled"
            if changed:
                messages.success(
                    request, f"{_plural(changed).capitalize()} {'was' if changed == 1 else 'were'} {verb}."
                )
            else:
                messages.info(request, f"The selected entries were already {verb}.")
        elif action == "evaluate":
            evaluation = form.cleaned_data["evaluation"]
            changed = services.log_entries_evaluate(ids, evaluation=evaluation, user=request.user)
            label = Evaluation(evaluation).label.lower()
            messages.success(request, f"{_plural(changed).capitalize()} evaluated as {label}.")
        elif action == "resend":
            _resend(request, ids)
    except ValidationError as error:
        add_validation_error(request, error)
    return redirect(back)


def _resend(request, ids: list[int]) -> None:
    # Only queues: the delivery task sends after the commit, never this request (a slow mail server would hold it).
    queued = services.log_entries_resend(ids, user=request.user)
    count = len(queued)
    messages.success(
        request,
        f"{count:,} e-mail{'s are' if count != 1 else ' is'} queued to be sent again: the delivery status shows "
        "the outcome.",
    )


# --- CSV export -------------------------------------------------------------------------------------------------

CSV_COLUMNS = [
    ("Entry no.", "id"),
    ("Date", "date"),
    ("Time", "time"),
    ("Canceled", "canceled"),
    ("Attempt failed", "attempt_failed"),
    ("Delivery status", "delivery_status"),
    ("Delivery error", "delivery_error"),
    ("Correspondence type", "correspondence_type"),
    ("Group", "group__code"),
    ("Template", "template__code"),
    ("Description", "description"),
    ("Subject", "subject"),
    ("Information flow", "information_flow"),
    ("Initiated by", "initiated_by"),
    ("Contact no.", "contact__no"),
    ("Contact name", "contact__name"),
    ("Company no.", "contact_company__no"),
    ("Company name", "contact_company__name"),
    ("Evaluation", "evaluation"),
    ("Cost", "cost"),
    ("Duration (min.)", "duration_minutes"),
    ("Salesperson", "salesperson__code"),
    ("User", "user__username"),
    ("Segment no.", "segment_no"),
    ("Logged segment", "logged_segment_id"),
    ("Document type", "document_type"),
    ("Document no.", "document_no"),
    ("Version no.", "version_no"),
    ("Language", "language_code"),
    ("Canceled at", "canceled_at"),
    ("Created at", "created_at"),
]
EXPORT_SORTS = {"id", "-id", "date", "-date", "description", "-description", "entry_no", "-entry_no"}
# A formula starts a cell: at the start of the text, or after any character a spreadsheet may split cells on
# (Excel in German and French locales splits on `;`, others on `,`, tab or `|`), optionally after spaces.
FORMULA_START = re.compile(r"(^|[,;\t\r\n|])( *)(?=[=+\-@\t\r])")


def csv_safe(value) -> str:
    """A cell a spreadsheet will not run as a formula (CSV injection, docs/SECURITY.md): every = + - @ tab or CR
    that could start a cell, at the start or after a separator, gets a quote in front (`x;=cmd` → `x;'=cmd`)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, Decimal)):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return FORMULA_START.sub(r"\1\2'", str(value))


class _Echo:
    def write(self, value):
        return value


@require_safe
def export_csv(request):
    require_perm(request, VIEW_PERM)
    filterset = LogEntryFilter(request.GET, queryset=InteractionLogEntry.objects.all())
    if not filterset.is_valid():
        for error in [e for errors in filterset.form.errors.values() for e in errors]:
            messages.error(request, error)
        return redirect(f"{reverse('interactions:interaction_list')}?{request.GET.urlencode()}")
    sort = request.GET.get("sort", "-date")
    sort = sort if sort in EXPORT_SORTS else "-date"
    sort = sort.replace("entry_no", "id")
    ordering = (sort, "-id" if sort.startswith("-") else "id") if sort.lstrip("-") != "id" else (sort,)
    rows = filterset.qs.order_by(*ordering).values_list(*[field for _, field in CSV_COLUMNS])
    # Every cell quoted: a separator inside a value stays inside its cell for readers that honour quotes.
    writer = csv.writer(_Echo(), quoting=csv.QUOTE_ALL)

    def stream():
        yield "\ufeff"  # so spreadsheet programs read UTF-8
        yield writer.writerow([header for header, _ in CSV_COLUMNS])
        # Closed on every path (a client that goes away, a failing row): a server-side cursor left to the garbage
        # collector can hang the connection later (docs/SECURITY.md).
        with closing(rows.iterator(chunk_size=2000)) as cursor_rows:
            for row in cursor_rows:
                yield writer.writerow([csv_safe(value) for value in row])

    filename = f"interaction-log-entries-{timezone.localdate():%Y-%m-%d}.csv"
    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- delete canceled entries ------------------------------------------------------------------------------------


def delete_canceled(request):
    """GET: how many canceled entries match the page's filters; POST: delete them (the filters ride along in the
    query string, so the confirmation and the deletion see the same set)."""
    require_perm(request, DELETE_PERM)
    filterset = LogEntryFilter(request.GET, queryset=InteractionLogEntry.objects.all())
    valid = filterset.is_valid()
    unknown = filterset.unknown_params(request.GET)
    if valid and unknown:
        # A mistyped filter must not widen the delete to every canceled entry.
        filterset.form.add_error(None, f"Unknown filter{'s' if len(unknown) != 1 else ''}: {', '.join(unknown)}.")
        valid = False
    narrowing = filterset.qs if valid and _has_filters(filterset) else None
    list_url = (
        f"{reverse('interactions:interaction_list')}?{request.GET.urlencode()}"
        if request.GET
        else reverse("interactions:interaction_list")
    )
    if request.method == "POST":
        if not valid:
            messages.error(request, "Correct the filters first. Nothing was deleted.")
            return redirect(list_url)
        # The count the user confirmed: the service deletes only if exactly that many still match.
        expected = request.POST.get("expected", "")
        if not (expected.isascii() and expected.isdigit()):
            messages.error(request, "Confirm the number of entries to delete on this page first. Nothing was deleted.")
            return redirect(request.get_full_path())
        try:
            deleted = services.log_entries_delete_canceled(user=request.user, entries=narrowing, expected=int(expected))
        except ValidationError as error:
            add_validation_error(request, error)
            return redirect(request.get_full_path())
        messages.success(request, f"{_plural(deleted)} deleted.")
        return redirect(list_url)
    count = services.canceled_entries_to_delete(entries=narrowing).count() if valid else 0
    return render(
        request,
        "interactions/entry_delete_canceled.html",
        {
            "filter": filterset,
            "valid": valid,
            "count": count,
            "count_text": _plural(count),
            "list_url": list_url,
            "active_filters": _describe_filters(filterset) if valid else [],
            "query": request.GET.urlencode(),
        },
    )


def _describe_filters(filterset) -> list[str]:
    described = []
    for name, value in filterset.form.cleaned_data.items():
        if value in (None, ""):
            continue
        field = filterset.form.fields[name]
        if hasattr(field, "choices"):
            value = dict(field.choices).get(value, value)
        elif hasattr(value, "code"):
            value = value.code
        elif hasattr(value, "no"):
            value = value.no
        described.append(f"{field.label}: {value}")
    return described
