"""The worksheet's mail merge downloads (docs/BEHAVIOUR.md §11): one line's letter, and all letters as a zip of
per-contact .docx files or one combined .docx, nothing logged.

A worksheet with at most settings.SEGMENT_LETTERS_DIRECT_MAX_LINES lines is merged right here, in the request.
A bigger one is merged by a background job (segments.services.letter_jobs): the worksheet asks for it with a
POST, shows its progress and then offers the file, to whoever may see the segment.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST, require_safe

from crm.access import add_validation_error, require_perm
from crm.filenames import visible_filename
from interactions import letter_pdf

from .. import letters, services
from ..models import LetterDownloadJob, Segment
from .common import VIEW
from .common import get_line as _line
from .common import get_segment as _segment

DOCX = letters.LETTER_FILES["docx"][1]


@require_safe
def segment_line_letter_download(request, pk: int, line_id: int):
    """Preview one line's merged letter (nothing is logged)."""
    require_perm(request, VIEW)
    segment = _segment(pk)
    line = _line(segment, line_id)
    try:
        filename, data = letters.line_letter(segment, line)
    except ValidationError as error:
        add_validation_error(request, error)
        return redirect(reverse("segments:segment_line_edit", args=[segment.pk, line.pk]))
    response = HttpResponse(data, content_type=DOCX)
    response["Content-Disposition"] = _attachment(filename)
    return response


@require_safe
def segment_line_letter_preview(request, pk: int, line_id: int):
    """One line's merged letter as a PDF shown in the browser (nothing is logged). Without LibreOffice, or when
    the letter cannot be converted, the line's page says so and still offers the .docx."""
    require_perm(request, VIEW)
    segment = _segment(pk)
    line = _line(segment, line_id)
    back = redirect(reverse("segments:segment_line_edit", args=[segment.pk, line.pk]))
    try:
        filename, data = letters.line_letter(segment, line)
        return letter_pdf.preview_response(data, filename)
    except ValidationError as error:
        add_validation_error(request, error)
    except letter_pdf.PdfConversionError as error:
        messages.error(request, f"{error} Download the letter as .docx instead.")
    return back


@require_safe
def segment_letters_zip(request, pk: int):
    """All letters as a zip of per-contact .docx files."""
    return _direct_download(request, pk, "zip")


@require_safe
def segment_letters_docx(request, pk: int):
    """All letters in one .docx, each starting on a new page."""
    return _direct_download(request, pk, "docx")


def _direct_download(request, pk: int, kind: str):
    """Merge in the request, into a temporary file (spilling to disk past 32 MB, so a big zip never sits in
    memory), then stream it. More lines than the setting: the worksheet's "Prepare letters" instead."""
    require_perm(request, VIEW)
    segment = _segment(pk)
    if services.letters_in_background(segment):
        return _letters_too_many(request, segment)
    try:
        return spooled_download(
            lambda spool: letters.write_segment_letters(segment, kind, spool),
            filename=letters.letters_filename(segment, kind),
            content_type=letters.LETTER_FILES[kind][1],
        )
    except ValidationError as error:
        add_validation_error(request, error)
        return redirect(segment)


def spooled_download(write, *, filename: str, content_type: str) -> FileResponse:
    """`write(fileobj)` into a temporary file (spilling to disk past 32 MB, so thousands of letters never sit in
    memory), then stream it as a download. What `write` raises goes to the caller, the file closed."""
    spool = tempfile.SpooledTemporaryFile(max_size=32 * 1024 * 1024)
    try:
        write(spool)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return FileResponse(spool, as_attachment=True, filename=visible_filename(filename), content_type=content_type)


def _letters_too_many(request, segment: Segment):
    messages.info(
        request,
        f"Segment {segment.no} has more than {settings.SEGMENT_LETTERS_DIRECT_MAX_LINES:,} lines: its letters are "
        "prepared in the background. Use “Prepare letters” and download the file when it is ready.",
    )
    return redirect(segment)


@require_POST
def segment_letters_prepare(request, pk: int):
    """Ask for all letters of a big worksheet: a background job merges them (progress on the worksheet).

    Needs only the permission to see the segment, like the direct download: it is a read that takes long. A
    worksheet small enough for the direct download is sent there instead.
    """
    require_perm(request, VIEW)
    segment = _segment(pk)
    return prepare_letters(
        request,
        segment,
        direct={"zip": "segments:segment_letters_zip", "docx": "segments:segment_letters_docx"},
        in_background=lambda: services.letters_in_background(segment),
        prepare=lambda kind: services.segment_letters_prepare(segment, kind=kind, user=request.user),
        owner=f"segment {segment.no}",
        doing="merging the letters",
    )


