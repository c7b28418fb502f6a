"""Sales documents: create, edit, print, e-mail (docs/BEHAVIOUR.md §10).

A real print or e-mail is recorded by sending `crm.signals.document_printed`; `interactions` receives it and
logs the interaction. crm never imports interactions (dependency direction segments -> interactions -> crm).
"""

import functools
import logging
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string

from .audit import audit_record
from .models import AuditEvent, Contact, SalesDocument, SalesDocumentLine
from .numbering import next_number
from .pdf import render_pdf
from .salutations import SalutationFormulas
from .signals import document_printed
from .versioning import ensure_version
from .wording import count_of, field_names

logger = logging.getLogger(__name__)

PDF_TEMPLATE = "crm/pdf/sales_document.html"
PDF_STYLESHEET = "css/pdf.css"
LINE_NO_STEP = 10000
# A concurrent print of the same document between our render and our lock means our version number is taken:
# render again with the next one. More than a few in a row would be a runaway; give up with a clear message.
MAX_PRINT_ATTEMPTS = 3

INTRO_TEXT = {
    SalesDocument.Kind.QUOTE: "Thank you for your enquiry. We are pleased to offer you the following:",
    SalesDocument.Kind.BLANKET_ORDER: "We confirm the following blanket order. Call-offs are invoiced as delivered.",
    SalesDocument.Kind.ORDER: "Thank you for your order, which we confirm as follows:",
    SalesDocument.Kind.INVOICE: "For the goods and services listed below we invoice you as follows:",
    SalesDocument.Kind.CREDIT_MEMO: "We credit your account with the following amounts:",
}
CLOSING_TEXT = {
    SalesDocument.Kind.QUOTE: "This quote is valid for 30 days. We look forward to your order.",
    SalesDocument.Kind.BLANKET_ORDER: "Please quote the order number on every call-off.",
    SalesDocument.Kind.ORDER: "Please check this confirmation and tell us at once if anything is not as agreed.",
    SalesDocument.Kind.INVOICE: "Please quote the invoice number with your payment. Thank you for your business.",
    SalesDocument.Kind.CREDIT_MEMO: "The credited amount will be set off against your next invoice or refunded.",
}


# --- create / update (the simple form; the admin has its own inline) ---------------------------------------------


