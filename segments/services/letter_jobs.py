"""'Download all letters' of a big worksheet as a background job (SPEC 3.5 mail merge; SPEC 6: slow work out of
the request).

A worksheet with at most `settings.SEGMENT_LETTERS_DIRECT_MAX_LINES` lines is merged in the web request (the
worksheet views stream it). A bigger one would hold a request, and a gunicorn worker, for minutes: asking for
its letters queues a `LetterDownloadJob`, a task (`segments.tasks.run_letter_download_job`) merges them into a
temporary file with progress on the job row, stores the file as a StoredDocument, and the worksheet offers it.
Both paths call `segments.letters.write_segment_letters`, so the file is the same bytes either way.

A logged segment's letters to print work the same way (`logged_segment_letters_prepare`): with more letters than
the setting, a job writes its entries' stored letters (`segments.logged_letters.write_logged_letters`).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.functions import Now
from django.utils import timezone

from interactions.models import LoggedSegment
from interactions.services.entries import stored_documents_delete_unused
from interactions.storage import store_document_file

from .. import letters, logged_letters
from ..models import LetterDownloadJob, Segment, SegmentLine
from .stale_jobs import background_job_fail_if_stale

__all__ = [
    "letters_in_background",
    "segment_letters_prepare",
    "logged_segment_letters_prepare",
    "letter_download_job_run",
    "letter_jobs_latest",
]

Job = LetterDownloadJob


def letters_in_background(segment: Segment, *, line_count: int | None = None) -> bool:
    """Whether this worksheet's letters are too many to merge in a web request."""
    if line_count is None:
        line_count = SegmentLine.objects.filter(segment_id=segment.pk).count()
    return line_count > settings.SEGMENT_LETTERS_DIRECT_MAX_LINES


def segment_letters_prepare(segment: Segment, *, kind: str, user) -> LetterDownloadJob:
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
        return _queue(kind=kind, user=user, segment=segment)


def logged_segment_letters_prepare(logged_segment: LoggedSegment, *, kind: str, user) -> LetterDownloadJob:
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
        return _queue(kind=kind, user=user, logged_segment=locked)


def _queue(*, kind: str, user, **owner) -> LetterDownloadJob:
    """Under the owner's row lock: its live job of this kind as it is, or a new one (a stale one is failed first),
    enqueued after commit. `owner`: segment= or logged_segment=."""
    active = Job.objects.filter(**owner, kind=kind, status__in=Job.ACTIVE).first()
    if active is not None and not background_job_fail_if_stale(active):
        return active
    job = Job.objects.create(**owner, kind=kind, user=user, stage="Queued")
    transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def _enqueue(job_id: int) -> None:
    from ..tasks import run_letter_download_job

    run_letter_download_job.enqueue(job_id)


def letter_download_job_run(job_id: int) -> LetterDownloadJob | None:
    """Merge the job's letters into a temporary file, store it, and mark the job done (or failed, with why).

    No transaction is held while merging: the letters are read line by line (as the direct download does) and
    progress is written every few lines. Safe to run again (a re-queued task after its worker died): a done
    job is left alone, anything else starts over. Returns the job as it ends up (None if it no longer exists).
    A segment logged or deleted while its letters are merged leaves a job without a segment, which the next
    run deletes with its file.
    """
    job = Job.objects.select_related("segment", "logged_segment").filter(pk=job_id).first()
    if job is None or job.status == Job.Status.DONE:
        return job
    work = _work(job)
    if work is None:
        _fail(job, "The segment was logged or deleted before its letters were merged.")
        return _reload(job)
    total, filename, write = work
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.RUNNING,
        stage="Merging letters",
        total=total,
        done=0,
        error="",
        started_at=timezone.now(),
        heartbeat_at=Now(),
    )

    def progress(done: int) -> None:
        Job.objects.filter(pk=job.pk).update(done=done, heartbeat_at=Now())

    try:
        with tempfile.TemporaryFile() as spool:
            write(spool, progress=progress)
            Job.objects.filter(pk=job.pk).update(stage="Storing the file", heartbeat_at=Now())
            document = store_document_file(spool, filename=filename, content_type=letters.LETTER_FILES[job.kind][1])
    except ValidationError as error:
        # The worksheet changed since the job was asked for (emptied, template letter removed): say so.
        _fail(job, " ".join(error.messages))
        return _reload(job)
    except Exception as error:
        _fail(job, f"{type(error).__name__}: {error}")
        raise
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.DONE,
        stage="Done",
        done=total,
        document=document,
        filename=filename,
        finished_at=timezone.now(),
        heartbeat_at=Now(),
    )
    _delete_replaced_jobs(job)
    return _reload(job)


def _work(job: LetterDownloadJob) -> tuple[int, str, Callable] | None:
    """What the job writes: how many lines (or entries), the file's name, and the writer (a file object and
    `progress` to go); None when its worksheet or logged segment is gone."""
    if job.logged_segment is not None:
        logged = job.logged_segment
        total = logged_letters.letters_to_print(logged).count()
        filename = logged_letters.logged_letters_filename(logged, job.kind)
        return total, filename, partial(logged_letters.write_logged_letters, logged, job.kind)
    if job.segment is not None:
        segment = job.segment
        total = SegmentLine.objects.filter(segment_id=segment.pk).count()
        filename = letters.letters_filename(segment, job.kind)
        return total, filename, partial(letters.write_segment_letters, segment, job.kind)
    return None


def _fail(job: LetterDownloadJob, error: str) -> None:
    Job.fail(job.pk, error=error, stage="Failed")


def _reload(job: LetterDownloadJob) -> LetterDownloadJob | None:
    return Job.objects.filter(pk=job.pk).first()


def _delete_replaced_jobs(job: LetterDownloadJob) -> None:
    """Delete, with their files, the finished jobs this one replaces (same segment or logged segment, same kind),
    and those whose segment was logged or deleted since (their rows stay without one until now, see the model)."""
    replaced = Job.objects.filter(
        segment_id=job.segment_id, logged_segment_id=job.logged_segment_id, kind=job.kind, id__lt=job.pk
    ).exclude(status__in=Job.ACTIVE)
    orphans = Job.objects.filter(segment__isnull=True, logged_segment__isnull=True)
    for jobs in (replaced, orphans):
        with transaction.atomic():
            documents = set(jobs.exclude(document=None).values_list("document_id", flat=True))
            jobs.delete()
            if documents:
                stored_documents_delete_unused(documents)


def letter_jobs_latest(owner: Segment | LoggedSegment) -> list[LetterDownloadJob]:
    """The newest job of each kind for a worksheet's or a logged segment's page (a read, kept next to the writes
    whose state it shows)."""
    owned = {"logged_segment_id" if isinstance(owner, LoggedSegment) else "segment_id": owner.pk}
    jobs = (
        Job.objects.filter(**owned, kind=kind).select_related("user").order_by("-id").first()
        for kind in Job.Kind.values
    )
    return [job for job in jobs if job is not None]