def prepare_letters(
    request,
    owner_object,
    *,
    direct: dict[str, str],
    in_background: Callable[[], bool],
    prepare: Callable[[str], LetterDownloadJob],
    owner: str,
    doing: str,
) -> HttpResponse:
    """The POSTed `kind` of letters of a worksheet or a logged segment (`owner_object`): a .docx kind of one small
    enough goes to its direct download (`direct`: kind -> URL name); else `prepare(kind)` asks for a letter job, and
    the page's letter jobs card follows. A refusal goes back to the page with the reason."""
    kind = request.POST.get("kind", "")
    if kind in direct and not in_background():
        return redirect(direct[kind], owner_object.pk)
    try:
        job = prepare(kind)
    except ValidationError as error:
        add_validation_error(request, error)
        return redirect(owner_object)
    report_prepared(request, job, owner=owner, doing=doing)
    return redirect(f"{owner_object.get_absolute_url()}#letter-jobs")


def report_prepared(request, job: LetterDownloadJob, *, owner: str, doing: str) -> None:
    """Say where a letter job that was just asked for stands (a failed one says so on its card)."""
    job.refresh_from_db()  # the default task backend has run it already, in-process, after the commit
    if job.status == job.Status.DONE:
        messages.success(request, f"{job.get_kind_display()} of {owner} are ready to download.")
    elif job.status != job.Status.FAILED:
        messages.success(
            request, f"{job.get_kind_display()}: {doing} in the background. The file is offered here when it is ready."
        )


@require_safe
def segment_letter_jobs(request, pk: int):
    """The letter jobs' progress card alone (htmx polls it every 2 s while a job runs)."""
    require_perm(request, VIEW)
    segment = _segment(pk)
    return render(request, "segments/_letter_jobs.html", {"segment": segment, **letter_jobs_context(segment)})


def letter_jobs_context(segment: Segment, *, line_count: int | None = None) -> dict:
    """What the letter jobs card shows (on the worksheet and alone, for htmx)."""
    return {
        **jobs_card_context(segment),
        "letters_in_background": services.letters_in_background(segment, line_count=line_count),
        "letter_jobs_url": reverse("segments:segment_letter_jobs", args=[segment.pk]),
        "letters_prepare_url": reverse("segments:segment_letters_prepare", args=[segment.pk]),
        "letter_download_url_name": "segments:segment_letter_job_download",
    }


def jobs_card_context(owner) -> dict:
    """The letter jobs card's jobs, for a worksheet or a logged segment (templates/segments/_letter_jobs.html)."""
    jobs = services.letter_jobs_latest(owner)
    return {
        "pdf_available": letter_pdf.is_available(),
        "pdf_unavailable_message": letter_pdf.PDF_UNAVAILABLE_MESSAGE,
        "letters_owner": owner,
        "letter_jobs": jobs,
        "letters_active": any(job.is_active for job in jobs),
        # A stale job will not move by itself: stop polling, the card offers to prepare the letters again.
        "letters_polled": any(job.is_active and not job.is_stale for job in jobs),
        "letters_max_lines": settings.SEGMENT_LETTERS_DIRECT_MAX_LINES,
    }


@require_safe
def segment_letter_job_download(request, pk: int, job_id: int):
    """The file a letter job made, to whoever may see its segment (404 for another segment's job, or once the
    segment was logged or deleted)."""
    require_perm(request, VIEW)
    return letter_job_file(job_id, segment=_segment(pk))


def letter_job_file(job_id: int, **owner) -> FileResponse:
    """The file a finished letter job made, for the worksheet (`segment=`) or the logged segment
    (`logged_segment=`) that owns the job; 404 for another's job or one without a file."""
    job = get_object_or_404(
        LetterDownloadJob.objects.select_related("document"),
        pk=job_id,
        status=LetterDownloadJob.Status.DONE,
        document__isnull=False,
        **owner,
    )
    return FileResponse(
        job.document.file.open("rb"),
        as_attachment=True,
        filename=visible_filename(job.filename),
        content_type=job.document.content_type,
    )


def _attachment(filename: str) -> str:
    return content_disposition_header(as_attachment=True, filename=visible_filename(filename))
