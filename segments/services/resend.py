"""Resend with updated merge fields (reference 2.13, scenarios 70 and 71; docs/BEHAVIOUR.md §8).

A new entry per resent entry, a copy of it with today's date, the time now and "Resend: " before its description
(once), in the same logged segment; the logged segment's job (`segments.log_job`) then merges its letter again
with today's contact data and sends it. The old entries are not touched.

Set-based: the copies are written by one INSERT … SELECT over the entries table (the column list is the model's,
so a field added to entries is copied too), whatever the number of entries.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Max, QuerySet
from django.utils import timezone

from crm.audit import audit_record
from crm.models import AuditEvent, CorrespondenceType
from crm.wording import NAMED_LIMIT, count_of, named_list
from interactions.document_pins import pin_documents
from interactions.models import DeliveryStatus, InteractionDailyTotal, InteractionLogEntry, LoggedSegment

from ..models import LogJob
from ..tasks import run_log_job
from .logged_segments import refuse_while_job_alive

if TYPE_CHECKING:
    from django.contrib.auth.models import User

__all__ = ["log_entries_resend_updated", "RESEND_PREFIX", "NOTHING_TO_RESEND"]

RESEND_PREFIX = "Resend: "
NOTHING_TO_RESEND = (
    "There is nothing to send. Only entries with a Word letter and a correspondence type (hard copy or e-mail) "
    "that are not canceled can be resent with updated merge fields."
)

_ENTRY = InteractionLogEntry._meta.db_table


def _resendable(entries: QuerySet) -> QuerySet:
    """Entries whose letter can be merged again: a Word letter snapshot, a type to deliver it by, not canceled."""
    return entries.filter(
        canceled=False,
        correspondence_type__in=(CorrespondenceType.HARD_COPY, CorrespondenceType.EMAIL),
        merge_template__isnull=False,
        merge_template__content_type__contains="wordprocessingml",
    )


def _personal_note_only() -> str:
    """SQL for the copy's merge values: only the old letter's personal note, so the job merges it again."""
    if connection.vendor == "postgresql":
        return "jsonb_build_object('personal_note', COALESCE(e.merge_values ->> 'personal_note', ''))"
    return "json_object('personal_note', COALESCE(json_extract(e.merge_values, '$.personal_note'), ''))"


def _copy_entries(ids_sql: str, params: list, *, user: User | None) -> int:
    """INSERT … SELECT a copy of each entry the subquery names, with the resend's changes; returns the count."""
    quote = connection.ops.quote_name
    description_length = InteractionLogEntry._meta.get_field("description").max_length
    now = timezone.localtime()
    changed = {
        "date": "%s",
        "time": "%s",
        "description": (
            f"CASE WHEN e.description LIKE %s THEN e.description "
            f"ELSE SUBSTR(%s || e.description, 1, {description_length}) END"
        ),
        "delivery_status": "CASE WHEN e.correspondence_type = %s THEN %s ELSE '' END",
        "delivery_error": "''",
        "document_id": "NULL",
        "merge_values": _personal_note_only(),
        "user_id": "%s",
    }
    changed_params = {
        "date": [connection.ops.adapt_datefield_value(now.date())],
        "time": [connection.ops.adapt_timefield_value(now.time().replace(microsecond=0))],
        "description": [RESEND_PREFIX + "%", RESEND_PREFIX],
        "delivery_status": [CorrespondenceType.EMAIL, DeliveryStatus.IN_PROGRESS],
        "user_id": [getattr(user, "pk", None)],
    }
    columns, select, select_params = [], [], []
    for field in InteractionLogEntry._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(quote(field.column))
        if field.attname in changed:
            select.append(changed[field.attname])
            select_params.extend(changed_params.get(field.attname, []))
        else:
            select.append(f"e.{quote(field.column)}")
    sql = (
        f"INSERT INTO {quote(_ENTRY)} ({', '.join(columns)}) "
        f"SELECT {', '.join(select)} FROM {quote(_ENTRY)} e WHERE e.id IN ({ids_sql}) ORDER BY e.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*select_params, *params])
        return max(cursor.rowcount, 0)


def log_entries_resend_updated(entries: LoggedSegment | Iterable[Any], *, user: User | None) -> LogJob:
    """Resend the entries' letters merged again with today's data: a new entry per entry, the old ones unchanged.

    `entries`: a logged segment (all its entries) or entries of one logged segment (a queryset or ids).
    1. Refuse, changing nothing: entries of several logged segments, or none ("The interaction log entries must
       always be from the same logged segment."); nothing resendable (`NOTHING_TO_RESEND`); the logged segment's
       job still queued or running.
    2. Lock the logged segment; pin the letter snapshots the copies will reference (interactions.document_pins).
    3. One INSERT … SELECT of the copies: date today, time now, description "Resend: " + the old one (once, cut
       to the field's length), e-mail ones "in progress", no stored letter yet, merge values reduced to the
       personal note (so the job merges them again, with the contact's data as it is today).
    4. A job for the logged segment after commit: it merges the copies' letters and sends the e-mail ones.
    """
    with transaction.atomic():
        if isinstance(entries, LoggedSegment):
            logged_ids = [entries.pk]
            queryset = InteractionLogEntry.objects.filter(logged_segment_id=entries.pk)
        else:
            if isinstance(entries, QuerySet):
                queryset = InteractionLogEntry.objects.filter(pk__in=entries.order_by().values("pk"))
            else:
                queryset = InteractionLogEntry.objects.filter(pk__in=[int(getattr(e, "pk", e)) for e in entries])
            logged_ids = list(queryset.order_by().values_list("logged_segment_id", flat=True).distinct()[:2])
        if len(logged_ids) != 1 or logged_ids[0] is None:  # 1.
            raise ValidationError(
                "The interaction log entries must always be from the same logged segment: choose entries of one "
                "logged segment.",
                code="several_logged_segments",
            )
        logged = LoggedSegment.objects.select_for_update().filter(pk=logged_ids[0]).first()  # 2.
        if logged is None:
            raise ValidationError(f"Logged segment {logged_ids[0]} no longer exists.")
        refuse_while_job_alive(logged)
        resendable = _resendable(queryset.filter(logged_segment_id=logged.pk))
        snapshots = set(resendable.order_by().values_list("merge_template_id", flat=True).distinct())
        if not snapshots:
            raise ValidationError(NOTHING_TO_RESEND, code="nothing_to_resend")
        pin_documents(snapshots)
        # The first entries resent, for the audit row (read before the copies join them).
        named = list(resendable.order_by("pk").values_list("pk", flat=True)[:NAMED_LIMIT])
        ids_sql, params = resendable.order_by().values("id").query.sql_with_params()
        # With the logged segment locked nobody else adds entries to it: its entries above this id are the copies.
        before = InteractionLogEntry.objects.aggregate(last=Max("id"))["last"] or 0
        count = _copy_entries(ids_sql, list(params), user=user)  # 3.
        # The statistics' daily totals count the copies in the same transaction (one grouped upsert).
        InteractionDailyTotal.objects.add_entries(
            InteractionLogEntry.objects.filter(logged_segment_id=logged.pk, id__gt=before)
        )
        summary = (
            f"Resent {count_of(count, 'letter', 'letters')} of logged segment {logged.pk} ({logged.segment_no}) "
            f"with updated merge fields: entries {named_list(named, count)}, copied"
        )
        audit_record(
            AuditEvent.Action.ENTRIES_RESENT,
            user=user,
            obj=logged,
            count=count,
            updated_merge_fields=True,
            summary=summary,
        )
        job = LogJob.objects.create(logged_segment=logged, send=True, user=user, stage="Queued")  # 4.
        transaction.on_commit(lambda: run_log_job.enqueue(job.pk))
    return job
