"""Printing cover sheets and logging them (docs/BEHAVIOUR.md §10, "Cover sheets"): one entry per contact with the
template of the setup row "Cover sheets", document type cover sheet and a blank document number.

The PDF is drawn by crm.cover_sheets; it is not kept on the entries (as in Business Central, whose entry cannot
show a cover sheet after it was printed): `COVER_SHEET_NOT_SHOWN` is what opening such an entry's document says.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from crm.audit import audit_record
from crm.cover_sheets import COVER_SHEET_TEXT_MAX_LENGTH, cover_sheet_sender, cover_sheets_pdf
from crm.models import AuditEvent, Contact, CorrespondenceType, Salesperson
from crm.privacy import privacy_blocked_error, refuse_privacy_blocked
from crm.wording import NAMED_LIMIT, count_of, named_list

from ..models import (
    DocumentType,
    InteractionDailyTotal,
    InteractionLogEntry,
    InteractionTemplate,
    InteractionTemplateSetup,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User

__all__ = [
    "COVER_SHEET_NOT_SHOWN",
    "cover_sheet_clean_text",
    "cover_sheet_print",
    "cover_sheets_check_contacts",
    "cover_sheets_log",
    "cover_sheets_template",
]

COVER_SHEET_NOT_SHOWN = "It is not possible to show cover sheets after they have been printed."
# Contacts are read and entries written in chunks of this many (bound parameters, memory).
CHUNK = 1000


def cover_sheet_clean_text(text: str | None) -> str:
    """The free text of a cover sheet, stripped; refused (ValidationError) when it would not fit on the page."""
    text = (text or "").replace("\r\n", "\n").strip()
    if len(text) > COVER_SHEET_TEXT_MAX_LENGTH:
        raise ValidationError(
            {
                "text": f"The text of a cover sheet can have at most {COVER_SHEET_TEXT_MAX_LENGTH:,} characters (this "
                f"one has {len(text):,}): it must fit on one page."
            },
            code="text_too_long",
        )
    return text


def cover_sheets_template() -> InteractionTemplate | None:
    """The "Cover sheets" setup template, or None (then cover sheets print but are not logged, as in BC).

    Refused (ValidationError) when the template has language variants or an attachment, with the words of
    the printed documents' refusal (docs/BEHAVIOUR.md §10).
    """
    return InteractionTemplateSetup.logging_template(InteractionTemplateSetup.Event.COVER_SHEET)


def _chunks(ids: Sequence[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield list(ids[start : start + CHUNK])


def cover_sheets_check_contacts(contact_ids: Sequence[int]) -> None:
    """Refuse (ValidationError naming the first one) when any of these contacts is privacy blocked."""
    for chunk in _chunks(contact_ids):
        blocked = Contact.objects.filter(pk__in=chunk, privacy_blocked=True).order_by("pk").first()
        if blocked is not None:
            raise privacy_blocked_error(blocked)


def cover_sheets_log(contact_ids: Sequence[int], *, user: User | None) -> int:
    """Log one cover sheet entry per contact (in the given order); the number logged, 0 when not set up.

    1. The setup template (cover_sheets_template); none: nothing is logged, no error.
    2. One transaction: the contacts are locked in chunks and refused, nothing written, when one is privacy
       blocked; the entries are inserted with bulk inserts of CHUNK rows (never a save per contact): today, now,
       hard copy, document type cover sheet, blank document number, the template's group, cost, duration,
       flow and initiated by, the user's salesperson else the contact's; one audit event for all of them.
    """
    template = cover_sheets_template()
    if template is None or not contact_ids:
        return 0
    now = timezone.localtime()
    own_salesperson_id = None
    if user is not None and getattr(user, "is_authenticated", False):
        own_salesperson_id = Salesperson.objects.filter(user=user).values_list("pk", flat=True).first()
    logged = 0
    named: list[str] = []  # the first contacts' numbers, for the audit row
    with transaction.atomic():
        for chunk in _chunks(contact_ids):
            rows = {
                row[0]: row
                for row in Contact.objects.select_for_update(no_key=True)
                .filter(pk__in=chunk)
                .order_by("pk")
                .values_list("pk", "type", "company_id", "salesperson_id", "privacy_blocked", "no", "name")
            }
            entries = []
            for contact_id in chunk:
                row = rows.get(contact_id)
                if row is None:
                    continue  # deleted since it was printed: nothing to log it against
                pk, type_, company_id, salesperson_id, blocked, no, name = row
                if blocked:
                    raise privacy_blocked_error(Contact(no=no, name=name))
                if len(named) < NAMED_LIMIT:
                    named.append(no)
                entries.append(
                    InteractionLogEntry(
                        contact_id=pk,
                        contact_company_id=pk if type_ == Contact.Type.COMPANY or company_id is None else company_id,
                        date=now.date(),
                        time=now.time().replace(microsecond=0),
                        template=template,
                        group_id=template.group_id,
                        language_code=template.language_code,
                        description=(template.description or "Cover sheet")[:100],
                        information_flow=template.information_flow,
                        initiated_by=template.initiated_by,
                        cost=template.unit_cost,
                        duration_minutes=template.unit_duration_minutes,
                        correspondence_type=CorrespondenceType.HARD_COPY,
                        salesperson_id=own_salesperson_id or salesperson_id,
                        user=user if getattr(user, "pk", None) else None,
                        document_type=DocumentType.COVER_SHEET,
                        document_no="",
                    )
                )
            InteractionLogEntry.objects.bulk_create(entries, batch_size=CHUNK)
            logged += len(entries)
        if logged:
            # bulk_create skips InteractionLogEntry.save: the statistics' daily totals count the entries here, all
            # alike (one day, template, group, cost and duration), so with one statement whatever their number.
            InteractionDailyTotal.objects.add_figures(
                date=now.date(),
                template_id=template.pk,
                group_id=template.group_id,
                count=logged,
                cost=template.unit_cost * logged,
                duration_minutes=template.unit_duration_minutes * logged,
            )
            audit_record(
                AuditEvent.Action.INTERACTION_CREATED,
                user=user,
                count=logged,
                template=template.code,
                document_type=DocumentType.COVER_SHEET,
                summary=(
                    f"Logged {count_of(logged, 'printed cover sheet', 'printed cover sheets')} (template "
                    f"{template.code}) for contacts {named_list(named, logged)}"
                ),
            )
    return logged


def cover_sheet_print(contact: Contact, *, text: str, user: User | None) -> tuple[bytes, int]:
    """Print one contact's cover sheet: (the PDF, the number of entries logged: 1, or 0 when not set up).

    Refused, nothing printed or logged: a privacy-blocked contact, a text too long for the page, a setup
    template with language variants or an attachment. The PDF is rendered first (outside any transaction), then
    the entry is logged (cover_sheets_log).
    """
    text = cover_sheet_clean_text(text)
    contact = Contact.objects.select_related("company").get(pk=contact.pk)
    refuse_privacy_blocked(contact)
    cover_sheets_template()  # refuse a bad setup before printing
    pdf = cover_sheets_pdf([contact], text=text, sender=cover_sheet_sender(user))
    return pdf, cover_sheets_log([contact.pk], user=user)
