"""Logging a segment (docs/BEHAVIOUR.md §7): a worksheet becomes one LoggedSegment and one log entry per line.

`segment_log` does it in one short transaction; the slow part (merging letters, sending e-mail) runs afterwards
as a background task (`segments.tasks`, running `segments.log_job`) that a `LogJob` row tracks. The entries are
written by one INSERT … SELECT (`entry_insert_sql.py`); what can happen to a logged segment afterwards is in
`logged_segments.py`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from crm.audit import audit_record
from crm.models import AuditEvent, CorrespondenceType
from crm.privacy import privacy_blocked_error
from crm.wording import count_of
from interactions.models import (
    InteractionDailyTotal,
    InteractionLogEntry,
    InteractionTemplate,
    InteractionTemplateLanguage,
    LoggedSegment,
)

from ..models import LogJob, Segment, SegmentLine
from ..tasks import run_log_job
from .entry_insert_sql import entries_insert, lines_typed_without_letter, lines_with_correspondence_type_exist
from .logged_segments import logged_segment_create_follow_up
from .step_history import delete_worksheet
from .unsendable_lines import unsendable_refusal

if TYPE_CHECKING:
    from django.contrib.auth.models import User

__all__ = ["segment_log", "segment_log_options"]


def segment_log(segment: Segment, *, user: User | None, send: bool = False, follow_up: bool = False) -> LoggedSegment:
    """Log a segment: all or nothing, in one transaction.

    1. Lock the segment row (SELECT … FOR UPDATE) and re-read it. A second simultaneous click waits on this
       lock and then finds the segment gone: "Segment X has already been logged." Nothing else is locked
       (SQLite serialises writers on its own: the project opens write transactions IMMEDIATE).
    2. Refuse: a logged segment with this number exists, blank description, no lines, a privacy-blocked
       contact, a line with no salesperson (line, header, contact's, in that order); with `send`, a line set to
       hard copy or e-mail of its own that has no letter at all (named; nothing is written).
    3. Create the LoggedSegment.
    4. Insert one log entry per line with one INSERT … SELECT (`entries_insert`): every value resolved in
       SQL (line override, else header, else template), correspondence type per docs/BEHAVIOUR.md §3, language
       per §4, the line's replacement letter and personal note carried onto the entry. The statistics' daily
       totals (InteractionDailyTotal) count the new entries with one grouped upsert.
    5. With `send`: refuse if e-mail entries' contacts have no e-mail address, naming them (the transaction rolls
       back; `unsendable_lines` has the ways out). Without it, such lines were logged with a blank type (§3).
    6. Delete the worksheet: its history, steps, lines and header.
    7. With `follow_up`: a new segment "Follow-up on segment <No>" with the same contacts.
    8. If letters are to be merged or e-mail sent: a LogJob row, and after commit its task is enqueued
       (merging and sending happen outside this transaction and its lock).
    """
    with transaction.atomic():
        locked = Segment.objects.select_for_update().filter(pk=segment.pk).first()  # 1.
        if locked is None:
            raise ValidationError(f"Segment {segment.no} has already been logged.")
        segment = locked
        _check_can_log(segment)  # 2.
        if send:
            _refuse_typed_lines_without_letter(segment)
        logged = LoggedSegment.objects.create(  # 3.
            segment_no=segment.no, worksheet_id=segment.pk, description=segment.description, user=user
        )
        before = InteractionLogEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        count = entries_insert(segment, logged, user=user, send=send)  # 4.
        _refuse_blocked_contacts(segment, inserted=count)
        # The new entries by id range (read in table order) and their logged segment.
        InteractionDailyTotal.objects.add_entries(
            InteractionLogEntry.objects.filter(pk__gt=before, logged_segment=logged), one_group_likely=True
        )
        if send:  # 5.
            _check_email_addresses(logged)
        delete_worksheet(segment)  # 6.
        # 7. (the new segment is handed back on the logged segment, for the page's message)
        logged.follow_up_segment = logged_segment_create_follow_up(logged, user=user) if follow_up else None
        audit_record(
            AuditEvent.Action.SEGMENT_LOGGED,
            user=user,
            obj=logged,
            count=count,
            segment_no=segment.no,
            send=send,
            follow_up=logged.follow_up_segment.no if logged.follow_up_segment else "",
            summary=_logged_summary(logged, segment, count=count, send=send),
        )
        if count and _needs_job(segment, send=send):  # 8.
            job = LogJob.objects.create(logged_segment=logged, send=send, user=user, stage="Queued")
            transaction.on_commit(lambda: run_log_job.enqueue(job.pk))
    return logged


def _logged_summary(logged: LoggedSegment, segment: Segment, *, count: int, send: bool) -> str:
    """The audit row's words: "Logged segment 12 (SEG00003): 1,500 entries, e-mail sent; follow-up segment …"."""
    follow_up = getattr(logged, "follow_up_segment", None)
    return (
        f"Logged segment {logged.pk} ({segment.no}): {count_of(count, 'entry', 'entries')}"
        + (", e-mail sent" if send else "")
        + (f"; follow-up segment {follow_up.no}" if follow_up else "")
    )


