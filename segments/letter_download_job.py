"""The job that writes a big worksheet's letters, or a big logged segment's letters to print, into one file (a
`LetterDownloadJob`, run by the task `segments.tasks.run_letter_download_job`); and what is done when the worker
running it is gone.

The job is queued by `segments.services.letter_jobs` (`segment_letters_prepare`, `logged_segment_letters_prepare`).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from functools import partial

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Now
from django.utils import timezone

from crm.jobs.heartbeat import JobHeartbeat
from interactions.letter_pdf import KeptParts, PdfConversionError
from interactions.services import cover_sheets_log
from interactions.services.entries import stored_documents_delete_unused
from interactions.storage import store_document_file

from . import cover_sheets, letters, logged_letters
from .models import LetterDownloadJob, SegmentLine

__all__ = ["letter_download_job_run", "letter_download_job_lost", "kept_parts_directory"]

Job = LetterDownloadJob


def letter_download_job_run(job_id: int) -> LetterDownloadJob | None:
    """Merge the job's letters into a temporary file, store it, and mark the job done (or failed, with why).

    No transaction is held while merging: the letters are read line by line (as the direct download does) and
    progress is written every few lines. Safe to run again (a re-queued task after its worker died): a done
    job is left alone, anything else starts over, except the conversion to PDF: a PDF kind keeps each batch of
    letters it converted as a file of the job (`_kept_parts`), and a run again converts only the batches not kept
    (by this job, or by the stopped or failed job of the same letters it replaces), its `done` counting the
    letters converted so far (docs/BEHAVIOUR.md §12). Returns the job as it ends up (None if it no longer exists).
    A segment logged or deleted while its letters are merged leaves a job without a segment, which the next
    run deletes with its file.
    """
    job = Job.objects.select_related("segment", "logged_segment", "user").filter(pk=job_id).first()
    if job is None or job.status == Job.Status.DONE:
        return job
    work = _work(job)
    if work is None:
        _fail(job, "The segment was logged or deleted before its letters were merged.")
        return _reload(job)
    total, filename, content_type, write = work
    covers = job.kind == Job.Kind.COVER_SHEETS
    heartbeat = JobHeartbeat(Job, job.pk)
    parts: KeptParts | None = None
    progress: Callable[[int], object] = heartbeat.progress
    if job.kind in letters.PDF_KINDS:
        # Progress counts the letters converted (and kept); merging them only shows a sign of life every few seconds.
        parts = _kept_parts(job)
        write = partial(write, parts=parts, converted=lambda converted: heartbeat.write(done=converted))
        progress = lambda _lines: heartbeat()  # noqa: E731
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.RUNNING,
        stage=(
            "Printing cover sheets"
            if covers
            else "Merging letters and converting them to PDF"
            if job.kind in letters.PDF_KINDS
            else "Merging letters"
        ),
        total=total,
        done=0,
        error="",
        started_at=timezone.now(),
        heartbeat_at=Now(),
    )

    try:
        with tempfile.TemporaryFile() as spool:
            # Progress and heartbeat every few seconds of work (crm.jobs.heartbeat), however long a letter takes.
            printed = write(spool, progress=progress)
            # Every line is merged: the last count may have come within the heartbeat interval, unwritten.
            Job.objects.filter(pk=job.pk).update(stage="Storing the file", done=total, heartbeat_at=Now())
            document = store_document_file(spool, filename=filename, content_type=content_type)
        with transaction.atomic():
            # Cover sheets are logged in the transaction that marks the job done, so a rerun after a lost worker
            # either finds it done or logs them once (docs/BEHAVIOUR.md §12).
            if covers:
                cover_sheets_log(printed, user=job.user)
            Job.objects.filter(pk=job.pk).update(
                status=Job.Status.DONE,
                stage="Done",
                done=total,
                document=document,
                filename=filename,
                finished_at=timezone.now(),
                heartbeat_at=Now(),
            )
    except ValidationError as error:
        # The worksheet changed since the job was asked for (emptied, template letter removed, a contact privacy
        # blocked): say so.
        _fail(job, " ".join(error.messages))
        return _reload(job)
    except PdfConversionError as error:
        # A letter LibreOffice cannot open, or one that takes longer than PDF_CONVERSION_TIMEOUT (docs/DEPLOY.md):
        # the message says which; the .docx of the same letters does not need LibreOffice.
        _fail(job, f"{error} The letters can still be downloaded as .docx.")
        return _reload(job)
    except Exception as error:
        _fail(job, f"{type(error).__name__}: {error}")
        raise
    if parts is not None:
        KeptParts.delete(parts.directory)
    _delete_replaced_jobs(job)
    return _reload(job)


def _work(job: LetterDownloadJob) -> tuple[int, str, str, Callable] | None:
    """What the job writes: how many lines (or entries), the file's name and content type, and the writer (a
    file object and `progress` to go); None when its worksheet or logged segment is gone."""
    if job.logged_segment is not None:
        logged = job.logged_segment
        total = logged_letters.letters_to_print(logged).count()
        filename = logged_letters.logged_letters_filename(logged, job.kind)
        content_type = letters.LETTER_FILES[job.kind][1]
        return total, filename, content_type, partial(logged_letters.write_logged_letters, logged, job.kind)
    if job.segment is not None:
        segment = job.segment
        total = SegmentLine.objects.filter(segment_id=segment.pk).count()
        if job.kind == Job.Kind.COVER_SHEETS:
            # Printing them logs an entry per line (segments.cover_sheets), as the user who asked.
            write = partial(cover_sheets.write_segment_cover_sheets, segment, job.text, job.user)
            return total, cover_sheets.cover_sheets_filename(segment), cover_sheets.COVER_SHEETS_CONTENT_TYPE, write
        filename = letters.letters_filename(segment, job.kind)
        content_type = letters.LETTER_FILES[job.kind][1]
        return total, filename, content_type, partial(letters.write_segment_letters, segment, job.kind)
    return None


def kept_parts_directory(job_id: int) -> str:
    """Where a PDF job keeps the batches of letters it converted (in the default storage)."""
    return f"letter-job-parts/{job_id}"


def _kept_parts(job: LetterDownloadJob) -> KeptParts:
    """The job's kept batches, and those of the earlier jobs of the same letters that did not finish (stopped with
    their worker, or failed: "Prepare the letters again" makes a new job, which goes on where they stopped)."""
    owner = {"segment_id": job.segment_id, "logged_segment_id": job.logged_segment_id}
    earlier = (
        Job.objects.filter(**owner, kind=job.kind, id__lt=job.pk, status=Job.Status.FAILED)
        .order_by("-id")
        .values_list("id", flat=True)[:3]
    )
    return KeptParts(kept_parts_directory(job.pk), earlier=[kept_parts_directory(pk) for pk in earlier])


def _fail(job: LetterDownloadJob, error: str) -> None:
    Job.fail(job.pk, error=error, stage="Failed")


def _reload(job: LetterDownloadJob) -> LetterDownloadJob | None:
    return Job.objects.filter(pk=job.pk).first()


def _delete_replaced_jobs(job: LetterDownloadJob) -> None:
    """Delete, with their files, the finished jobs this one replaces (same segment or logged segment, same kind),
    and those whose segment was logged or deleted since (their rows stay without one until now, see the model).

    A colleague's finished download is not replaced (issue 14, docs/SECURITY.md): they may be about to fetch it.
    It goes when they prepare that kind again, or with the segment; so each user keeps at most one per kind.
    """
    replaced = (
        Job.objects.filter(
            segment_id=job.segment_id, logged_segment_id=job.logged_segment_id, kind=job.kind, id__lt=job.pk
        )
        .exclude(status__in=Job.ACTIVE)
        .exclude(Q(status=Job.Status.DONE) & ~Q(user_id=job.user_id))
    )
    orphans = Job.objects.filter(segment__isnull=True, logged_segment__isnull=True)
    for jobs in (replaced, orphans):
        with transaction.atomic():
            documents = set(jobs.exclude(document=None).values_list("document_id", flat=True))
            pdf_jobs = list(jobs.filter(kind__in=letters.PDF_KINDS).values_list("id", flat=True))
            jobs.delete()
            if documents:
                stored_documents_delete_unused(documents)
        for pk in pdf_jobs:  # the batches a stopped or failed PDF job kept
            KeptParts.delete(kept_parts_directory(pk))


def letter_download_job_lost(job_id: int, *, reason: str, failed: bool, dry_run: bool = False) -> None:
    """The worker running `run_letter_download_job(job_id)` is gone (a handler for `manage.py recover_tasks`).

    Without this the job would say "Running" for ever. Failed: the job says so, with the reason, and the page
    offers to ask for the letters again. Re-queued: it says "Queued" until a worker runs it again,
    which starts over (a half-written file is a temporary file, gone with the worker); a PDF job's run again
    converts only the batches of letters it had not kept (letter_download_job_run).
    """
    if dry_run:
        return
    if failed:
        LetterDownloadJob.fail(
            job_id,
            stage="Stopped",
            only_active=True,
            error=f"The background worker stopped while merging these letters. {reason} {LetterDownloadJob.RERUN_NOTE}",
        )
    else:
        LetterDownloadJob.requeue_if_running(job_id, stage="Queued again: the worker merging them stopped", done=0)
