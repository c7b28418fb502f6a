"""The worksheet itself: create, edit the header (and push it to the lines), edit lines, delete (docs/BEHAVIOUR.md §6).

Adding and removing a line by hand are undoable steps, like the criteria steps in `criteria_steps.py`; both
record their history through `step_history.py`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from crm.audit import audit_record
from crm.models import AuditEvent, Contact
from crm.numbering import next_number
from crm.privacy import refuse_privacy_blocked
from crm.versioning import ensure_version
from crm.wording import count_of, field_names
from interactions.document_pins import pin_documents
from interactions.letters import DOCX_CONTENT_TYPE
from interactions.merge import MergeTemplateError, compile_docx
from interactions.storage import store_document
from interactions.validators import check_upload_size

from ..models import Segment, SegmentCriteriaAction, SegmentHistory, SegmentLine
from .criteria_steps import segment_add_contacts
from .step_history import (
    OVERRIDE_FIELDS,
    delete_steps,
    delete_worksheet,
    segment_lock,
    step_finish,
    step_inserted,
    step_start,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from interactions.models import InteractionTemplate

__all__ = [
    "segment_create",
    "segment_update_header",
    "segment_header_push_preview",
    "segment_line_add",
    "segment_line_remove",
    "segment_line_update",
    "segment_line_set_letter",
    "segment_delete",
    "segment_steps_to_reset",
    "segment_reset_steps",
    "RESET_STEPS_QUESTION",
    "HEADER_FIELDS",
    "LINE_FIELDS",
]

# Header fields a user edits (docs/BEHAVIOUR.md §6).
HEADER_FIELDS = (
    "description",
    "template",
    "correspondence_type",
    "ignore_contact_correspondence_type",
    "subject",
    "language_code",
    "salesperson",
    "date",
    "unit_cost",
    "unit_duration_minutes",
    "information_flow",
    "initiated_by",
)
# What a template gives the header as defaults (docs/BEHAVIOUR.md §6: choosing a template copies them).
TEMPLATE_DEFAULTS = {
    "language_code": "language_code",
    "unit_cost": "unit_cost",
    "unit_duration_minutes": "unit_duration_minutes",
    "information_flow": "information_flow",
    "initiated_by": "initiated_by",
    "correspondence_type": "correspondence_type",
    "ignore_contact_correspondence_type": "ignore_contact_correspondence_type",
    "subject": "subject",
}
# Header field -> the line override it can be pushed to (header-only fields have none).
PUSHABLE = {
    "description": "description",
    "correspondence_type": "correspondence_type",
    "subject": "subject",
    "language_code": "language_code",
    "salesperson": "salesperson",
    "date": "date",
    "unit_cost": "unit_cost",
    "unit_duration_minutes": "unit_duration_minutes",
}
LINE_FIELDS = (
    "description",
    "template",
    "correspondence_type",
    "subject",
    "language_code",
    "salesperson",
    "date",
    "unit_cost",
    "unit_duration_minutes",
    "personal_note",
)
# How many lines the "Update the lines too" confirmation names; the rest are counted.
NAMED_LINES = 10
# Business Central's question, word for word (docs/BEHAVIOUR.md §6): asked when a removal leaves the worksheet empty.
RESET_STEPS_QUESTION = "Your Segment is now empty. Do you want to reset number of criteria actions?"


# `segment_line_set_letter(replacing=…)` not given: callers without a page (tests, the admin) replace any letter.
ANY_LETTER = object()


def _unknown(fields: dict[str, Any], allowed: Iterable[str]) -> None:
    unknown = sorted(set(fields) - set(allowed))
    if unknown:
        raise ValidationError(f"Unknown field: {', '.join(unknown)}.")


def template_defaults(template: InteractionTemplate | None) -> dict[str, Any]:
    """The header values a template suggests (the form pre-fills them; segment_create applies them)."""
    if template is None:
        return {}
    return {header: getattr(template, attr) for header, attr in TEMPLATE_DEFAULTS.items()}


@transaction.atomic
def segment_create(*, user: User | None, criteria: dict | None = None, **fields: Any) -> Segment:
    """Create a worksheet. Header values not given come from the template, the user's salesperson and today.

    With `criteria`, a first Add step adds the matching contacts (the contact list's "New segment from these
    filters"), in the same transaction: a bad criteria creates nothing.
    """
    _unknown(fields, HEADER_FIELDS)
    values = {**template_defaults(fields.get("template")), **fields}
    if "salesperson" not in values and user is not None:
        values["salesperson"] = getattr(user, "salesperson", None)
    values.setdefault("date", timezone.localdate())
    segment = Segment(created_by=user, **values)
    segment.no = next_number("segment")
    segment.full_clean(exclude=["created_by"])
    segment.save()
    if criteria:
        segment_add_contacts(segment, criteria=criteria, user=user)
    return segment


@transaction.atomic
def segment_update_header(
    segment: Segment, *, user: User | None, push_to_lines: bool = False, row_version: int | None = None, **fields: Any
) -> Segment:
    """Change header values. With `push_to_lines`, the lines that still use the header template drop their
    overrides of the changed fields, so they follow the new header value (the page asks first).

    "Still use the header template": lines without a template of their own, or with the (old) header template.
    When the template itself changes, those lines follow the new one too.
    `row_version`: the header's version when the form was opened; a header saved since refuses this save.
    """
    _unknown(fields, HEADER_FIELDS)
    stored = segment_lock(segment)
    ensure_version(stored, row_version, what=f"The header of segment {stored.no}")
    fields, changed = _header_changes(stored, fields)
    if not changed:
        # Saving the header as it is changes nothing and is not recorded (the audit said "…: nothing").
        return stored
    pushed, clear = _lines_pushed(stored, changed) if push_to_lines else (SegmentLine.objects.none(), {})
    for name, value in fields.items():
        setattr(stored, name, value)
    stored.row_version += 1
    stored.full_clean(exclude=["created_by"])
    stored.save()
    lines_changed = pushed.update(**clear) if clear else 0
    summary = f"Changed the header of segment {stored.no}: {field_names(changed)}"
    if push_to_lines:
        summary += f"; {count_of(lines_changed, 'line', 'lines')} updated too"
    audit_record(
        AuditEvent.Action.SEGMENT_CHANGED,
        user=user,
        obj=stored,
        count=lines_changed,
        fields=changed,
        pushed=push_to_lines,
        summary=summary,
    )
    return stored


def segment_header_push_preview(
    segment: Segment, *, limit: int = NAMED_LINES, **fields: Any
) -> tuple[list[SegmentLine], int]:
    """Which lines "Update the lines too" would change if the header took these values: the first `limit` of
    them (with their contacts, in line order) and how many in all. Changes nothing: the page shows it before the
    user confirms (docs/BEHAVIOUR.md §6). Two queries: the first lines and, only when there are more, the count.

    A line changes when it follows the header's template (none of its own, or the header's) and holds a value
    of its own in a changed field; a line with a template of its own keeps its description and every other
    value, as in Business Central (the push updates only the lines whose template is the header's)."""
    _unknown(fields, HEADER_FIELDS)
    stored = Segment.objects.get(pk=segment.pk)
    _, changed = _header_changes(stored, fields)
    pushed, _ = _lines_pushed(stored, changed)
    lines = list(pushed.select_related("contact").order_by("id")[:limit])
    count = pushed.count() if len(lines) == limit else len(lines)
    return lines, count


def _header_changes(stored: Segment, fields: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The values the header takes and the names of those that differ from what it holds."""
    if "template" in fields and fields["template"] != stored.template:
        # docs/BEHAVIOUR.md §6: choosing another template copies its defaults, except what the user set alongside.
        fields = {**template_defaults(fields["template"]), **fields}
    return fields, [name for name, value in fields.items() if getattr(stored, name) != value]


def _lines_pushed(stored: Segment, changed: list[str]) -> tuple[QuerySet[SegmentLine], dict[str, Any]]:
    """The lines a push of the changed header fields changes, and the overrides it clears on them.

    Only lines that follow the header's (current, not yet changed) template: none of their own, or the header's.
    Of those, only the ones holding a value of their own in a cleared field: the others change nothing."""
    clear: dict[str, Any] = {}
    for name in changed:
        target = PUSHABLE.get(name)
        if target is None:
            continue
        field = SegmentLine._meta.get_field(target)
        clear[target] = None if field.null else ""
    if "template" in changed:
        clear["template"] = None
    if not clear:
        return SegmentLine.objects.none(), {}
    holding = Q()
    for target, empty in clear.items():
        holding |= Q(**{f"{target}__isnull": False}) if empty is None else ~Q(**{target: empty})
    following = Q(template__isnull=True) | Q(template_id=stored.template_id)
    return SegmentLine.objects.filter(segment=stored).filter(following).filter(holding), clear


@transaction.atomic
def segment_line_add(
    segment: Segment, *, contact: Contact, user: User | None, allow_existing: bool = False
) -> SegmentLine:
    """Add one contact by hand: an undoable step ("Add line"), with the same rules as Add contacts."""
    segment = segment_lock(segment)
    refuse_privacy_blocked(contact)
    if not allow_existing and segment.lines.filter(contact=contact).exists():
        raise ValidationError(f"Contact {contact.no} {contact.name} is already on segment {segment.no}.")
    step = step_start(
        segment,
        action=SegmentCriteriaAction.Action.ADD_LINE,
        criteria={"no": contact.no},
        options={"allow_existing": allow_existing, "ignore_exclusion": True},
        user=user,
    )
    line = SegmentLine.objects.create(segment=segment, contact=contact)
    step_inserted(step, line.pk, line.pk)
    step_finish(step, 1)
    return line


@transaction.atomic
def segment_line_remove(line: SegmentLine, *, user: User | None) -> None:
    """Remove one line by hand: an undoable step; go back restores it with its overrides."""
    segment = segment_lock(line.segment)
    try:
        line = SegmentLine.objects.select_related("contact").get(pk=line.pk, segment=segment)
    except SegmentLine.DoesNotExist:
        raise ValidationError("This line is no longer on the segment.")
    step = step_start(
        segment,
        action=SegmentCriteriaAction.Action.REMOVE_LINE,
        criteria={"no": line.contact.no},
        options={},
        user=user,
    )
    SegmentHistory.objects.create(
        action=step,
        kind=SegmentHistory.Kind.DELETION,
        line_id=line.pk,
        contact_id=line.contact_id,
        **{name: getattr(line, name) for name in OVERRIDE_FIELDS},
    )
    line.delete()
    step_finish(step, 1)


@transaction.atomic
def segment_line_update(
    line: SegmentLine, *, user: User | None, row_version: int | None = None, **fields: Any
) -> SegmentLine:
    """Set a line's overrides and personal note. Blank / None means "as the header says".

    `row_version`: the line's version when its form was opened; a change saved since refuses this one.
    """
    _unknown(fields, LINE_FIELDS)
    line = SegmentLine.objects.select_for_update().get(pk=line.pk)
    ensure_version(line, row_version, what=f"The line for {line.contact.name}")
    for name, value in fields.items():
        field = SegmentLine._meta.get_field(name)
        if value is None and not field.null:
            value = ""
        setattr(line, name, value)
    if line.unit_cost is not None and line.unit_cost < 0:
        raise ValidationError({"unit_cost": "The cost cannot be negative."})
    line.row_version += 1
    line.full_clean()
    line.save(update_fields=[SegmentLine._meta.get_field(name).attname for name in fields] + ["row_version"])
    audit_record(
        AuditEvent.Action.SEGMENT_CHANGED,
        user=user,
        obj=line.segment,
        count=1,
        contact=line.contact.no,
        fields=sorted(fields),
        summary=(
            f"Changed the line of contact {line.contact} on segment {line.segment.no}: {field_names(sorted(fields))}"
        ),
    )
    return line


def segment_line_set_letter(
    line: SegmentLine,
    *,
    data: bytes | None,
    filename: str = "",
    user: User | None,
    replacing: int | None | object = ANY_LETTER,
) -> SegmentLine:
    """Give one line its own Word letter (replacing the template letter for that contact only), or remove it
    with `data=None`. The upload is validated like a template upload: a real .docx, within the size limit,
    every merge field known. Validation and storing the file happen before the (short) transaction.

    `replacing`: the letter (stored document id, None for none) the user saw and confirmed replacing or removing
    (docs/SECURITY.md, issue 14); when the line holds another one by now, nothing is changed.
    """
    document = None
    if data is not None:
        if filename and not filename.lower().endswith(".docx"):
            raise ValidationError({"letter": "Upload a Word .docx document."})
        try:
            check_upload_size(len(data))
            compile_docx(data, max_bytes=settings.MAX_TEMPLATE_BYTES)
        except ValidationError as error:
            raise ValidationError({"letter": error.messages})
        except MergeTemplateError as error:
            raise ValidationError({"letter": str(error)})
        document = store_document(data, filename=filename or "letter.docx", content_type=DOCX_CONTENT_TYPE)
    with transaction.atomic():
        line = SegmentLine.objects.select_for_update().get(pk=line.pk)
        if replacing is not ANY_LETTER and line.letter_id != replacing:
            raise ValidationError(
                {
                    "letter": f"The letter of {line.contact.name} was changed by someone else since you opened it. "
                    "Nothing was changed; look at it again before replacing or removing it."
                }
            )
        if document is not None and not pin_documents([document.pk]):
            # Deleted meanwhile with canceled entries that used the same bytes (interactions.document_pins).
            document = store_document(data, filename=filename or "letter.docx", content_type=DOCX_CONTENT_TYPE)
        line.letter = document
        line.save(update_fields=["letter"])
        audit_record(
            AuditEvent.Action.SEGMENT_CHANGED,
            user=user,
            obj=line.segment,
            count=1,
            contact=line.contact.no,
            letter=document.filename if document else "removed",
            summary=(
                f"Gave the line of contact {line.contact} on segment {line.segment.no} its own letter "
                f"{document.filename}"
                if document
                else f"Removed the own letter of the line of contact {line.contact} on segment {line.segment.no}"
            ),
        )
    return line


@transaction.atomic
def segment_delete(segment: Segment, *, user: User | None) -> None:
    """Delete a worksheet with its lines, steps and history (logged segments are not worksheets)."""
    segment = segment_lock(segment)
    lines = segment.lines.count()
    delete_worksheet(segment)
    # str(): the deleted worksheet has no page to link to.
    audit_record(
        AuditEvent.Action.SEGMENT_DELETED,
        user=user,
        obj=str(segment),
        count=lines,
        summary=f"Deleted segment {segment.no} with {count_of(lines, 'line', 'lines')}",
    )


def segment_steps_to_reset(segment: Segment) -> int:
    """How many steps the "Your Segment is now empty" question would clear, or 0 when there is no question.

    The page asks it right after a removal (reduce, refine, a line removed by hand) left the worksheet without
    lines. As in Business Central (docs/BEHAVIOUR.md §6), only when there is more than one step: the removal itself
    is one, and a worksheet whose only step is that removal has no history worth a question.
    """
    if SegmentLine.objects.filter(segment_id=segment.pk).exists():
        return 0
    steps = SegmentCriteriaAction.objects.filter(segment_id=segment.pk).count()
    return steps if steps > 1 else 0


@transaction.atomic
def segment_reset_steps(segment: Segment, *, user: User | None) -> int:
    """Clear an empty worksheet's steps and their undo history ("Yes" to the question above). Returns the
    number of steps cleared. Afterwards Go back has nothing to undo and the worksheet starts afresh.

    Refused, changing nothing, while the segment has lines (someone may have added some since the question was
    asked): those steps are what Go back needs to take the lines out again.
    """
    segment = segment_lock(segment)
    if SegmentLine.objects.filter(segment_id=segment.pk).exists():
        raise ValidationError(
            f"Segment {segment.no} is not empty any more, so its criteria actions were kept. "
            "Only an empty segment's criteria actions can be reset."
        )
    if not segment.criteria_actions.exists():
        raise ValidationError(f"Segment {segment.no} has no criteria actions to reset.")
    cleared = delete_steps(segment)
    audit_record(
        AuditEvent.Action.SEGMENT_STEPS_RESET,
        user=user,
        obj=segment,
        count=cleared,
        summary=f"Reset {count_of(cleared, 'criteria action', 'criteria actions')} of empty segment {segment.no}",
    )
    return cleared
