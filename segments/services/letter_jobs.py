"""'Download all letters' of a big worksheet as a background job (docs/BEHAVIOUR.md §12: slow work
out of the request).

A worksheet with at most `settings.SEGMENT_LETTERS_DIRECT_MAX_LINES` lines is merged in the web request (the
worksheet views stream it). A bigger one would hold a request, and a gunicorn worker, for minutes: asking for
its letters queues a `LetterDownloadJob`, a task (`segments.tasks.run_letter_download_job`, running
`segments.letter_download_job`) merges them into a temporary file with progress on the job row, stores the file as
a StoredDocument, and the worksheet offers it. Both paths call `segments.letters.write_segment_letters`, so the file
is the same bytes either way.

A logged segment's letters to print work the same way (`logged_segment_letters_prepare`): with more letters than
the setting, a job writes its entries' stored letters (`segments.logged_letters.write_logged_letters`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from crm.jobs.stale import background_job_fail_if_stale
from interactions.models import LoggedSegment

from .. import letters, logged_letters
from ..models import LetterDownloadJob, Segment, SegmentLine
from ..tasks import run_letter_download_job

if TYPE_CHECKING:
    from django.contrib.auth.models import User

__all__ = [
    "letters_in_background",
    "segment_letters_prepare",
    "logged_segment_letters_prepare",
    "letter_jobs_latest",
    "queue_letter_job",
]

Job = LetterDownloadJob


def letters_in_background(segment: Segment, *, line_count: int | None = None) -> bool:
    """Whether this worksheet's letters are too many to merge in a web request."""
    if line_count is None:
        line_count = SegmentLine.objects.filter(segment_id=segment.pk).count()
    return line_count > settings.SEGMENT_LETTERS_DIRECT_MAX_LINES


def segment_letters_prepare(segment: Segment, *, kind: str, user: User | None) -> LetterDownloadJob:
    """Queue a job that merges all of the segment's letters into one file (`kind`: "zip" or "docx").

    1. Refuse an unknown kind, an empty segment or one without a Word letter, with the message the direct
       download gives (this merges the first letter: file reads, so before any lock).
    2. Lock the segment row. A job of the same kind that is still queued or running is returned as it is, so a
       double click, or two users asking at once, merge the letters once. Unless it is stale (no progress for
       BACKGROUND_JOB_STALE_AFTER seconds: the process merging them is gone): it is marked failed with that
       reason, and a new job starts over.
    3. Otherwise create the job; its task is enqueued after commit (never inside the transaction).
    The job's run deletes the finished jobs it replaces, with their files (slow clean-up in the background).
    """
    letters.check_letters_kind(kind)
    letters.check_has_letters(segment)
    with transaction.atomic():
        try:
            segment = Segment.objects.select_for_update().get(pk=segment.pk)
        except Segment.DoesNotExist:
            raise ValidationError("This segment no longer exists (it was logged or deleted).")
        return queue_letter_job(kind=kind, user=user, segment=segment)


def logged_segment_letters_prepare(logged_segment: LoggedSegment, *, kind: str, user: User | None) -> LetterDownloadJob:
    """Queue a job that writes a logged segment's letters to print into one file (`kind`: "zip" or "docx").

    As segment_letters_prepare: refused for an unknown kind or a logged segment without letters to print; under
    the logged segment's row lock, a live job of the same kind is returned as it is (a stale one is failed and
    replaced); the task is enqueued after commit.
    """
    letters.check_letters_kind(kind)
    logged_letters.check_has_letters_to_print(logged_segment)
    with transaction.atomic():
        locked = LoggedSegment.objects.select_for_update().filter(pk=logged_segment.pk).first()
        if locked is None:
            raise ValidationError(f"Logged segment {logged_segment.pk} no longer exists.")
        return queue_letter_job(kind=kind, user=user, logged_segment=locked)


def queue_letter_job(
    *, kind: str, user: User | None, text: str = "", **owner: Segment | LoggedSegment
) -> LetterDownloadJob:
    """Under the owner's row lock: its live job of this kind as it is, or a new one (a stale one is failed first),
    enqueued after commit. `owner`: segment= or logged_segment=; `text`: a cover sheets job's free text."""
    active = Job.objects.filter(**owner, kind=kind, status__in=Job.ACTIVE).first()
    if active is not None and not background_job_fail_if_stale(active):
        return active
    job = Job.objects.create(**owner, kind=kind, user=user, text=text, stage="Queued")
    transaction.on_commit(lambda: run_letter_download_job.enqueue(job.pk))
    return job


def letter_jobs_latest(owner: Segment | LoggedSegment) -> list[LetterDownloadJob]:
    """The newest job of each kind for a worksheet's or a logged segment's page (a read, kept next to the writes
    whose state it shows)."""
    owned = {"logged_segment_id" if isinstance(owner, LoggedSegment) else "segment_id": owner.pk}
    jobs = (
        Job.objects.filter(**owned, kind=kind).select_related("user").order_by("-id").first()
        for kind in Job.Kind.values
    )
    return [job for job in jobs if job is not None]
