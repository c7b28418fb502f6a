"""Apply mailing group to every contact of a worksheet (reference 3, related segment actions; docs/BEHAVIOUR.md §6).

Set-based: whatever the number of lines, one DELETE (with "remove old assignments") and one INSERT … SELECT into
the contacts' mailing-group table; no contact id passes through Python.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Exists, OuterRef

from crm.audit import audit_record
from crm.models import AuditEvent, Contact, MailingGroup
from crm.wording import count_of

from ..models import Segment, SegmentLine
from .step_history import segment_lock

if TYPE_CHECKING:
    from django.contrib.auth.models import User

__all__ = ["segment_apply_mailing_group"]

_MEMBERSHIP = Contact.mailing_groups.through


def segment_apply_mailing_group(
    segment: Segment, *, mailing_group: MailingGroup | None, user: User | None, remove_old_assignments: bool = False
) -> int:
    """Add every contact of the worksheet to the mailing group; returns how many contacts were added.

    With `remove_old_assignments`, the group's members that are not on the worksheet leave it first (BC's
    "Delete Old Assignments"), so the group becomes exactly the worksheet's contacts. No group: "Specify a
    mailing group code." and nothing changes.
    """
    if mailing_group is None:
        raise ValidationError("Specify a mailing group code.")
    with transaction.atomic():
        segment = segment_lock(segment)
        on_worksheet = SegmentLine.objects.filter(segment_id=segment.pk, contact_id=OuterRef("contact_id"))
        members = _MEMBERSHIP.objects.filter(mailinggroup_id=mailing_group.pk)
        removed = members.exclude(Exists(on_worksheet)).delete()[0] if remove_old_assignments else 0
        already = _MEMBERSHIP.objects.filter(mailinggroup_id=mailing_group.pk, contact_id=OuterRef("contact_id"))
        contacts = (
            SegmentLine.objects.filter(segment_id=segment.pk)
            .exclude(Exists(already))
            .order_by()
            .values_list("contact_id")
            .distinct()
        )
        select, params = contacts.query.sql_with_params()
        quote = connection.ops.quote_name
        table = quote(_MEMBERSHIP._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} ({quote('contact_id')}, {quote('mailinggroup_id')}) "
                f"SELECT s.contact_id, %s FROM ({select}) s",
                [mailing_group.pk, *params],
            )
            added = max(cursor.rowcount, 0)
        audit_record(
            AuditEvent.Action.SEGMENT_CHANGED,
            user=user,
            obj=segment,
            count=added + removed,
            mailing_group=mailing_group.code,
            added=added,
            removed=removed,
            summary=(
                f"Applied mailing group {mailing_group.code} to segment {segment.no}: "
                f"{count_of(added, 'contact', 'contacts')} added"
                + (
                    f", {count_of(removed, 'old assignment', 'old assignments')} removed"
                    if remove_old_assignments
                    else ""
                )
            ),
        )
    return added
