"""What can happen to a logged segment after logging (docs/BEHAVIOUR.md §7, §8): a follow-up segment, cancel and
un-cancel, deleting canceled ones, running its job again (the job itself: `segments.log_job`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from crm.audit import audit_record
from crm.jobs.stale import background_job_fail_if_stale
from crm.models import AuditEvent
from crm.wording import NAMED_LIMIT, count_of, named_list
from interactions.models import InteractionDailyTotal, InteractionLogEntry, LoggedSegment
from interactions.services import log_entries_queue_resend

from ..models import LogJob, Segment
from ..tasks import run_log_job
from .criteria_steps import segment_reuse_logged
from .worksheet import segment_create

if TYPE_CHECKING:
    from django.contrib.auth.models import User

__all__ = [
    "logged_segment_create_follow_up",
    "logged_segment_set_canceled",
    "logged_segments_delete_canceled",
    "logged_segment_retry_delivery",
]


# --- follow-up segments ----------------------------------------------------------------------------------------


def logged_segment_create_follow_up(logged_segment: LoggedSegment, *, user: User | None) -> Segment:
    """A new segment "Follow-up on segment <No>" with the contacts of the logged segment (docs/BEHAVIOUR.md §7).
    Logging with a follow-up calls it inside the logging transaction."""
    with transaction.atomic():
        # As in Business Central (docs/BEHAVIOUR.md §7): no template copied; salesperson of the user, today's date
        # (segment_create's defaults).
        follow_up = segment_create(user=user, description=f"Follow-up on segment {logged_segment.segment_no}")
        segment_reuse_logged(follow_up, logged_segment=logged_segment, user=user)
        return follow_up


# --- cancel, delete ----------------------------------------------------------------------------------------------


def logged_segment_set_canceled(logged_segment: LoggedSegment, *, canceled: bool, user: User | None) -> None:
    """Cancel or un-cancel a logged segment and every one of its entries (one UPDATE each, recorded).

    Locks the logged segment row, so a concurrent switch waits and the entries always end up agreeing with it.
    Who switched and when is recorded on the logged segment and on each entry, both ways. `canceled` is the state
    wanted, not a toggle (docs/SECURITY.md, issue 14): asking for the state it already has (a stale tab, a second
    click) is a `ValidationError` saying so, and nothing is changed or recorded.
    """
    now = timezone.now()
    with transaction.atomic():
        locked = LoggedSegment.objects.select_for_update().filter(pk=logged_segment.pk).first()
        if locked is None:
            raise ValidationError(f"Logged segment {logged_segment.pk} no longer exists.")
        if locked.canceled == canceled:
            state = "canceled" if canceled else "not canceled"
            raise ValidationError(
                f"Logged segment {locked.pk} is already {state}; nothing was changed.", code="unchanged"
            )
        LoggedSegment.objects.filter(pk=locked.pk).update(canceled=canceled, canceled_at=now, canceled_by=user)
        changed = InteractionDailyTotal.objects.switch_canceled(
            InteractionLogEntry.objects.filter(logged_segment=locked),
            canceled=canceled,
            canceled_at=now,
            canceled_by=user,
        )
        action = AuditEvent.Action.LOGGED_SEGMENT_CANCELED if canceled else AuditEvent.Action.LOGGED_SEGMENT_UNCANCELED
        entries = count_of(changed, "entry", "entries")
        summary = (
            f"{'Canceled' if canceled else 'Un-canceled'} logged segment {locked.pk} ({locked.segment_no}): {entries}"
        )
        audit_record(action, user=user, obj=locked, count=changed, segment_no=locked.segment_no, summary=summary)
    logged_segment.canceled, logged_segment.canceled_at, logged_segment.canceled_by = canceled, now, user


def logged_segments_delete_canceled(*, user: User | None, ids: Iterable[int] | None = None) -> int:
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
        detached = InteractionLogEntry.objects.filter(logged_segment_id__in=doomed_ids).update(logged_segment=None)
        LogJob.objects.filter(logged_segment_id__in=doomed_ids).delete()
        LoggedSegment.objects.filter(pk__in=doomed_ids).delete()
        audit_record(
            AuditEvent.Action.LOGGED_SEGMENTS_DELETED,
            user=user,
            count=len(doomed_ids),
            ids=doomed_ids[:NAMED_LIMIT],
            summary=(
                f"Deleted {count_of(len(doomed_ids), 'canceled logged segment', 'canceled logged segments')}: "
                f"{named_list(sorted(doomed_ids))}; {count_of(detached, 'entry', 'entries')} kept, detached"
            ),
        )
    return len(doomed_ids)


# --- running the job again (the job itself: segments.log_job) ---------------------------------------------------


def refuse_while_job_alive(locked: LoggedSegment) -> None:
    """Refuse (ValidationError) while the locked logged segment's latest job is queued or running; a stale one
    (no progress for BACKGROUND_JOB_STALE_AFTER seconds: its process is gone) is marked failed instead."""
    latest = locked.log_jobs.order_by("-id").first()
    if latest is not None and latest.is_active and not background_job_fail_if_stale(latest):
        since = timezone.localtime(latest.last_sign_of_life).strftime("%Y-%m-%d %H:%M:%S")
        if latest.status == LogJob.Status.QUEUED:
            state = f"queued (since {since}): wait for a worker to run it"
        else:
            state = f"running (last progress at {since}): wait for it to finish"
        raise ValidationError(
            f"The job of logged segment {locked.pk} is still {state}. It can be run again once it has failed, "
            "or has shown no progress for a while."
        )


def logged_segment_retry_delivery(logged_segment: LoggedSegment, *, user: User | None) -> LogJob | None:
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
        refuse_while_job_alive(locked)  # 2.
        changed = log_entries_queue_resend(  # 3.
            InteractionLogEntry.objects.filter(logged_segment=locked), user=user, obj=locked
        )
        if not changed and not locked.log_jobs.filter(status=LogJob.Status.FAILED).exists():
            return None
        job = LogJob.objects.create(logged_segment=locked, send=True, user=user, stage="Queued")
        transaction.on_commit(lambda: run_log_job.enqueue(job.pk))
    return job
