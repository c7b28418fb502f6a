"""Creating one interaction for one contact, and finishing it later (docs/BEHAVIOUR.md §2)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from crm.audit import audit_record
from crm.models import AuditEvent, Contact, CorrespondenceType, Salesperson
from crm.privacy import privacy_blocked_error, refuse_privacy_blocked

from ..document_pins import pin_documents
from ..letters import (
    entry_merge_values,
    render_letter,
    resolve_correspondence_type,
    resolve_language,
    template_attachment,
)
from ..models import DeliveryStatus, InteractionLogEntry, InteractionTemplate, StoredDocument
from ..validators import PERSONAL_NOTE_MAX_LENGTH
from .delivery import entries_deliver_after_commit
from .entries import stored_documents_delete_unused

if TYPE_CHECKING:
    from django.contrib.auth.models import User

__all__ = [
    "interaction_create",
    "interaction_preview",
    "interaction_resume",
    "interaction_delete_postponed",
    "postponed_entries_for",
    "resume_values",
    "OPTIONAL_FIELDS",
]

# What a caller may set besides the mandatory arguments. None (or leaving it out) means "the default".
OPTIONAL_FIELDS = (
    "salesperson",
    "date",
    "time",
    "correspondence_type",
    "information_flow",
    "initiated_by",
    "evaluation",
    "attempt_failed",
    "cost",
    "duration_minutes",
    "language_code",
    "subject",
    "personal_note",
    # A stored document that is the entry's content itself (a free e-mail's message, interactions.emails): it
    # stands in for the template's letter, and the message carries its own recipients.
    "document",
)
# Entry fields full_clean() must not check: foreign keys (one query each, and we resolved them already).
_NOT_CLEANED = (
    "contact",
    "contact_company",
    "template",
    "group",
    "salesperson",
    "user",
    "logged_segment",
    "document",
    "merge_template",
    "canceled_by",
)

TEMPLATE_MANDATORY = "Interaction Template Code is mandatory."
DESCRIPTION_MANDATORY = "Description is mandatory."
CONTACT_MANDATORY = "You must select a contact to interact with."
EMAIL_NEEDS_LETTER = (
    "Interaction template {code} has no letter to send by e-mail. Put a letter on the template, or choose "
    "another correspondence type."
)
EMAIL_NEEDS_ADDRESS = (
    "Contact {no} {name} has no e-mail address. Add one to the contact, or choose another correspondence type."
)
NOT_POSTPONED = "Interaction {no} is not postponed: it was finished or deleted already."
NOT_YOURS = "Interaction {no} was postponed by another user; only they can resume or delete it."


@dataclass
class _Draft:
    entry: InteractionLogEntry  # not saved yet
    letter: StoredDocument | None  # the template snapshot to merge, if the template has an attachment
    personal_note: str


def _now_rounded_up() -> datetime.time:
    # docs/BEHAVIOUR.md §2: the time starts at "now rounded up to the next minute".
    now = timezone.localtime()
    if now.second or now.microsecond:
        now += datetime.timedelta(minutes=1)
    return now.time().replace(second=0, microsecond=0)


def _default_salesperson(user: User | None, contact: Contact) -> Salesperson | None:
    if user is not None and getattr(user, "is_authenticated", False):
        own = Salesperson.objects.filter(user=user).first()
        if own is not None:
            return own
    return contact.salesperson


def _prepare(
    *,
    contact: Contact,
    template: InteractionTemplate,
    description: str | None,
    user: User | None,
    fields: dict[str, Any],
) -> _Draft:
    """Validate and resolve everything without writing a log entry. Raises ValidationError."""
    unknown = set(fields) - set(OPTIONAL_FIELDS)
    if unknown:
        raise TypeError(f"interaction_create() got unexpected fields: {', '.join(sorted(unknown))}")
    values = {name: value for name, value in fields.items() if value is not None}
    description = (description or "").strip()
    errors: dict[str, str] = {}
    if template is None:
        errors["template"] = TEMPLATE_MANDATORY
    if not description:
        errors["description"] = DESCRIPTION_MANDATORY
    if contact is None:
        errors["contact"] = CONTACT_MANDATORY
    if errors:
        raise ValidationError(errors)
    # Fresh rows: the privacy flag or the template may have changed since the page was shown.
    contact = Contact.objects.select_related("company", "salesperson").get(pk=contact.pk)
    template = InteractionTemplate.objects.select_related("group").prefetch_related("languages").get(pk=template.pk)
    refuse_privacy_blocked(contact)

    languages = {row.language_code: row for row in template.languages.all()}
    language = values.get("language_code") or resolve_language(template, contact.language_code)
    if language and language != template.language_code and language not in languages:
        raise ValidationError({"language_code": f"Interaction template {template.code} has no language {language}."})
    letter, kind = template_attachment(template, language)
    variant = languages.get(language)
    subject = values.get("subject") or (variant.subject if variant else "") or template.subject or description

    document = values.get("document")
    chosen_type = values.get("correspondence_type")
    if chosen_type is None:
        # docs/BEHAVIOUR.md §3: the template's default type, whatever the contact prefers; blank without a letter.
        correspondence_type = resolve_correspondence_type(
            template_type=template.correspondence_type, has_letter=bool(kind) or document is not None
        )
        # Resolved to e-mail but no address -> blank (nothing is sent), silently.
        if correspondence_type == CorrespondenceType.EMAIL and not contact.email:
            correspondence_type = CorrespondenceType.BLANK
    else:
        correspondence_type = chosen_type
        # The user chose: an e-mail with nothing to send is refused rather than logged as something else. A hard
        # copy chosen by hand is recorded as the user says (something was posted), letter or not. A free e-mail's
        # own message stands in for the letter and carries its own recipients.
        if correspondence_type == CorrespondenceType.EMAIL and document is None and not kind:
            message = EMAIL_NEEDS_LETTER.format(code=template.code)
            raise ValidationError({"correspondence_type": message}, code="email_needs_letter")
        if correspondence_type == CorrespondenceType.EMAIL and document is None and not contact.email:
            # Refusing beats logging an entry that can never be delivered.
            raise ValidationError({"correspondence_type": EMAIL_NEEDS_ADDRESS.format(no=contact.no, name=contact.name)})

    personal_note = (values.get("personal_note") or "").strip()
    if len(personal_note) > PERSONAL_NOTE_MAX_LENGTH:
        raise ValidationError(
            {
                "personal_note": f"A personal note can have at most {PERSONAL_NOTE_MAX_LENGTH:,} characters (this "
                f"one has {len(personal_note):,}); for a longer text, upload a letter of its own."
            }
        )
    if personal_note and not letter:
        raise ValidationError(
            {"personal_note": f"Interaction template {template.code} has no letter to put a personal note in."}
        )
    salesperson = values["salesperson"] if "salesperson" in values else _default_salesperson(user, contact)
    entry = InteractionLogEntry(
        contact=contact,
        contact_company=contact.company_or_self,
        date=values.get("date") or timezone.localdate(),
        time=values.get("time") or _now_rounded_up(),
        template=template,
        group=template.group,
        language_code=language,
        description=description,
        subject=subject,
        information_flow=values.get("information_flow", template.information_flow),
        initiated_by=values.get("initiated_by", template.initiated_by),
        attempt_failed=bool(values.get("attempt_failed", False)),
        cost=values.get("cost", template.unit_cost),
        duration_minutes=values.get("duration_minutes", template.unit_duration_minutes),
        correspondence_type=correspondence_type,
        delivery_status=DeliveryStatus.IN_PROGRESS if correspondence_type == CorrespondenceType.EMAIL else "",
        evaluation=values.get("evaluation", ""),
        salesperson=salesperson,
        user=user if user is not None and getattr(user, "is_authenticated", False) else None,
        merge_template=letter,
        document=document,
    )
    if Decimal(entry.cost) < 0:
        raise ValidationError({"cost": "Cost cannot be negative."})
    if int(entry.duration_minutes) < 0:
        raise ValidationError({"duration_minutes": "Duration cannot be negative."})
    entry.full_clean(exclude=_NOT_CLEANED, validate_unique=False, validate_constraints=False)
    return _Draft(entry=entry, letter=letter, personal_note=personal_note)


def _merge_values(draft: _Draft, *, entry_no: int | None) -> dict[str, str]:
    return entry_merge_values(draft.entry, entry_no=entry_no, personal_note=draft.personal_note)


def interaction_create(
    *,
    contact: Contact,
    template: InteractionTemplate,
    description: str | None,
    user: User | None,
    postpone: bool = False,
    **fields: Any,
) -> InteractionLogEntry:
    """Log one interaction with one contact (docs/BEHAVIOUR.md §2); e-mail it after commit when its type is e-mail.

    postpone=True ("Finish later"): the same checks, then the entry is saved postponed: listed on Postponed
    Interactions only, not sent, counted nowhere, until interaction_resume finishes it.

    1. Validate and resolve (outside the transaction): template defaults, overrides, language variant,
       correspondence type (docs/BEHAVIOUR.md §3), the refusals of §2. The template's letter is
       snapshotted as a content-addressed StoredDocument here, because that reads and writes files.
    2. One transaction: pin the letter snapshot (a concurrent "delete canceled entries" may have just deleted
       it as unused: then take a new one, see interactions.document_pins), lock the contact row (so it cannot
       become privacy blocked or be deleted half-way), insert the entry, then store the merge values, which
       include the new entry number, and write the audit event. The letter itself is not rendered here:
       merge_template + merge_values reproduce it byte for byte on demand.
    3. After commit, an e-mail entry is handed to the delivery task, which sets delivery_status.
    """
    for _ in range(3):
        draft = _prepare(contact=contact, template=template, description=description, user=user, fields=fields)
        with transaction.atomic():
            wanted = {stored.pk for stored in (draft.letter, draft.entry.document) if stored is not None}
            if not wanted or pin_documents(wanted) == wanted:
                return _save(draft, user=user, postpone=postpone)
    raise RuntimeError("The template's letter snapshot was deleted three times while logging; nothing was logged.")


def _save(
    draft: _Draft, *, user: User | None, postpone: bool, resumed: InteractionLogEntry | None = None
) -> InteractionLogEntry:
    entry = draft.entry
    locked = Contact.objects.select_for_update().only("privacy_blocked").get(pk=entry.contact.pk)
    if locked.privacy_blocked:
        raise privacy_blocked_error(entry.contact)
    entry.postponed = postpone
    if postpone:
        entry.delivery_status = DeliveryStatus.DONE  # nothing is sent before the interaction is finished
    if resumed is None:
        entry.save()
    else:
        # The same entry number (reference 2.1, Resume): the row is overwritten with what the page now says. The
        # draft is a new instance, so save() counts it in the statistics' daily totals as it does a new entry
        # (a postponed entry was never counted, and one postponed again is left out by the default manager).
        entry.pk = resumed.pk
        entry.created_at = timezone.now()
        entry.save(force_update=True)
    if draft.letter is not None:
        entry.merge_values = _merge_values(draft, entry_no=entry.pk)
        entry.save(update_fields=["merge_values"])
    if postpone:
        return entry  # not an interaction yet: the audit trail records it when it is finished
    template_code = entry.template.code
    audit_record(
        AuditEvent.Action.INTERACTION_CREATED,
        user=user,
        obj=entry,
        count=1,
        contact=entry.contact.no,
        template=template_code,
        correspondence_type=entry.correspondence_type,
        resumed=resumed is not None,
        summary=(
            f"{'Finished postponed' if resumed is not None else 'Created'} interaction log entry {entry.pk} for "
            f"contact {entry.contact} (template {template_code})"
        ),
    )
    if entry.delivery_status == DeliveryStatus.IN_PROGRESS:
        entries_deliver_after_commit([entry.pk])
    return entry


def interaction_preview(
    *,
    contact: Contact,
    template: InteractionTemplate,
    description: str | None,
    user: User | None,
    **fields: Any,
) -> tuple[bytes, str, str]:
    """The letter this interaction would produce, (bytes, filename, content type), logging nothing."""
    draft = _prepare(contact=contact, template=template, description=description, user=user, fields=fields)
    if draft.letter is None:
        raise ValidationError(
            {"template": f"Interaction template {draft.entry.template.code} has no letter to preview."}
        )
    return render_letter(draft.letter, _merge_values(draft, entry_no=None))


def postponed_entries_for(user: User | None) -> QuerySet[InteractionLogEntry]:
    """The postponed entries a user may resume or delete: their own; a superuser's are everyone's."""
    entries = InteractionLogEntry.postponed_objects.all()
    if getattr(user, "is_superuser", False):
        return entries
    if not getattr(user, "is_authenticated", False):
        return entries.none()
    return entries.filter(user=user)


def _locked_postponed(entry: InteractionLogEntry, *, user: User | None) -> InteractionLogEntry:
    """Inside the caller's transaction: the entry's row, locked, still postponed and the user's to touch."""
    locked = InteractionLogEntry.all_objects.select_for_update().filter(pk=entry.pk).first()
    if locked is None or not locked.postponed:
        raise ValidationError(NOT_POSTPONED.format(no=entry.pk), code="not_postponed")
    if not postponed_entries_for(user).filter(pk=locked.pk).exists():
        raise PermissionDenied(NOT_YOURS.format(no=entry.pk))
    return locked


