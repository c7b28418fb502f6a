"""A contact's Call, E-mail and Cover sheet actions (docs/BEHAVIOUR.md §10): a short form each over one service
(interaction_log_call, interaction_send_email, cover_sheet_print)."""

from collections.abc import Callable
from functools import partial

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html

from crm.access import add_service_error, download_response, require_perm
from crm.models import Contact
from crm.pdf import PdfUnavailableError
from crm.privacy import privacy_blocked_message

from ..forms import CallForm, CoverSheetForm, EmailForm
from ..models import InteractionLogEntry, InteractionTemplateSetup
from ..services import cover_sheet_print, interaction_log_call, interaction_send_email
from ..services.calls import CALL_SETUP_MISSING, PHONE_NUMBER_MISSING, contact_phone_numbers
from ..services.emails import EMAIL_SETUP_MISSING, email_attachment_max_bytes

ADD_PERM = "interactions.add_interactionlogentry"
NOT_LOGGED = "Interaction template setup has no template for cover sheets: the cover sheet is printed but not logged."


def _contact(pk: int) -> Contact:
    return get_object_or_404(Contact.objects.select_related("company", "salesperson"), pk=pk)


def _page(request, template_name: str, contact: Contact, form, *, warnings: list[str], **context):
    if contact.privacy_blocked:
        warnings = [privacy_blocked_message(contact), *warnings]
    return render(
        request,
        template_name,
        {"contact": contact, "form": form, "warnings": [] if form.is_bound else warnings, **context},
    )


def _logged(request, entry, what: str) -> None:
    messages.success(
        request,
        format_html(
            '{} <a href="{}">{}</a> was logged for {}.',
            what,
            reverse("interactions:interaction_detail", args=[entry.pk]),
            entry.pk,
            entry.contact.name,
        ),
    )


def _submitted(request, form, log: Callable[..., InteractionLogEntry]) -> InteractionLogEntry | None:
    """The entry `log(**form.service_arguments())` logged for a valid POSTed form; None for a GET, an invalid form
    or the service's refusal (its reason shown on the form)."""
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        return log(**form.service_arguments())
    except ValidationError as error:
        add_service_error(form, error)
        return None


def contact_call(request, pk: int):
    """Make phone call: the contact's numbers as tel: links, and the form that logs the call."""
    require_perm(request, ADD_PERM)
    contact = _contact(pk)
    template = InteractionTemplateSetup.template_for(InteractionTemplateSetup.Event.PHONE_CALL)
    numbers = contact_phone_numbers(contact)
    form = CallForm(request.POST or None, numbers=numbers, template=template)
    entry = _submitted(request, form, partial(interaction_log_call, contact, user=request.user))
    if entry is not None:
        _logged(request, entry, "Call")
        return redirect(contact)
    warnings = ([] if template else [CALL_SETUP_MISSING]) + ([] if numbers else [PHONE_NUMBER_MISSING])
    return _page(
        request,
        "interactions/contact_call.html",
        contact,
        form,
        warnings=warnings,
        numbers=numbers,
        action_title="Make phone call",
        action_with="to",
        submit_label="Log call",
    )


def contact_email(request, pk: int):
    """Write an e-mail: logged at once, sent in the background (its delivery status is on the entry)."""
    require_perm(request, ADD_PERM)
    contact = _contact(pk)
    template = InteractionTemplateSetup.template_for(InteractionTemplateSetup.Event.EMAIL)
    form = EmailForm(request.POST or None, request.FILES or None, initial={"to": contact.email})
    entry = _submitted(request, form, partial(interaction_send_email, contact, user=request.user))
    if entry is not None:
        entry.refresh_from_db(fields=["delivery_status", "delivery_error"])
        _logged(request, entry, "E-mail")
        if entry.delivery_status == "error":
            messages.error(request, f"The e-mail was not sent: {entry.delivery_error} Resend it from the entry.")
        return redirect(contact)
    return _page(
        request,
        "interactions/contact_email.html",
        contact,
        form,
        warnings=[] if template else [EMAIL_SETUP_MISSING],
        max_mb=email_attachment_max_bytes() // (1024 * 1024),
        action_title="Write e-mail",
        action_with="to",
        submit_label="Send e-mail",
        multipart=True,
    )


def contact_cover_sheet(request, pk: int):
    """Print a cover sheet: the PDF comes back as a download, and the contact gets an entry."""
    require_perm(request, ADD_PERM)
    contact = _contact(pk)
    form = CoverSheetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            pdf, _logged_count = cover_sheet_print(contact, text=form.cleaned_data["text"], user=request.user)
        except ValidationError as error:
            add_service_error(form, error)
        except PdfUnavailableError as error:
            form.add_error(None, str(error))
        else:
            return download_response(pdf, f"Cover sheet {contact.no}.pdf", "application/pdf")
    warnings = [] if InteractionTemplateSetup.template_for(InteractionTemplateSetup.Event.COVER_SHEET) else [NOT_LOGGED]
    return _page(
        request,
        "interactions/contact_cover_sheet.html",
        contact,
        form,
        warnings=warnings,
        action_title="Print cover sheet",
        action_with="for",
        submit_label="Print cover sheet (PDF)",
    )