def _clean_lines(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    cleaned = []
    for line in lines:
        description = (line.get("description") or "").strip()
        if not description:
            continue
        cleaned.append(
            {
                "description": description,
                "quantity": Decimal(line.get("quantity") if line.get("quantity") is not None else 1),
                "unit_price": Decimal(line.get("unit_price") if line.get("unit_price") is not None else 0),
            }
        )
    if not cleaned:
        raise ValidationError("Add at least one line with a description.")
    return cleaned


def _write_lines(document: SalesDocument, lines: list[dict[str, Any]]) -> None:
    objects = [
        SalesDocumentLine(document=document, line_no=(index + 1) * LINE_NO_STEP, **line)
        for index, line in enumerate(lines)
    ]
    for line in objects:
        line.full_clean(exclude=["document"])
    SalesDocumentLine.objects.bulk_create(objects)


@transaction.atomic
def document_create(*, kind: str, contact: Contact, user, lines: list[dict[str, Any]], **fields: Any) -> SalesDocument:
    """Create a sales document with its lines. The number comes from the kind's series."""
    if kind not in SalesDocument.Kind.values:
        raise ValidationError({"kind": f"Unknown document type “{kind}”."})
    cleaned_lines = _clean_lines(lines)
    document = SalesDocument(kind=kind, contact=contact, **fields)
    if document.salesperson_id is None and contact.salesperson_id:
        document.salesperson_id = contact.salesperson_id
    document.no = next_number(kind)
    document.full_clean()
    document.save()
    _write_lines(document, cleaned_lines)
    audit_record(
        AuditEvent.Action.DOCUMENT_CREATED,
        user=user,
        obj=document,
        count=1,
        summary=f"Created {document} for contact {contact}, with {count_of(len(cleaned_lines), 'line', 'lines')}",
    )
    return document


@transaction.atomic
def document_update(
    document: SalesDocument,
    *,
    user,
    lines: list[dict[str, Any]] | None = None,
    row_version: int | None = None,
    **fields: Any,
) -> SalesDocument:
    """Change header fields and, when `lines` is given, replace the lines. The type and number never change.

    `row_version`: the document's version when the edit form was opened; a save since then (which may have added
    lines this form never showed) refuses this one instead of deleting them.
    """
    if "kind" in fields and fields["kind"] != document.kind:
        raise ValidationError({"kind": "The type of a document cannot be changed; create a new document instead."})
    fields.pop("kind", None)
    cleaned_lines = _clean_lines(lines) if lines is not None else None
    stored = SalesDocument.objects.select_for_update().get(pk=document.pk)
    ensure_version(stored, row_version, what=str(stored))
    # Only what differs is named in the audit row: the page sends every field.
    changed = [name for name, value in fields.items() if getattr(stored, name) != value]
    for name, value in fields.items():
        setattr(document, name, value)
    document.row_version = stored.row_version + 1
    document.full_clean()
    document.save()
    if cleaned_lines is not None:
        document.lines.all().delete()
        _write_lines(document, cleaned_lines)
    changed = sorted(changed) + (["lines"] if cleaned_lines is not None else [])
    audit_record(
        AuditEvent.Action.DOCUMENT_CHANGED,
        user=user,
        obj=document,
        count=1,
        lines=lines is not None,
        summary=f"Changed {document}: {field_names(changed)}",
    )
    return document


# --- rendering --------------------------------------------------------------------------------------------------


@lru_cache(maxsize=4)
def stylesheet_path(name: str = PDF_STYLESHEET) -> str:
    path = finders.find(name)
    if not path:
        raise RuntimeError(f"The stylesheet static/{name} is missing.")
    return str(path)


def letterhead_context() -> dict[str, Any]:
    """Our company as every printed page's letterhead shows it (templates/crm/pdf/_letterhead.html)."""
    company_address = [line.strip() for line in settings.COMPANY_ADDRESS.splitlines() if line.strip()]
    return {
        "company_name": settings.COMPANY_NAME,
        "company_address": company_address,
        "company_vat_id": settings.COMPANY_VAT_ID,
        "sender_line": " · ".join([settings.COMPANY_NAME, *company_address]),
    }


def _load(document: SalesDocument) -> SalesDocument:
    return (
        SalesDocument.objects.select_related("contact", "contact__company", "contact__salesperson", "salesperson")
        .prefetch_related("lines")
        .get(pk=document.pk)
    )


def document_html(document: SalesDocument, *, version_no: int) -> str:
    """The document as HTML for the PDF (contact data escaped by the template engine)."""
    lines = list(document.lines.all())
    context = {
        "document": document,
        "contact": document.contact,
        "salesperson": document.salesperson or document.contact.salesperson,
        "lines": lines,
        **document.totals(lines)._asdict(),
        "version_no": version_no,
        "title": document.get_kind_display(),
        "intro": INTRO_TEXT.get(document.kind, ""),
        "closing": CLOSING_TEXT.get(document.kind, ""),
        "currency": getattr(settings, "DOCUMENT_CURRENCY", "GBP"),
        **letterhead_context(),
    }
    return render_to_string(PDF_TEMPLATE, context)


def _render(document: SalesDocument, *, version_no: int) -> bytes:
    html = document_html(document, version_no=version_no)
    stylesheet = stylesheet_path()
    return render_pdf(html, base_url=Path(stylesheet).parent.as_uri() + "/", stylesheets=[stylesheet])


def _next_version(document: SalesDocument) -> int:
    return document.printed_versions + 1 if document.kind in SalesDocument.VERSIONED_KINDS else 0


def _issue(document: SalesDocument, *, user, emailed: bool, after_commit=None) -> tuple[SalesDocument, bytes, int]:
    """Render and record one real print (or e-mail) of a document.

    1. Render the PDF with the version number the print will get: outside any transaction, because rendering
       is the slow part and must not hold the document's row lock.
    2. In one transaction: lock the document row; if another print took that version meanwhile, go back to 1
       with the next number; else count the print (and the version for quotes, blanket orders and orders).
    3. Still inside it, send `document_printed`. A receiver that refuses (ValidationError) rolls the counters
       back: nothing recorded. The receiver stores the PDF (a small local file write) in the same transaction
       so the log entry and its document commit together.
    4. `after_commit(document, pdf, version_no)`, if given, runs once the transaction has committed (sending).
    """
    for _attempt in range(MAX_PRINT_ATTEMPTS):
        current = _load(document)
        version_no = _next_version(current)
        pdf = _render(current, version_no=version_no)
        with transaction.atomic():
            locked = SalesDocument.objects.select_for_update().only("kind", "printed_versions").get(pk=document.pk)
            if _next_version(locked) != version_no:
                continue  # printed concurrently: our version number is taken
            changes: dict[str, Any] = {"no_printed": F("no_printed") + 1}
            if version_no:
                changes["printed_versions"] = version_no
            SalesDocument.objects.filter(pk=document.pk).update(**changes)
            document_printed.send(
                sender=SalesDocument, document=current, user=user, pdf=pdf, version_no=version_no, emailed=emailed
            )
            if after_commit is not None:
                transaction.on_commit(functools.partial(after_commit, current, pdf, version_no))
        current.refresh_from_db(fields=["printed_versions", "no_printed"])
        document.printed_versions, document.no_printed = current.printed_versions, current.no_printed
        return current, pdf, version_no
    raise ValidationError(f"{document} is being printed by someone else right now. Try again in a moment.")


def document_print(document: SalesDocument, *, user, preview: bool = False) -> bytes:
    """The document as an A4 PDF. A preview records nothing; a real print is counted and logged (see _issue)."""
    if preview:
        current = _load(document)
        return _render(current, version_no=_next_version(current))
    _current, pdf, _version_no = _issue(document, user=user, emailed=False)
    return pdf


def document_email(document: SalesDocument, *, user) -> None:
    """E-mail the document's PDF to the bill-to contact and log it (correspondence type e-mail).

    The e-mail leaves after the transaction commits, so a refused log never sends anything.
    """
    contact = Contact.objects.only("no", "name", "email").get(pk=document.contact_id)
    if not contact.email:
        raise ValidationError(
            f"Contact {contact.no} {contact.name} has no e-mail address. Add one to the contact to e-mail {document}."
        )
    sent_errors: list[Exception] = []

    def send(current: SalesDocument, pdf: bytes, version_no: int) -> None:
        message = _email_message(current, pdf=pdf, version_no=version_no, to=contact.email, user=user)
        try:
            message.send()
        except Exception as error:  # reported to the user below; the log entry stays
            logger.exception("Sending %s to %s failed", current, contact.email)
            sent_errors.append(error)

    _issue(document, user=user, emailed=True, after_commit=send)
    if sent_errors:
        raise ValidationError(
            f"{document} was logged, but the e-mail to {contact.email} could not be sent: {sent_errors[0]}"
        )


def document_email_draft(document: SalesDocument, *, user) -> dict:
    """What e-mailing the document would send, for the page that asks to confirm: recipient, subject, body and
    the attachment's name (with the version the e-mail would get). Records and sends nothing."""
    current = _load(document)
    subject, body = _email_text(current, user=user)
    return {
        "to": current.contact.email,
        "subject": subject,
        "body": body,
        "attachment": current.pdf_filename(version_no=_next_version(current)),
    }


# The language of the document e-mail's text below: its salutation is the contact's in that language.
EMAIL_LANGUAGE = "en"


def _email_salutation(contact: Contact) -> str:
    """As in a letter (docs/BEHAVIOUR.md §1, "Salutations"): the contact's salutation code's formula in the
    e-mail's language, else the contact's own text, else "Dear Sir or Madam"."""
    formula = SalutationFormulas.for_contacts([contact]).salutation(contact, EMAIL_LANGUAGE)
    return formula or contact.salutation or "Dear Sir or Madam"


def _email_text(document: SalesDocument, *, user) -> tuple[str, str]:
    title = f"{document.get_kind_display()} {document.no}"
    # The user's name above the company's; a user without a name signs with the company's alone (not twice).
    signature = "\n".join(filter(None, [getattr(user, "get_full_name", lambda: "")(), settings.COMPANY_NAME]))
    body = (
        f"{_email_salutation(document.contact)},\n\n"
        f"please find attached our {document.get_kind_display().lower()} {document.no} "
        f"of {document.date:%d %B %Y}.\n\n"
        f"Kind regards\n{signature}\n"
    )
    return title, body


def _email_message(document: SalesDocument, *, pdf: bytes, version_no: int, to: str, user) -> EmailMessage:
    title, body = _email_text(document, user=user)
    message = EmailMessage(subject=title, body=body, to=[to])
    message.attach(document.pdf_filename(version_no=version_no), pdf, "application/pdf")
    return message