# What Resume keeps from the postponed entry when the caller does not say otherwise ("everything filled in"):
# every optional field but the date and time (today's, reference 2.1), and the subject and personal note
# (resume_values reads the note from the merge values).
_RESUMED_FROM_ENTRY = tuple(
    name for name in OPTIONAL_FIELDS if name not in {"date", "time", "subject", "personal_note"}
)


def resume_values(entry: InteractionLogEntry) -> dict[str, Any]:
    """The postponed entry's values as interaction_create's arguments; the date is today's (reference 2.1)."""
    values = {name: getattr(entry, name) for name in _RESUMED_FROM_ENTRY}
    values.update(
        contact=entry.contact,
        template=entry.template,
        description=entry.description,
        personal_note=(entry.merge_values or {}).get("personal_note") or None,
        date=timezone.localdate(),
    )
    return values


def interaction_resume(
    entry: InteractionLogEntry, *, user: User | None, postpone: bool = False, **fields: Any
) -> InteractionLogEntry:
    """Finish a postponed entry under its own entry number (reference 2.1, Resume; docs/BEHAVIOUR.md §2).

    `fields` are interaction_create's arguments (contact, template, description and the optional ones); what is
    not given is kept from the postponed entry, except the date, which is today's. The same checks as logging a
    new interaction apply, and an e-mail is sent after commit. postpone=True saves the changes and keeps the entry
    postponed ("Finish later" again). Refused: an entry that is not postponed (any more), another user's.
    """
    arguments = {**resume_values(entry), **fields}
    contact, template, description = arguments.pop("contact"), arguments.pop("template"), arguments.pop("description")
    for _ in range(3):
        draft = _prepare(contact=contact, template=template, description=description, user=user, fields=arguments)
        with transaction.atomic():
            locked = _locked_postponed(entry, user=user)
            wanted = {stored.pk for stored in (draft.letter, draft.entry.document) if stored is not None}
            if not wanted or pin_documents(wanted) == wanted:
                old_documents = {pk for pk in (locked.merge_template_id, locked.document_id) if pk}
                saved = _save(draft, user=user, postpone=postpone, resumed=locked)
                # The old letter snapshot may be unused now (the template changed since it was postponed).
                stored_documents_delete_unused(old_documents - wanted)
                return saved
    raise RuntimeError("The template's letter snapshot was deleted three times while logging; nothing was logged.")


@transaction.atomic
def interaction_delete_postponed(entry: InteractionLogEntry, *, user: User | None) -> None:
    """Delete a postponed entry (reference 2.1); any other entry is refused with a ValidationError."""
    locked = _locked_postponed(entry, user=user)
    documents = {pk for pk in (locked.merge_template_id, locked.document_id) if pk}
    locked.delete()
    stored_documents_delete_unused(documents)
