"""Every change to contacts goes through these functions (keyword-only, one transaction each)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError

from .audit import audit_record
from .models import AuditEvent, Contact
from .numbering import next_number
from .versioning import ensure_version
from .wording import count_of, field_names

if TYPE_CHECKING:
    from django.contrib.auth.models import User

CONTACT_M2M = ("mailing_groups", "industry_groups", "job_responsibilities")


def _check_company(contact: Contact) -> None:
    if contact.type == Contact.Type.COMPANY:
        contact.company = None
    elif contact.company_id and contact.company.type != Contact.Type.COMPANY:
        raise ValidationError({"company": "A person's company must be a contact of type company."})


@transaction.atomic
def contact_create(*, user: User | None = None, **fields: Any) -> Contact:
    m2m = {name: fields.pop(name) for name in CONTACT_M2M if name in fields}
    contact = Contact(**fields)
    _check_company(contact)
    contact.no = next_number("contact")
    contact.full_clean()
    contact.save()
    for name, values in m2m.items():
        getattr(contact, name).set(values)
    audit_record(
        AuditEvent.Action.CONTACT_CREATED, user=user, obj=contact, count=1, summary=f"Created contact {contact}"
    )
    return contact


@transaction.atomic
def contact_update(
    contact: Contact, *, user: User | None = None, row_version: int | None = None, **fields: Any
) -> Contact:
    """Apply changes, enforcing the rules of docs/BEHAVIOUR.md §1 (type and company changes).

    `row_version`: the contact's version when the edit form was opened; a save since then refuses this one.
    """
    m2m = {name: fields.pop(name) for name in CONTACT_M2M if name in fields}
    stored = Contact.objects.select_for_update().get(pk=contact.pk)
    ensure_version(stored, row_version, what=f"Contact {stored.no}")
    new_type = fields.get("type", stored.type)
    # Every entry counts here, a postponed one too (interactions.models.LoggedEntryManager hides those).
    entries = stored.interaction_entries.model.all_objects
    if new_type != stored.type and entries.filter(contact=stored).exists():
        raise ValidationError(
            {"type": "Type cannot be changed because one or more interaction log entries are linked to the contact."}
        )
    new_company = fields.get("company", stored.company)
    new_company_id = new_company.pk if new_company else None
    if stored.type == Contact.Type.PERSON and new_company_id != stored.company_id and stored.segment_lines.exists():
        raise ValidationError(
            {
                "company": "You cannot change the company because one or more unlogged segments are assigned "
                "to the contact."
            }
        )
    if new_type == Contact.Type.PERSON and stored.type == Contact.Type.COMPANY and stored.persons.exists():
        raise ValidationError({"type": "A company with persons cannot become a person."})
    changed = [name for name, value in fields.items() if getattr(stored, name) != value]
    for name, value in fields.items():
        setattr(contact, name, value)
    _check_company(contact)
    contact.row_version = stored.row_version + 1
    contact.full_clean()
    contact.save()
    for name, values in m2m.items():
        before = set(getattr(stored, name).values_list("pk", flat=True))
        getattr(contact, name).set(values)
        if before != {getattr(value, "pk", value) for value in values}:
            changed.append(name)
    audit_record(
        AuditEvent.Action.CONTACT_CHANGED,
        user=user,
        obj=contact,
        count=1,
        fields=sorted(changed),
        summary=f"Changed contact {contact}: {field_names(sorted(changed))}",
    )
    return contact


@transaction.atomic
def contact_delete(contact: Contact, *, user: User | None = None) -> None:
    """Delete a contact. A person's log entries move to its company; a company's keep their data, detached."""
    if contact.segment_lines.exists():
        raise ValidationError(
            f"You cannot delete contact {contact.no} because the contact is assigned one or more unlogged segments."
        )
    if contact.type == Contact.Type.COMPANY and contact.persons.exists():
        raise ValidationError(f"You cannot delete company {contact.no} while persons belong to it.")
    moved = 0
    if contact.type == Contact.Type.PERSON and contact.company_id:
        # all_objects: a postponed entry moves too (the default manager hides those).
        entries = contact.interaction_entries.model.all_objects
        moved = entries.filter(contact=contact).update(contact=contact.company_id)
    try:
        contact.delete()
    except ProtectedError as error:
        raise ValidationError(f"You cannot delete contact {contact.no}: other records still refer to it.") from error
    # str(): the deleted contact has no page to link to.
    summary = f"Deleted contact {contact}"
    if moved:
        summary += f"; {count_of(moved, 'interaction log entry', 'interaction log entries')} moved to its company"
    audit_record(
        AuditEvent.Action.CONTACT_DELETED, user=user, obj=str(contact), count=1, entries_moved=moved, summary=summary
    )


from .document_printing import (  # noqa: E402,F401
    document_create,
    document_email,
    document_email_draft,
    document_print,
    document_update,
)
