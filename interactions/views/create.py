"""The Create Interaction page (docs/BEHAVIOUR.md §2), its letter preview, and the download (or PDF preview) of an
entry's document."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST, require_safe

from crm.access import add_service_error, download_response, require_perm, safe_next
from crm.ids import parse_id
from crm.models import Contact
from crm.privacy import privacy_blocked_message

from .. import letter_pdf
from ..forms import InteractionCreateForm
from ..letters import DOCX_CONTENT_TYPE, entry_document_bytes
from ..models import DocumentType, InteractionLogEntry
from ..services import (
    COVER_SHEET_NOT_SHOWN,
    interaction_create,
    interaction_preview,
    interaction_resume,
    postponed_entries_for,
    resume_values,
)


def _from_query(request, name: str, queryset, *, not_an_id: str):
    """The row of `queryset` whose id the query parameter `name` holds; None when the parameter is absent or blank,
    404 when it is not an id (crm.ids.parse_id) or no such row is there."""
    raw = request.GET.get(name, "")
    if not raw:
        return None
    pk = parse_id(raw)
    if pk is None:
        raise Http404(not_an_id)
    return get_object_or_404(queryset, pk=pk)


def _page_contact(request) -> Contact | None:
    return _from_query(
        request, "contact", Contact.objects.select_related("company", "salesperson"), not_an_id="No such contact."
    )


def _render(request, form, contact, status=200, resumed=None):
    blocked = contact is not None and contact.privacy_blocked
    # Say it before the user fills in the form (the service refuses anyway).
    blocked_message = privacy_blocked_message(contact) if blocked and not form.is_bound else ""
    return render(
        request,
        "interactions/create.html",
        {
            "form": form,
            "contact": contact,
            "privacy_blocked": blocked,
            "blocked_message": blocked_message,
            "resumed": resumed,
        },
        status=status,
    )


def _resumed_entry(request):
    """?resume=<entry no.>: the user's postponed entry this page finishes (docs/BEHAVIOUR.md §2), else None."""
    return _from_query(
        request,
        "resume",
        postponed_entries_for(request.user).select_related("contact__company", "contact__salesperson", "template"),
        not_an_id="No such postponed interaction.",
    )


def _resume_initial(entry) -> dict:
    values = resume_values(entry)
    initial = {name: value for name, value in values.items() if value not in (None, "")}
    if entry.contact is not None:
        initial["contact"] = entry.contact.no
    initial["template"] = entry.template_id
    initial["was_successful"] = not values["attempt_failed"]
    if entry.correspondence_type == "":
        initial["correspondence_type"] = "none"
    return initial


def _finished_later(request, entry):
    messages.success(
        request,
        format_html(
            'Interaction {} “{}” was saved for later: resume it from <a href="{}">Postponed interactions</a>.',
            entry.pk,
            entry.description,
            reverse("interactions:postponed_list"),
        ),
    )
    # Where the user was going when the page asked "finish this interaction later?" (static/js/…-create.js).
    return redirect(safe_next(request, reverse("interactions:postponed_list")))


def interaction_create_view(request):
    require_perm(request, "interactions.add_interactionlogentry")
    resumed = _resumed_entry(request)
    contact = resumed.contact if resumed is not None else _page_contact(request)
    initial = _resume_initial(resumed) if resumed is not None and request.method != "POST" else {}
    form = InteractionCreateForm(request.POST or None, contact=contact, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        postpone = "finish_later" in request.POST
        try:
            if resumed is not None:
                entry = interaction_resume(resumed, user=request.user, postpone=postpone, **form.service_arguments())
            else:
                entry = interaction_create(user=request.user, postpone=postpone, **form.service_arguments())
        except ValidationError as error:
            add_service_error(form, error)
        else:
            if postpone:
                return _finished_later(request, entry)
            target = entry.contact
            document = ""
            if entry.has_document:
                document = format_html(
                    ' · <a href="{}">Download the letter</a>',
                    reverse("interactions:interaction_document", args=[entry.pk]),
                )
            messages.success(
                request,
                format_html(
                    'Interaction <a href="{}">{}</a> “{}” was logged for {}.{}',
                    entry.get_absolute_url(),
                    entry.pk,
                    entry.description,
                    target.name,
                    document,
                ),
            )
            return redirect(target)
    return _render(request, form, contact, resumed=resumed)


@require_POST
def interaction_preview_view(request):
    """The merged letter for this contact, logging nothing (POST only because it carries the form): a Word letter
    shown in the browser as a PDF like every other "Preview" (docs/BEHAVIOUR.md §11); without LibreOffice, or when
    it cannot be converted, the .docx as a download with a message saying why."""
    require_perm(request, "interactions.add_interactionlogentry")
    contact = _page_contact(request)
    form = InteractionCreateForm(request.POST, contact=contact, user=request.user)
    if form.is_valid():
        arguments = form.service_arguments()
        try:
            data, filename, content_type = interaction_preview(user=request.user, **arguments)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            if content_type == DOCX_CONTENT_TYPE:
                try:
                    return letter_pdf.preview_response(data, f"Preview - {filename}")
                except letter_pdf.PdfConversionError as error:
                    messages.warning(request, str(error))
            return download_response(data, f"Preview - {filename}", content_type)
    return _render(request, form, contact, status=400)


@require_safe
def interaction_document_view(request, pk: int):
    """The entry's stored letter or PDF, byte for byte what the contact got (docs/BEHAVIOUR.md §11)."""
    require_perm(request, "interactions.view_interactionlogentry")
    entry = get_object_or_404(InteractionLogEntry.objects.select_related("document", "merge_template"), pk=pk)
    result = entry_document_bytes(entry)
    if result is None and entry.document_type == DocumentType.COVER_SHEET:
        # As in Business Central: a cover sheet is printed, not kept (docs/BEHAVIOUR.md §10).
        messages.error(request, COVER_SHEET_NOT_SHOWN)
        return redirect(reverse("interactions:interaction_detail", args=[entry.pk]))
    if result is None:
        raise Http404("This interaction has no stored document.")
    data, filename, content_type = result
    return download_response(data, filename, content_type)


@require_safe
def interaction_document_preview_view(request, pk: int):
    """The entry's stored letter shown in the browser as a PDF (a printed PDF as it is, a Word letter converted).
    Without LibreOffice, or when the letter cannot be converted, the entry's page says so and still offers the
    download."""
    require_perm(request, "interactions.view_interactionlogentry")
    entry = get_object_or_404(InteractionLogEntry.objects.select_related("document", "merge_template"), pk=pk)
    result = entry_document_bytes(entry)
    if result is None:
        raise Http404("This interaction has no stored document.")
    data, filename, content_type = result
    if content_type == letter_pdf.PDF_CONTENT_TYPE:
        response = download_response(data, filename, content_type)
        response["Content-Disposition"] = content_disposition_header(False, filename)
        return response
    if not letter_pdf.is_word_letter(filename, content_type):
        raise Http404("This interaction's document is not a letter that can be shown as a PDF.")
    try:
        return letter_pdf.preview_response(data, filename)
    except letter_pdf.PdfConversionError as error:
        messages.error(request, f"{error} Download the letter as .docx instead.")
        return redirect(entry.get_absolute_url())
