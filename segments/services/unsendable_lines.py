"""Lines that logging with Send cannot send: to be e-mailed, but their contact has no e-mail address
(docs/BEHAVIOUR.md §7). The refusal names them all at once, and the ways out change them all at once.

Both work on the set, never line by line: the lines are found by the logging SQL's own resolution
(`entry_insert_sql.email_lines_without_address_sql`), switched with one UPDATE, and counted and named with one
query.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, QuerySet, Window
from django.db.models.expressions import RawSQL

from crm.audit import audit_record
from crm.models import AuditEvent, CorrespondenceType
from crm.wording import count_of, end_sentence
from interactions.letters import NO_CORRESPONDENCE_TYPE
from interactions.models import InteractionLogEntry, LoggedSegment

from ..models import Segment, SegmentLine
from .entry_insert_sql import email_lines_without_address_sql
from .step_history import segment_lock

if TYPE_CHECKING:
    from django.contrib.auth.models import User

__all__ = [
    "lines_without_email_address",
    "segment_unsendable_lines_set_type",
    "unsendable_lines",
    "unsendable_refusal",
    "UNSENDABLE_WAYS_OUT",
]

# How many contacts a refusal names before "and N more": enough to recognise them, short enough to read.
NAMED_IN_REFUSAL = 10
UNSENDABLE_WAYS_OUT = {
    CorrespondenceType.HARD_COPY.value: "hard copy",
    NO_CORRESPONDENCE_TYPE: "no correspondence type",
}


# How many lines that cannot be e-mailed the worksheet names; the rest are counted and a filter shows them all.
UNSENDABLE_NAMED = 20


def lines_without_email_address(segment: Segment) -> QuerySet:
    """The lines that logging with Send would refuse (docs/BEHAVIOUR.md §7): to be sent by e-mail, but their
    contact has no e-mail address. Resolved by the logging SQL itself, so the page and the refusal agree."""
    sql, params = email_lines_without_address_sql(segment)
    # The SQL keeps to the segment's lines itself. Filtering the outer query by segment as well let PostgreSQL,
    # whose statistics still counted a just-filled segment as one line, semi-join the two scans of the segment
    # line by line: 15,000 lines took minutes and timed the worksheet out (docs/PERFORMANCE.md, "Worksheet page").
    return SegmentLine.objects.filter(pk__in=RawSQL(sql, params))


def unsendable_lines(segment: Segment, *, limit: int = UNSENDABLE_NAMED) -> tuple[list[SegmentLine], int]:
    """The first `limit` such lines with their contacts, and how many there are: one query (a window count)."""
    lines = list(
        lines_without_email_address(segment)
        .select_related("contact")
        .annotate(total=Window(Count("pk")))
        .order_by("id")[:limit]
    )
    return lines, (lines[0].total if lines else 0)


def segment_unsendable_lines_set_type(segment: Segment, *, correspondence_type: str, user: User | None) -> int:
    """Switch every line that would be e-mailed to a contact without an address to hard copy or to no
    correspondence type ("none"): the line's own type, as if set on each line. One UPDATE in one transaction with
    the segment row locked, recorded in the audit trail. Returns the number of lines changed."""
    if correspondence_type not in UNSENDABLE_WAYS_OUT:
        choices = " or ".join(f"“{value}”" for value in UNSENDABLE_WAYS_OUT)
        raise ValidationError(f"Lines that cannot be e-mailed can be switched to {choices} only.")
    with transaction.atomic():
        segment = segment_lock(segment)
        changed = lines_without_email_address(segment).update(correspondence_type=correspondence_type)
        if changed:
            audit_record(
                AuditEvent.Action.SEGMENT_CHANGED,
                user=user,
                obj=segment,
                count=changed,
                segment_no=segment.no,
                change=f"lines without an e-mail address switched to {UNSENDABLE_WAYS_OUT[correspondence_type]}",
                summary=(
                    f"Switched {count_of(changed, 'line', 'lines')} of segment {segment.no} whose contact has no "
                    f"e-mail address to {UNSENDABLE_WAYS_OUT[correspondence_type]}"
                ),
            )
    return changed


def unsendable_refusal(logged: LoggedSegment) -> ValidationError | None:
    """The refusal of a log with Send whose e-mail entries include contacts without an address, naming up to
    NAMED_IN_REFUSAL of them and counting the rest, from one query (a window count); None when there are none."""
    rows = list(
        InteractionLogEntry.objects.filter(
            logged_segment=logged, correspondence_type=CorrespondenceType.EMAIL, contact__email=""
        )
        .annotate(total=Window(Count("pk")))
        .order_by("id")
        .values_list("contact__no", "contact__name", "total")[:NAMED_IN_REFUSAL]
    )
    if not rows:
        return None
    total = rows[0][2]
    names = ", ".join(f"{no} {name}" for no, name, _ in rows)
    if total > len(rows):
        names += f" and {total - len(rows):,} more"
    if total == 1:
        opening = "1 line is to be sent by e-mail, but its contact has no e-mail address"
    else:
        opening = f"{total:,} lines are to be sent by e-mail, but their contacts have no e-mail address"
    return ValidationError(
        # A name that ends in a full stop ("Inc.") ends the sentence itself.
        f"{end_sentence(f'{opening}: {names}')} Switch those lines to hard copy or to no correspondence type, "
        "or log without sending.",
        code="no_email_address",
    )
