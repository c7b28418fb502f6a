"""Automatic recording of printed and e-mailed sales documents (docs/BEHAVIOUR.md §10).

Called by the `document_printed` receiver inside the print's transaction: raising ValidationError refuses the
print and nothing is recorded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils import timezone

from crm.models import Contact, CorrespondenceType, SalesDocument
from crm.privacy import refuse_privacy_blocked

from ..document_pins import pin_documents
from ..models import (
    DOCUMENT_TYPE_FOR_KIND,
    InteractionLogEntry,
    InteractionTemplateSetup,
)
from ..storage import store_document

if TYPE_CHECKING:
    from django.contrib.auth.models import User

__all__ = ["log_printed_document"]


def log_printed_document(
    *, document: SalesDocument, user: User | None, pdf: bytes, version_no: int, emailed: bool = False
) -> InteractionLogEntry | None:
    """Log one real print (or e-mail) of a sales document. Returns the entry, or None when not set up.

    1. The template is the setup row's for the document's kind; no row or no template: nothing, no error.
    2. Refuse (ValidationError, nothing written) a template with language variants or an attachment, and a
       privacy-blocked contact.
    3. Store the PDF (content-addressed) and insert the entry against the bill-to contact, its company as the
       contact company, today's date and the current time, the document's salesperson (else the contact's),
       and the template's group, cost, duration, flow and initiated-by. Printing is hard copy, e-mailing e-mail.
    """
    document_type = DOCUMENT_TYPE_FOR_KIND[SalesDocument.Kind(document.kind)]
    template = InteractionTemplateSetup.logging_template(document_type)
    if template is None:
        return None

    contact = Contact.objects.select_related("company").get(pk=document.contact_id)
    refuse_privacy_blocked(contact)

    now = timezone.localtime()
    kind_label = document.get_kind_display()
    filename = document.pdf_filename(version_no=version_no)
    stored = store_document(pdf, filename=filename, content_type="application/pdf")
    if not pin_documents([stored.pk]):  # deleted meanwhile with canceled entries: store it again
        stored = store_document(pdf, filename=filename, content_type="application/pdf")
    return InteractionLogEntry.objects.create(
        contact=contact,
        contact_company=contact.company_or_self,
        date=now.date(),
        time=now.time().replace(microsecond=0),
        template=template,
        group_id=template.group_id,
        language_code=template.language_code,
        description=(template.description or f"{kind_label} {document.no}")[:100],
        subject=f"{kind_label} {document.no}" if emailed else "",
        information_flow=template.information_flow,
        initiated_by=template.initiated_by,
        cost=template.unit_cost,
        duration_minutes=template.unit_duration_minutes,
        correspondence_type=CorrespondenceType.EMAIL if emailed else CorrespondenceType.HARD_COPY,
        salesperson_id=document.salesperson_id or contact.salesperson_id,
        user=user if getattr(user, "pk", None) else None,
        document_type=document_type,
        document_no=document.no,
        version_no=version_no,
        document=stored,
    )
