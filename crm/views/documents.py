"""Sales document pages: list, detail, the simple form, PDF preview, print and e-mail (docs/BEHAVIOUR.md §10)."""

from django.apps import apps
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .. import services
from ..access import add_refusal, add_service_error, object_action, require_perm
from ..filters import SalesDocumentFilter
from ..forms import LineFormSet, SalesDocumentForm
from ..models import SalesDocument
from ..pdf import PdfUnavailableError
from ..tables import SalesDocumentTable
from .lists import ListPageView

LOG_ROWS = 20


class SalesDocumentListView(ListPageView):
    permission = "crm.view_salesdocument"
    table_class = SalesDocumentTable
    filterset_class = SalesDocumentFilter
    template_name = "crm/document_list.html"

    def get_queryset(self):
        return SalesDocument.objects.select_related("contact", "salesperson")


@require_GET
def document_detail(request, pk: int):
    require_perm(request, "crm.view_salesdocument")
    document = get_object_or_404(
        SalesDocument.objects.select_related("contact", "contact__company", "salesperson"), pk=pk
    )
    lines = list(document.lines.all())
    # Looked up by name: crm must not import interactions (dependency direction crm <- interactions).
    entry_model = apps.get_model("interactions", "InteractionLogEntry")
    log_entries = (
        entry_model.objects.filter(document_no=document.no)
        .exclude(document_type="")
        .select_related("contact", "user")
        .order_by("-id")[:LOG_ROWS]
    )
    return render(
        request,
        "crm/document_detail.html",
        {
            "document": document,
            "lines": lines,
            **document.totals(lines)._asdict(),
            "log_entries": log_entries,
            "log_rows": LOG_ROWS,
            "versioned": document.kind in SalesDocument.VERSIONED_KINDS,
        },
    )


def _document_form(request, *, document: SalesDocument | None):
    form = SalesDocumentForm(request.POST or None, instance=document)
    initial_lines = [
        {"description": line.description, "quantity": line.quantity, "unit_price": line.unit_price}
        for line in (document.lines.all() if document else [])
    ]
    formset = LineFormSet(request.POST or None, initial=initial_lines, prefix="lines")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            if document is None:
                saved = services.document_create(user=request.user, lines=formset.lines(), **form.service_fields())
                messages.success(request, f"{saved} was created.")
            else:
                saved = services.document_update(
                    SalesDocument.objects.get(pk=document.pk),
                    user=request.user,
                    lines=formset.lines(),
                    row_version=form.edit_version(),
                    **form.service_fields(),
                )
                messages.success(request, f"{saved} was saved.")
        except ValidationError as error:
            add_service_error(form, error, fields={"contact": "contact_no"})
        else:
            return redirect(saved)
    title = f"Edit {document}" if document else "New sales document"
    return render(
        request, "crm/document_form.html", {"form": form, "formset": formset, "title": title, "document": document}
    )


def document_create(request):
    require_perm(request, "crm.add_salesdocument")
    return _document_form(request, document=None)


def document_edit(request, pk: int):
    require_perm(request, "crm.change_salesdocument")
    return _document_form(request, document=get_object_or_404(SalesDocument, pk=pk))


@require_GET
@object_action(SalesDocument, perm="crm.view_salesdocument", refusals=(PdfUnavailableError,))
def document_pdf(request, document: SalesDocument):
    """The preview: the same PDF a print would produce, shown in the browser. Records nothing."""
    pdf = services.document_print(document, user=request.user, preview=True)
    return _pdf_response(pdf, filename=f"{document.no}-preview.pdf", disposition="inline")


@require_POST
@object_action(SalesDocument, perm="crm.print_salesdocument", refusals=(ValidationError, PdfUnavailableError))
def document_print(request, document: SalesDocument):
    """A real print: counted, logged (when set up), and downloaded as the PDF the customer gets."""
    pdf = services.document_print(document, user=request.user)
    versioned = document.kind in SalesDocument.VERSIONED_KINDS
    return _pdf_response(pdf, filename=document.pdf_filename(version_no=document.printed_versions if versioned else 0))


@require_http_methods(["GET", "HEAD", "POST"])
def document_email(request, pk: int):
    """GET: the recipient, subject, text and attachment, and a button to send (the confirmation). POST: send."""
    require_perm(request, "crm.print_salesdocument")
    document = get_object_or_404(SalesDocument.objects.select_related("contact"), pk=pk)
    if request.method != "POST":
        if not document.contact.email:
            messages.error(request, f"{document.contact} has no e-mail address. Add one to the contact first.")
            return redirect(document)
        draft = services.document_email_draft(document, user=request.user)
        versioned = document.kind in SalesDocument.VERSIONED_KINDS
        context = {"document": document, "draft": draft, "versioned": versioned}
        return render(request, "crm/document_email_confirm.html", context)
    try:
        services.document_email(document, user=request.user)
    except (ValidationError, PdfUnavailableError) as error:
        add_refusal(request, error)
    else:
        messages.success(request, f"{document} was e-mailed to {document.contact.email}.")
    return redirect(document)


def _pdf_response(pdf: bytes, *, filename: str, disposition: str = "attachment") -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
