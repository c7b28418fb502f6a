"""Logging a segment, and what can happen to a logged segment afterwards (docs/BEHAVIOUR.md §7, §8).

`segment_log` turns a worksheet into one LoggedSegment and one log entry per line in one short transaction;
the slow part (merging letters, sending e-mail) runs afterwards as a background task (`segments.tasks`, running
`segments.log_job`) that a `LogJob` row tracks. The set-based SQL that writes the entries lives in
`_insert_entries`, the one place with raw SQL here.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from crm.audit import audit_record
from crm.jobs.stale import background_job_fail_if_stale
from crm.models import AuditEvent, Contact, CorrespondenceType
from interactions.models import (
    DeliveryStatus,
    InteractionLogEntry,
    InteractionTemplate,
    InteractionTemplateLanguage,
    LoggedSegment,
)
from interactions.services import log_entries_queue_resend

from ..models import LogJob, Segment, SegmentLine
from ..tasks import run_log_job
from .step_history import delete_worksheet

__all__ = [
    "segment_log",
    "segment_log_options",
    "logged_segment_set_canceled",
    "logged_segments_delete_canceled",
    "logged_segment_create_follow_up",
    "logged_segment_retry_delivery",
]


def segment_log(segment: Segment, *, user, send: bool = False, follow_up: bool = False) -> LoggedSegment:
    """Log a segment: all or nothing, in one transaction.

    1. Lock the segment row (SELECT … FOR UPDATE) and re-read it. A second simultaneous click waits on this
       lock and then finds the segment gone: "Segment X has already been logged." Nothing else is locked
       (SQLite serialises writers on its own: the project opens write transactions IMMEDIATE).
    2. Refuse: a logged segment with this number exists, blank description, no lines, a privacy-blocked
       contact, a line with no salesperson (line, header, contact's, in that order).
    3. Create the LoggedSegment.
    4. Insert one log entry per line with one INSERT … SELECT (`_insert_entries`): every value resolved in
       SQL (line override, else header, else template), correspondence type per docs/BEHAVIOUR.md §3, language
       per §4, the line's replacement letter and personal note carried onto the entry.
    5. With `send`: refuse if an e-mail entry's contact has no e-mail address (the transaction rolls back).
       Without it, such lines were logged with a blank correspondence type (§3).
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
        logged = LoggedSegment.objects.create(  # 3.
            segment_no=segment.no, description=segment.description, user=user
        )
        count = _insert_entries(segment, logged, user=user, send=send)  # 4.
        _refuse_blocked_contacts(segment, inserted=count)
        if send:  # 5.
            _check_email_addresses(logged)
        delete_worksheet(segment)  # 6.
        # 7. (the new segment is handed back on the logged segment, for the page's message)
        logged.follow_up_segment = _create_follow_up(logged, user=user) if follow_up else None
        audit_record(
            AuditEvent.Action.SEGMENT_LOGGED,
            user=user,
            obj=logged,
            count=count,
            segment_no=segment.no,
            send=send,
            follow_up=logged.follow_up_segment.no if logged.follow_up_segment else "",
        )
        if count and _needs_job(segment, send=send):  # 8.
            job = LogJob.objects.create(logged_segment=logged, send=send, user=user, stage="Queued")
            transaction.on_commit(lambda: run_log_job.enqueue(job.pk))
    return logged


def segment_log_options(segment: Segment) -> dict:
    """What the Log dialog needs: lines, whether any line resolves to a correspondence type (enables Send)."""
    lines = SegmentLine.objects.filter(segment=segment)
    has_lines = lines.exists()
    can_send = False
    if has_lines:
        sql, params = _resolution_query(segment, select="1", where=f"{_correspondence_sql(send=False)} <> ''")
        with connection.cursor() as cursor:
            cursor.execute(sql + " LIMIT 1", params)
            can_send = cursor.fetchone() is not None
    return {
        "has_lines": has_lines,
        "has_description": bool(segment.description.strip()),
        "can_send": can_send,
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
    contact = blocked.contact
    raise ValidationError(
        f"You cannot use contact {contact.no} {contact.name} because they are marked as blocked due to "
        "privacy. Remove the line from the segment."
    )


def _check_email_addresses(logged: LoggedSegment) -> None:
    missing = (
        InteractionLogEntry.objects.filter(
            logged_segment=logged, correspondence_type=CorrespondenceType.EMAIL, contact__email=""
        )
        .select_related("contact")
        .order_by("id")
        .first()
    )
    if missing is not None:
        raise ValidationError(f"Make sure that the E-Mail field is specified for contact no. {missing.contact.no}.")


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


# --- the set-based insert ------------------------------------------------------------------------------------
#
# Why raw SQL: logging 100,000 lines has a budget (docs/PERFORMANCE.md) that bulk_create from Python objects
# cannot meet, so the rows never leave the database: one INSERT … SELECT joins
# each line with its segment header, contact, template and language variants and resolves every value in SQL.
# The expressions mirror the Python rules in `interactions.letters` (tests check that both agree).

_LINE = SegmentLine._meta.db_table
_SEGMENT = Segment._meta.db_table
_CONTACT = Contact._meta.db_table
_TEMPLATE = InteractionTemplate._meta.db_table
_VARIANT = InteractionTemplateLanguage._meta.db_table
_ENTRY = InteractionLogEntry._meta.db_table

# The line names its own template, different from the header's: header defaults derived from the header's
# template (cost, duration, flow, initiated by, subject, language) do not apply to it.
_OWN_TEMPLATE = "(l.template_id IS NOT NULL AND (s.template_id IS NULL OR l.template_id <> s.template_id))"

# docs/BEHAVIOUR.md §3, first rule that applies wins; a line's own type overrides them all.
_RAW_CORRESPONDENCE = """CASE
    WHEN l.correspondence_type <> '' THEN l.correspondence_type
    WHEN s.ignore_contact_correspondence_type AND s.correspondence_type <> '' THEN s.correspondence_type
    WHEN t.ignore_contact_correspondence_type OR (c.correspondence_type = '' AND t.correspondence_type <> '')
        THEN t.correspondence_type
    WHEN c.correspondence_type <> '' THEN c.correspondence_type
    ELSE s.correspondence_type
END"""

# docs/BEHAVIOUR.md §4: the line's language, else the contact's if the template has that variant, else the header's
# default (when the line uses the header's template), else the template's default.
_LANGUAGE = f"""COALESCE(
    NULLIF(l.language_code, ''), cl.language_code,
    NULLIF(CASE WHEN {_OWN_TEMPLATE} THEN '' ELSE s.language_code END, ''), t.language_code, ''
)"""


def _correspondence_sql(*, send: bool) -> str:
    # An e-mail line whose contact has no address: blank when not sending; kept (and refused) when sending.
    if send:
        return f"({_RAW_CORRESPONDENCE})"
    return f"(CASE WHEN ({_RAW_CORRESPONDENCE}) = 'email' AND c.email = '' THEN '' ELSE ({_RAW_CORRESPONDENCE}) END)"


def _header_or_template(column: str) -> str:
    return f"COALESCE(NULLIF(CASE WHEN {_OWN_TEMPLATE} THEN '' ELSE s.{column} END, ''), t.{column}, '')"


def _header_or_template_number(column: str) -> str:
    # The header's 0 means "not set" (its default): the template's value applies then.
    header = f"COALESCE(NULLIF(s.{column}, 0), t.{column})"
    return f"COALESCE(l.{column}, CASE WHEN {_OWN_TEMPLATE} THEN t.{column} ELSE {header} END, 0)"


def _resolution_query(segment: Segment, *, select: str, where: str = "") -> tuple[str, list]:
    sql = f"""
        SELECT {select}
        FROM {_LINE} l
        JOIN {_SEGMENT} s ON s.id = l.segment_id
        JOIN {_CONTACT} c ON c.id = l.contact_id
        LEFT JOIN {_TEMPLATE} t ON t.id = COALESCE(l.template_id, s.template_id)
        LEFT JOIN {_VARIANT} cl ON cl.template_id = t.id AND cl.language_code = c.language_code
        LEFT JOIN {_VARIANT} rl ON rl.template_id = t.id AND rl.language_code = {_LANGUAGE}
        WHERE l.segment_id = %s {"AND " + where if where else ""}
    """
    return sql, [segment.pk]


def _insert_entries(segment: Segment, logged: LoggedSegment, *, user, send: bool) -> int:
    """One INSERT … SELECT: a log entry per line of the segment, in line order. Returns the number inserted."""
    sql, params = insert_entries_sql(segment, logged, user=user, send=send)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def insert_entries_sql(segment: Segment, logged: LoggedSegment, *, user, send: bool, table: str = _ENTRY):
    """The INSERT … SELECT statement and its parameters (`table`: the benchmark's scratch copy)."""
    ops = connection.ops
    now = timezone.now()
    today = timezone.localdate(now)
    time_of_day = timezone.localtime(now).time().replace(microsecond=0)
    correspondence = _correspondence_sql(send=send)
    if connection.vendor == "postgresql":
        personal_note = "jsonb_build_object('personal_note', l.personal_note)"
    else:
        personal_note = "json_object('personal_note', l.personal_note)"
    delivery = f"CASE WHEN {correspondence} = 'email' THEN %s ELSE '' END" if send else "''"
    columns_and_values = [
        ("contact_id", "l.contact_id"),
        ("contact_company_id", "COALESCE(c.company_id, c.id)"),
        ("date", "COALESCE(l.date, s.date, %s)"),
        ("time", "%s"),
        ("template_id", "t.id"),
        ("group_id", "t.group_id"),
        ("language_code", _LANGUAGE),
        ("description", "COALESCE(NULLIF(l.description, ''), NULLIF(s.description, ''), t.description, '')"),
        (
            "subject",
            f"COALESCE(NULLIF(l.subject, ''), NULLIF(CASE WHEN {_OWN_TEMPLATE} THEN '' ELSE s.subject END, ''), "
            "NULLIF(rl.subject, ''), t.subject, '')",
        ),
        ("information_flow", _header_or_template("information_flow")),
        ("initiated_by", _header_or_template("initiated_by")),
        ("attempt_failed", "%s"),
        ("cost", _header_or_template_number("unit_cost")),
        ("duration_minutes", _header_or_template_number("unit_duration_minutes")),
        ("correspondence_type", correspondence),
        ("delivery_status", delivery),
        ("delivery_error", "''"),
        ("evaluation", "''"),
        ("salesperson_id", "COALESCE(l.salesperson_id, s.salesperson_id, c.salesperson_id)"),
        ("user_id", "%s"),
        ("segment_no", "s.no"),
        ("logged_segment_id", "%s"),
        ("document_type", "''"),
        ("document_no", "''"),
        ("version_no", "0"),
        ("document_id", "NULL"),
        # The line's own letter replaces the template letter: it is merged (it may hold merge fields) with this
        # contact's values like a template, and delivered the same way.
        ("merge_template_id", "l.letter_id"),
        # The personal note travels on the entry: the worksheet is gone when the job merges the letters.
        ("merge_values", f"CASE WHEN l.personal_note <> '' THEN {personal_note} END"),
        ("canceled", "%s"),
        ("canceled_at", "NULL"),
        ("canceled_by_id", "NULL"),
        ("created_at", "%s"),
    ]
    params = [
        ops.adapt_datefield_value(today),
        ops.adapt_timefield_value(time_of_day),
        False,
    ]
    if send:
        params.append(DeliveryStatus.IN_PROGRESS)
    params += [user.pk if user else None, logged.pk, False, ops.adapt_datetimefield_value(now)]
    columns = ", ".join(name for name, _ in columns_and_values)
    # Lines of privacy-blocked contacts are left out; segment_log refuses the segment when any were.
    select, select_params = _resolution_query(
        segment, select=",\n".join(v for _, v in columns_and_values), where="NOT c.privacy_blocked"
    )
    sql = f"INSERT INTO {table} ({columns}) {select} ORDER BY l.id"
    # The SELECT list's placeholders come before the WHERE clause's.
    return sql, params + select_params


# --- follow-up segments ----------------------------------------------------------------------------------------


def _create_follow_up(logged: LoggedSegment, *, user) -> Segment:
    from .criteria_steps import segment_reuse_logged
    from .worksheet import segment_create

    # As in Business Central (docs/BEHAVIOUR.md §7): no template copied; salesperson of the user, today's date
    # (segment_create's defaults).
    follow_up = segment_create(user=user, description=f"Follow-up on segment {logged.segment_no}")
    segment_reuse_logged(follow_up, logged_segment=logged, user=user)
    return follow_up


def logged_segment_create_follow_up(logged_segment: LoggedSegment, *, user) -> Segment:
    """A new segment "Follow-up on segment <No>" with the contacts of the logged segment (docs/BEHAVIOUR.md §7)."""
    with transaction.atomic():
        return _create_follow_up(logged_segment, user=user)


# --- cancel, delete ----------------------------------------------------------------------------------------------


def logged_segment_set_canceled(logged_segment: LoggedSegment, *, canceled: bool, user) -> None:
    """Cancel or un-cancel a logged segment and every one of its entries (one UPDATE each, recorded).

    Locks the logged segment row, so a concurrent switch waits and the entries always end up agreeing with it.
    Who switched and when is recorded on the logged segment and on each entry, both ways.
    """
    now = timezone.now()
    with transaction.atomic():
        locked = LoggedSegment.objects.select_for_update().filter(pk=logged_segment.pk).first()
        if locked is None:
            raise ValidationError(f"Logged segment {logged_segment.pk} no longer exists.")
        LoggedSegment.objects.filter(pk=locked.pk).update(canceled=canceled, canceled_at=now, canceled_by=user)
        changed = (
            InteractionLogEntry.objects.filter(logged_segment=locked)
            .exclude(canceled=canceled)
            .update(canceled=canceled, canceled_at=now, canceled_by=user)
        )
        action = AuditEvent.Action.LOGGED_SEGMENT_CANCELED if canceled else AuditEvent.Action.LOGGED_SEGMENT_UNCANCELED
        audit_record(action, user=user, obj=locked, count=changed, segment_no=locked.segment_no)
    logged_segment.canceled, logged_segment.canceled_at, logged_segment.canceled_by = canceled, now, user


def logged_segments_delete_canceled(*, user, ids=None) -> int:
    """Delete canceled logged segments (only canceled ones; `ids` narrows the choice). Their entries stay,
    detached (logged_segment empty), as in Business Central (docs/BEHAVIOUR.md §8). Returns the number of logged
    segments deleted."""
    with transaction.atomic():
        doomed = LoggedSegment.objects.filter(canceled=True)
        if ids is not None:
            doomed = doomed.filter(pk__in=list(ids))
        doomed_ids = list(doomed.select_for_update().values_list("pk", flat=True))
        if not doomed_ids:
            return 0
        InteractionLogEntry.objects.filter(logged_segment_id__in=doomed_ids).update(logged_segment=None)
        LogJob.objects.filter(logged_segment_id__in=doomed_ids).delete()
        LoggedSegment.objects.filter(pk__in=doomed_ids).delete()
        audit_record(AuditEvent.Action.LOGGED_SEGMENTS_DELETED, user=user, count=len(doomed_ids), ids=doomed_ids)
    return len(doomed_ids)


# --- running the job again (the job itself: segments.log_job) ---------------------------------------------------


def logged_segment_retry_delivery(logged_segment: LoggedSegment, *, user) -> LogJob | None:
    """Run the job again: send again the e-mail entries whose delivery failed, and do whatever a failed or
    stopped job left. Returns the new job, or None when nothing failed.

    1. Lock the logged segment row, so two clicks queue one job.
    2. Its latest job still queued or running: a stale one (no progress for BACKGROUND_JOB_STALE_AFTER seconds:
       the process running it is gone) is marked failed with that reason and run again; a live one is refused,
       with nothing changed (a second job would only race it).
    3. Its e-mail entries to resend go back to "in progress", by the resend rule of the entries page
       (`log_entries_queue_resend`: not canceled, failed or never sent; recorded); a new job is queued after
       commit. It only merges the letters still missing and sends the entries still in progress, so running it
       again is safe.
    """
    with transaction.atomic():
        locked = LoggedSegment.objects.select_for_update().filter(pk=logged_segment.pk).first()  # 1.
        if locked is None:
            raise ValidationError(f"Logged segment {logged_segment.pk} no longer exists.")
        latest = locked.log_jobs.order_by("-id").first()
        if latest is not None and latest.is_active and not background_job_fail_if_stale(latest):  # 2.
            since = timezone.localtime(latest.last_sign_of_life).strftime("%Y-%m-%d %H:%M:%S")
            if latest.status == LogJob.Status.QUEUED:
                state = f"queued (since {since}): wait for a worker to run it"
            else:
                state = f"running (last progress at {since}): wait for it to finish"
            raise ValidationError(
                f"The job of logged segment {locked.pk} is still {state}. It can be run again once it has failed, "
                "or has shown no progress for a while."
            )
        changed = log_entries_queue_resend(  # 3.
            InteractionLogEntry.objects.filter(logged_segment=locked), user=user, obj=locked
        )
        if not changed and not locked.log_jobs.filter(status=LogJob.Status.FAILED).exists():
            return None
        job = LogJob.objects.create(logged_segment=locked, send=True, user=user, stage="Queued")
        transaction.on_commit(lambda: run_log_job.enqueue(job.pk))
    return job
