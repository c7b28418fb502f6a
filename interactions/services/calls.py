"""Logging an outgoing phone call (docs/BEHAVIOUR.md §10, "Outgoing phone calls"): Business Central's Make Phone
Call, logged with the template of the setup row "Outgoing phone calls"."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError

from crm.models import Contact, CorrespondenceType

from ..models import InteractionLogEntry, InteractionTemplateSetup
from .create import interaction_create

if TYPE_CHECKING:
    from django.contrib.auth.models import User

__all__ = ["interaction_log_call", "CALL_SETUP_MISSING", "PHONE_NUMBER_MISSING", "contact_phone_numbers"]

CALL_SETUP_MISSING = (
    "Set a template for outgoing phone calls in Interaction template setup first (the Outg. Calls field in the "
    "Interaction Template Setup window must be filled in)."
)
PHONE_NUMBER_MISSING = "You must fill in the phone number."


def contact_phone_numbers(contact: Contact) -> list[str]:
    """The numbers a call can go to: the contact's phone, then its mobile (each once)."""
    numbers = []
    for number in (contact.phone, contact.mobile):
        number = (number or "").strip()
        if number and number not in numbers:
            numbers.append(number)
    return numbers


def interaction_log_call(
    contact: Contact,
    *,
    user: User | None,
    description: str | None = None,
    phone_no: str | None = None,
    duration_minutes: int | None = None,
    attempt_failed: bool = False,
    evaluation: str = "",
    **fields: Any,
) -> InteractionLogEntry:
    """Log one outgoing call to `contact` with the "Outgoing phone calls" setup template.

    1. Refused, nothing written: no setup template (CALL_SETUP_MISSING), a contact without a phone or mobile
       number, or a `phone_no` that is not one of them (PHONE_NUMBER_MISSING).
    2. Everything else is interaction_create's (docs/BEHAVIOUR.md §2): its checks (description mandatory,
       privacy), the template's defaults (description, group, cost, flow, initiated by), the duration given
       (else the template's), "attempt failed" and the evaluation. A call is not correspondence: the
       correspondence type is blank, so nothing is sent or printed.
    """
    template = InteractionTemplateSetup.template_for(InteractionTemplateSetup.Event.PHONE_CALL)
    if template is None:
        raise ValidationError(CALL_SETUP_MISSING, code="no_setup")
    contact = Contact.objects.select_related("company", "salesperson").get(pk=contact.pk)
    numbers = contact_phone_numbers(contact)
    if not numbers or (phone_no and phone_no.strip() not in numbers):
        raise ValidationError({"phone_no": PHONE_NUMBER_MISSING}, code="no_phone_number")
    if description is None:
        description = template.description
    return interaction_create(
        contact=contact,
        template=template,
        description=description,
        user=user,
        duration_minutes=duration_minutes,
        attempt_failed=bool(attempt_failed),
        evaluation=evaluation or "",
        correspondence_type=CorrespondenceType.BLANK,
        **fields,
    )
