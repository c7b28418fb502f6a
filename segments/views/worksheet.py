"""The worksheet pages: the list of unlogged segments, a new segment, and THE worksheet with its actions.

Thin views: permission first (403), form validation, one service call, a message, a redirect. A refused step
re-renders the worksheet with the user's criteria still filled in and the reason shown.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from contextlib import closing
from functools import wraps

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_tables2 import RequestConfig

from crm.access import add_service_error, add_validation_error, error_messages, require_perm
from crm.filters import PAGE_PARAMS, describe_criteria, filter_contacts, unknown_params
from crm.ids import parse_id
from crm.views.lists import LIST_PAGINATION, ListPageView
from crm.wording import count_of, end_sentence
from interactions import letter_pdf
from interactions.validators import check_upload_size
from interactions.views.entries import csv_safe

from .. import services
from ..filters import SegmentFilter, SegmentLineFilter
from ..forms import (
    ApplyMailingGroupForm,
    CriteriaStepForm,
    LetterUploadForm,
    LineAddForm,
    ReuseCriteriaForm,
    ReuseLoggedForm,
    SaveCriteriaForm,
    SegmentHeaderEditForm,
    SegmentHeaderForm,
    SegmentLineForm,
    criteria_filter,
    criteria_from,
)
from ..models import SavedSegmentCriteria, Segment, SegmentLine
from ..selectors import (
    LineResolver,
    describe_step,
    describe_steps,
    logged_segment_of_worksheet,
    worksheet_lines,
    worksheet_segments,
)
from ..tables import SegmentLineTable, SegmentTable
from .common import ADD, CHANGE, DELETE, VIEW
from .common import get_line as _line
from .common import get_segment as _segment
from .letters import letter_jobs_context


class SegmentListView(ListPageView):
    permission = VIEW
    table_class = SegmentTable
    filterset_class = SegmentFilter
    template_name = "segments/segment_list.html"

    def get_queryset(self):
        return worksheet_segments()


def segment_create(request):
    """A new worksheet. ContactFilter parameters in the query string (the contact list's "New segment from these
    filters") become its first Add step; the form posts back to the same query string."""
    require_perm(request, ADD)
    criteria = {k: v for k, v in request.GET.items() if k not in PAGE_PARAMS and v.strip()}
    form = SegmentHeaderForm(request.POST or None)
    criteria_text, criteria_error, matching = "", [], None
    if criteria:
        try:
            matching = filter_contacts(criteria).filter(privacy_blocked=False, exclude_from_segment=False).count()
            criteria_text = describe_criteria(criteria)
        except ValidationError as error:
            criteria_error = error_messages(error)
    if request.method == "POST" and form.is_valid() and not criteria_error:
        try:
            segment = services.segment_create(user=request.user, criteria=criteria or None, **form.service_fields())
        except ValidationError as error:
            add_service_error(form, error)
        else:
            text = f"Segment {segment.no} was created."
            if criteria:
                added = segment.criteria_actions.get().affected
                text += f" {added:,} contact{'s' if added != 1 else ''} added ({criteria_text})."
            messages.success(request, text)
            return redirect(segment)
    return render(
        request,
        "segments/segment_form.html",
        {
            "form": form,
            "criteria": criteria,
            "criteria_text": criteria_text,
            "criteria_error": criteria_error,
            "matching": matching,
            "query": request.GET.urlencode(),
        },
    )


@require_safe
def segment_page(request, pk: int):
    """The worksheet (GET). Actions re-render it through segment_detail with their errors.

    Logging deletes the worksheet: its URL (bookmarked, in the history, in a second tab) then leads to the logged
    segment it became, with a message saying so, rather than to a 404.
    """
    require_perm(request, VIEW)
    if not Segment.objects.filter(pk=pk).exists():
        logged = logged_segment_of_worksheet(pk)
        if logged is not None:
            messages.info(request, f"{logged.segment_no} was logged as logged segment {logged.pk}.")
            return redirect(logged)
    return segment_detail(request, pk)


def segment_detail(request, pk: int, *, criteria_data=None, step_form=None, status: int = 200, forms=None):
    require_perm(request, VIEW)
    segment = _segment(pk)
    resolver = LineResolver.for_segment(segment)
    # A worksheet page is GET; the actions that re-render it with their errors are POSTs and show the lines as
    # they are, unfiltered.
    query = request.GET if request.method == "GET" else {}
    line_filter = SegmentLineFilter(query or None, queryset=worksheet_lines(segment), segment=segment)
    line_filter.form.auto_id = "lines_%s"  # the criteria form on the same page has fields of the same names
    # As on every list page: a filter that does not validate shows its error and no lines, never all of them.
    lines = line_filter.qs if not line_filter.is_bound or line_filter.is_valid() else line_filter.queryset.none()
    table = SegmentLineTable(lines, resolver=resolver)
    # A worksheet's lines are found through the (segment, id) index: the total is exact, whatever their number.
    RequestConfig(request, paginate={**LIST_PAGINATION, "exact_total": True}).configure(table)
    unsendable, unsendable_count = services.unsendable_lines(segment)
    steps = list(segment.criteria_actions.select_related("user").order_by("step"))
    forms = forms or {}
    line_count = segment.lines.count()
    context = {
        "segment": segment,
        "table": table,
        "line_count": line_count,
        **letter_jobs_context(segment, line_count=line_count),
        "steps": describe_steps(steps),
        "header_form": forms.get("header") or SegmentHeaderEditForm(instance=segment, prefix="h"),
        "criteria_form": criteria_filter(criteria_data).form,
        "step_form": step_form or CriteriaStepForm(),
        "save_form": forms.get("save") or SaveCriteriaForm(),
        "reuse_form": forms.get("reuse") or ReuseCriteriaForm(),
        "reuse_logged_form": forms.get("reuse_logged") or ReuseLoggedForm(),
        "mailing_group_form": ApplyMailingGroupForm(),
        "line_add_form": forms.get("line_add") or LineAddForm(),
        "saved_criteria": SavedSegmentCriteria.objects.all()[:200],
        "can_change": request.user.has_perm(CHANGE),
        "reset_question": services.RESET_STEPS_QUESTION,
        "log_options": services.segment_log_options(segment),
        "line_filter": line_filter,
        "line_filter_active": any(line_filter.form.data.get(name) for name in line_filter.filters)
        if line_filter.is_bound
        else False,
        "line_unknown_params": unknown_params(query, line_filter.filters),
        "unsendable": unsendable,
        "unsendable_count": unsendable_count,
        "unsendable_more": unsendable_count - len(unsendable),
    }
    return render(request, "segments/segment_detail.html", context, status=status)


@require_POST
def segment_header(request, pk: int):
    require_perm(request, CHANGE)
    segment = _segment(pk)
    form = SegmentHeaderEditForm(request.POST, instance=Segment.objects.get(pk=pk), prefix="h")
    if form.is_valid():
        fields = {k: v for k, v in form.service_fields().items()}
        push = form.cleaned_data["push_to_lines"]
        if push and fields and request.POST.get("confirm_push") != "yes":
            # Say which lines the push changes before changing them (docs/BEHAVIOUR.md §6); none: just save.
            lines, count = services.segment_header_push_preview(segment, **fields)
            if count:
                context = {"segment": segment, "form": form, "lines": lines, "count": count}
                return render(request, "segments/header_push_confirm.html", {**context, "more": count - len(lines)})
        try:
            services.segment_update_header(
                segment,
                user=request.user,
                push_to_lines=push,
                row_version=form.edit_version(),
                **fields,
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, "The header was saved." if fields else "Nothing changed.")
            return redirect(segment)
    messages.error(request, "The header was not saved: correct the fields marked below.")
    return segment_detail(request, pk, forms={"header": form}, status=400)


@require_POST
def segment_step(request, pk: int):
    """Apply one criteria step: add, reduce or refine, with its options."""
    require_perm(request, CHANGE)
    segment = _segment(pk)
    form = CriteriaStepForm(request.POST)
    criteria = criteria_from(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose add, reduce or refine.")
        return segment_detail(request, pk, criteria_data=request.POST, step_form=form, status=400)
    action, options = form.cleaned_data["action"], form.options()
    apply = {
        "add": services.segment_add_contacts,
        "reduce": services.segment_reduce_contacts,
        "refine": services.segment_refine_contacts,
    }[action]
    try:
        count = apply(segment, criteria=criteria, user=request.user, **options)
    except ValidationError as error:
        add_validation_error(request, error)
        return segment_detail(request, pk, criteria_data=request.POST, step_form=form, status=400)
    verb = "added" if action == "add" else "removed"
    messages.success(request, f"{count_of(count, 'contact', 'contacts')} {verb} ({describe_criteria(criteria)}).")
    return _after_removal(segment) if action != "add" else redirect(segment)


def segment_preview(request, pk: int):
    """htmx: 'This step would add N contacts.' for the criteria form as it is now. Changes nothing."""
    require_perm(request, CHANGE)
    segment = _segment(pk)
    data = request.POST if request.method == "POST" else request.GET
    form = CriteriaStepForm(data)
    criteria = criteria_from(data)
    context = {"segment": segment}
    if form.is_valid():
        try:
            context["count"] = services.segment_preview_step(
                segment, action=form.cleaned_data["action"], criteria=criteria, options=form.options()
            )
        except ValidationError as error:
            context["errors"] = error_messages(error)
        context["action"] = form.cleaned_data["action"]
        context["criteria_text"] = describe_criteria(criteria)
    else:
        context["errors"] = ["Choose add, reduce or refine."]
    return render(request, "segments/_step_preview.html", context)


@require_POST
def segment_go_back(request, pk: int):
    require_perm(request, CHANGE)
    segment = _segment(pk)
    last = segment.criteria_actions.order_by("-step").first()
    try:
        services.segment_go_back(segment, user=request.user)
    except ValidationError as error:
        add_validation_error(request, error)
    else:
        messages.success(request, f"Undone: {describe_step(last)}.")
    return redirect(segment)


def form_action(
    form_class: type[Form], *, form_key: str | None, invalid: str | None = None, perms: tuple[str, ...] = (CHANGE,)
) -> Callable[[Callable[..., str]], Callable[..., HttpResponse]]:
    """A worksheet action with a form (POST only): `perms` or 403, the worksheet or 404, then the form. A valid
    form's data go to the view, `view(request, segment, cleaned_data)`, which calls the service and returns the
    success message, and the worksheet follows. An invalid form (the `invalid` message, or else the form's own
    errors) or the service's refusal show the worksheet again (status 400) with the form as posted under `form_key`
    in its `forms`; without a `form_key`, the user is sent back to the worksheet."""

    def decorate(view: Callable[..., str]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request, pk: int) -> HttpResponse:
            for perm in perms:
                require_perm(request, perm)
            segment = _segment(pk)
            form = form_class(request.POST)
            if form.is_valid():
                try:
                    message = view(request, segment, form.cleaned_data)
                except ValidationError as error:
                    add_validation_error(request, error)
                else:
                    messages.success(request, message)
                    return redirect(segment)
            elif invalid is not None:
                messages.error(request, invalid)
            else:
                for errors in form.errors.values():
                    for text in errors:
                        messages.error(request, text)
            if form_key is None:
                return redirect(segment)
            return segment_detail(request, pk, forms={form_key: form}, status=400)

        return require_POST(wrapper)

    return decorate


@form_action(
    SaveCriteriaForm,
    form_key="save",
    invalid="Enter a code for the saved criteria.",
    perms=(CHANGE, "segments.add_savedsegmentcriteria"),
)
def segment_save_criteria(request, segment: Segment, data: dict) -> str:
    saved = services.segment_save_criteria(segment, user=request.user, **data)
    return f"Criteria saved as {saved.code} ({count_of(saved.steps.count(), 'step', 'steps')})."


@form_action(ReuseCriteriaForm, form_key="reuse", invalid="Choose saved criteria to reuse.")
def segment_reuse_criteria(request, segment: Segment, data: dict) -> str:
    saved = data["saved"]
    services.segment_reuse_criteria(segment, saved=saved, user=request.user, confirm=data["confirm"])
    return f"Saved criteria {saved.code} applied ({count_of(saved.steps.count(), 'step', 'steps')})."


@form_action(ReuseLoggedForm, form_key="reuse_logged")
def segment_reuse_logged(request, segment: Segment, data: dict) -> str:
    logged = data["logged_segment"]
    count = services.segment_reuse_logged(segment, logged_segment=logged, user=request.user, confirm=data["confirm"])
    return end_sentence(f"{count_of(count, 'contact', 'contacts')} added from {logged}")


@form_action(LineAddForm, form_key="line_add")
def segment_line_add(request, segment: Segment, data: dict) -> str:
    contact = data["contact_no"]
    services.segment_line_add(segment, contact=contact, user=request.user, allow_existing=data["allow_existing"])
    return f"{contact.no} {contact.name} was added."


def segment_line_edit(request, pk: int, line_id: int):
    require_perm(request, VIEW)
    segment = _segment(pk)
    line = _line(segment, line_id)
    form = SegmentLineForm(request.POST or None, instance=line, segment=segment)
    if request.method == "POST":
        require_perm(request, CHANGE)
        if form.is_valid():
            try:
                services.segment_line_update(
                    line, user=request.user, row_version=form.edit_version(), **form.service_fields()
                )
            except ValidationError as error:
                add_service_error(form, error)
            else:
                messages.success(request, f"The line for {line.contact.name} was saved.")
                return redirect(segment)
    resolved = LineResolver(segment, template_ids=[line.template_id] if line.template_id else []).resolve(line)
    return render(
        request,
        "segments/line_form.html",
        {
            "segment": segment,
            "line": line,
            "form": form,
            "resolved": resolved,
            "letter_form": LetterUploadForm(),
            "can_change": request.user.has_perm(CHANGE),
            "pdf_available": letter_pdf.is_available(),
            "pdf_unavailable_message": letter_pdf.PDF_UNAVAILABLE_MESSAGE,
        },
    )


@require_POST
def segment_line_remove(request, pk: int, line_id: int):
    require_perm(request, CHANGE)
    segment = _segment(pk)
    line = _line(segment, line_id)
    try:
        services.segment_line_remove(line, user=request.user)
    except ValidationError as error:
        add_validation_error(request, error)
    else:
        messages.success(request, f"The line for {line.contact.name} was removed (Go back restores it).")
        return _after_removal(segment)
    return redirect(segment)


def _after_removal(segment: Segment):
    """Back to the worksheet, or first to the "Your Segment is now empty" question when the removal emptied it."""
    if services.segment_steps_to_reset(segment):
        return redirect("segments:segment_reset_steps", segment.pk)
    return redirect(segment)


@require_http_methods(["GET", "HEAD", "POST"])
def segment_reset_steps(request, pk: int):
    """GET asks "Your Segment is now empty. Do you want to reset number of criteria actions?"; POST (Yes) clears
    the steps. No is a link back to the worksheet, which keeps them (Go back still works)."""
    require_perm(request, CHANGE)
    segment = _segment(pk)
    if request.method == "POST":
        try:
            cleared = services.segment_reset_steps(segment, user=request.user)
        except ValidationError as error:
            add_validation_error(request, error)
        else:
            messages.success(
                request,
                f"The {cleared} criteria action{'s' if cleared != 1 else ''} of segment {segment.no} "
                f"{'were' if cleared != 1 else 'was'} reset.",
            )
        return redirect(segment)
    steps = segment.criteria_actions.count()
    if segment.lines.exists() or not steps:
        messages.info(request, f"Segment {segment.no} is not empty or has no criteria actions: nothing to reset.")
        return redirect(segment)
    return render(
        request,
        "segments/reset_steps_confirm.html",
        {"segment": segment, "steps": steps, "question": services.RESET_STEPS_QUESTION},
    )


@require_POST
def segment_line_letter(request, pk: int, line_id: int):
    """Upload (or, with `remove`, drop) the line's own letter."""
    require_perm(request, CHANGE)
    segment = _segment(pk)
    line = _line(segment, line_id)
    edit_url = reverse("segments:segment_line_edit", args=[segment.pk, line.pk])
    # The letter the page showed (none: ""): replacing or removing a letter needs the page's confirmation of it.
    shown = request.POST.get("replacing")
    if shown is None or (shown and parse_id(shown) is None):
        messages.error(request, "Replace or remove the letter on the line page. Nothing was changed.")
        return redirect(edit_url)
    replacing = parse_id(shown) if shown else None
    if request.POST.get("remove"):
        try:
            services.segment_line_set_letter(line, data=None, user=request.user, replacing=replacing)
        except ValidationError as error:
            add_validation_error(request, error)
        else:
            messages.success(request, f"{line.contact.name} gets the template letter again.")
        return redirect(edit_url)
    form = LetterUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "Choose a Word .docx file to upload.")
        return redirect(edit_url)
    upload = form.cleaned_data["letter"]
    try:
        check_upload_size(upload.size)  # before reading it into memory
        services.segment_line_set_letter(
            line, data=upload.read(), filename=upload.name, user=request.user, replacing=replacing
        )
    except ValidationError as error:
        add_validation_error(request, error)
    else:
        messages.success(request, f"{line.contact.name} now gets the uploaded letter instead of the template's.")
    return redirect(edit_url)


@require_POST
def segment_delete(request, pk: int):
    require_perm(request, DELETE)
    segment = _segment(pk)
    services.segment_delete(segment, user=request.user)
    messages.success(request, f"Segment {segment.no} was deleted.")
    return redirect("segments:segment_list")


@require_POST
def segment_unsendable_lines(request, pk: int):
    """One click for every line that cannot be e-mailed: switch them all to hard copy or to no correspondence type
    (docs/BEHAVIOUR.md §7)."""
    require_perm(request, CHANGE)
    segment = _segment(pk)
    correspondence_type = request.POST.get("correspondence_type", "")
    try:
        changed = services.segment_unsendable_lines_set_type(
            segment, correspondence_type=correspondence_type, user=request.user
        )
    except ValidationError as error:
        add_validation_error(request, error)
    else:
        way = services.UNSENDABLE_WAYS_OUT[correspondence_type]
        messages.success(request, f"{count_of(changed, 'line was', 'lines were')} switched to {way}.")
    return redirect("segments:segment_detail", pk)


@form_action(ApplyMailingGroupForm, form_key=None)
def segment_apply_mailing_group(request, segment: Segment, data: dict) -> str:
    """Apply mailing group (reference 3): every contact of the worksheet joins the group."""
    group = data["mailing_group"]
    added = services.segment_apply_mailing_group(
        segment, mailing_group=group, user=request.user, remove_old_assignments=data["remove_old_assignments"]
    )
    return f"{count_of(added, 'contact', 'contacts')} added to mailing group {group.code}."


# The worksheet's contacts as CSV (reference 3, Export Contacts): one row per line, in line order.
CONTACT_CSV_COLUMNS = [
    ("Line", None),
    ("Contact no.", "contact__no"),
    ("Type", "contact__type"),
    ("Name", "contact__name"),
    ("Company no.", "contact__company__no"),
    ("Company name", "contact__company__name"),
    ("Salutation", "contact__salutation"),
    ("Address", "contact__address"),
    ("Post code", "contact__post_code"),
    ("City", "contact__city"),
    ("Country", "contact__country_code"),
    ("Phone", "contact__phone"),
    ("Mobile", "contact__mobile"),
    ("E-mail", "contact__email"),
    ("Language", "contact__language_code"),
]


@require_safe
def segment_export_contacts(request, pk: int):
    """Stream the worksheet's contacts as CSV: bounded memory (a server-side cursor in chunks), every cell quoted
    and guarded against formulas (interactions.views.entries.csv_safe, docs/SECURITY.md)."""
    require_perm(request, VIEW)
    segment = _segment(pk)
    fields = [field for _, field in CONTACT_CSV_COLUMNS if field]
    rows = SegmentLine.objects.filter(segment_id=segment.pk).order_by("id").values_list(*fields)
    writer = csv.writer(_Echo(), quoting=csv.QUOTE_ALL)

    def stream():
        yield "\ufeff"  # so spreadsheet programs read UTF-8
        yield writer.writerow([header for header, _ in CONTACT_CSV_COLUMNS])
        with closing(rows.iterator(chunk_size=2000)) as cursor_rows:
            for number, row in enumerate(cursor_rows, start=1):
                yield writer.writerow([number, *(csv_safe(value) for value in row)])

    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="segment-{segment.no}-contacts.csv"'
    return response


class _Echo:
    def write(self, value):
        return value