def segment_log_options(segment: Segment) -> dict:
    """What the Log dialog needs: lines, whether any line resolves to a correspondence type (enables Send)."""
    has_lines = SegmentLine.objects.filter(segment=segment).exists()
    return {
        "has_lines": has_lines,
        "has_description": bool(segment.description.strip()),
        "can_send": has_lines and lines_with_correspondence_type_exist(segment),
    }


def _check_can_log(segment: Segment) -> None:
    if LoggedSegment.objects.filter(segment_no=segment.no).exists():
        raise ValidationError(f"Logged Segment for Segment No. {segment.no} already exists.")
    if not segment.description.strip():
        raise ValidationError(f"Segment {segment.no} needs a description before it can be logged.")
    lines = SegmentLine.objects.filter(segment=segment)
    if not lines.exists():
        raise ValidationError(f"Segment {segment.no} is empty.")
    # Privacy-blocked contacts are refused by the INSERT itself (see _refuse_blocked_contacts).
    if segment.salesperson_id is None:
        missing = lines.filter(salesperson__isnull=True, contact__salesperson__isnull=True)
        line = missing.select_related("contact").order_by("id").first()
        if line is not None:
            raise ValidationError(
                f"The line for contact {line.contact.no} {line.contact.name} has no salesperson. Set one on the "
                "line or on the segment header."
            )


# How many offending lines a refusal names; the rest are counted.
NAMED_LINES = 10


def _refuse_typed_lines_without_letter(segment: Segment) -> None:
    """Send with a line the user set to hard copy or e-mail that has nothing to print or send (reference 2.9:
    "Attachment No. must have a value in Segment Line"). A type that comes from the header, template or contact
    is blanked instead (docs/BEHAVIOUR.md §3); a line's own type is the user's explicit choice, so say so."""
    offenders = lines_typed_without_letter(segment, limit=NAMED_LINES + 1)
    if not offenders:
        return
    labels = dict(CorrespondenceType.choices)
    named = "; ".join(f"{no} {name} ({labels.get(kind, kind).lower()})" for no, name, kind in offenders[:NAMED_LINES])
    more = " and more" if len(offenders) > NAMED_LINES else ""
    raise ValidationError(
        f"Segment {segment.no} cannot be sent: these lines have a correspondence type but no letter to print or "
        f"send: {named}{more}. Upload a letter for them, choose a template with a letter, or clear their "
        "correspondence type."
    )


def _refuse_blocked_contacts(segment: Segment, *, inserted: int) -> None:
    """The INSERT skips lines of privacy-blocked contacts; fewer entries than lines means there was one.

    Checked this way because a separate "any blocked contact on this segment?" query cannot be planned well for
    a segment created moments ago (no statistics yet): PostgreSQL joined all 100,000 lines with their contacts
    for it. The error path may be slow; the transaction is rolled back by the caller.
    """
    if inserted == SegmentLine.objects.filter(segment=segment).count():
        return
    blocked = (
        SegmentLine.objects.filter(segment=segment, contact__privacy_blocked=True)
        .select_related("contact")
        .order_by("id")
        .first()
    )
    if blocked is None:  # not expected: lines always point at an existing contact (Contact is PROTECTed)
        raise ValidationError(f"Segment {segment.no} has lines whose contact no longer exists. Remove them first.")
    raise privacy_blocked_error(blocked.contact, advice="Remove the line from the segment.")


def _check_email_addresses(logged: LoggedSegment) -> None:
    refusal = unsendable_refusal(logged)
    if refusal is not None:
        raise refusal


def _needs_job(segment: Segment, *, send: bool) -> bool:
    """Whether any entry can get a letter (a template or variant with an attachment, or a line letter)."""
    if send:
        return True
    line_templates = SegmentLine.objects.filter(segment=segment, template__isnull=False).values("template_id")
    templates = Q(pk__in=line_templates)
    if segment.template_id:
        templates |= Q(pk=segment.template_id)
    if InteractionTemplate.objects.filter(templates).exclude(attachment="").exists():
        return True
    variants = InteractionTemplateLanguage.objects.filter(
        Q(template_id__in=line_templates) | Q(template_id=segment.template_id)
    )
    if variants.exclude(attachment="").exists():
        return True
    return SegmentLine.objects.filter(segment=segment, letter__isnull=False).exists()
