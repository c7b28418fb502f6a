"""A logged segment's letters to print (segments.logged_letters): a zip of per-contact .docx files, or one .docx.

Up to settings.SEGMENT_LETTERS_DIRECT_MAX_LINES letters are written right here, in the request. More would hold a
request, and a web worker, for minutes: the page then asks for them with a POST, a background job writes the file
(segments.services.letter_jobs, as for a worksheet), and the page shows its progress and offers the file. Reading
the letters needs the permissions to see the logged segment and its entries.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from crm.access import add_validation_error, require_perm
from interactions.models import LoggedSegment

from .. import logged_letters, services
from ..letters import LETTER_FILES
from .letters import jobs_card_context, letter_job_file, prepare_letters, spooled_download

VIEW_PERMS = ("interactions.view_loggedsegment", "interactions.view_interactionlogentry")
DIRECT = {"zip": "segments:logged_segment_letters", "docx": "segments:logged_segment_letters_docx"}


def letters_context(logged: LoggedSegment) -> dict:
    """What the logged segment's page shows about its letters to print, and the letter jobs card."""
    has_letters = logged_letters.letters_to_print(logged).exists()
    return {
        **jobs_card_context(logged),
        "has_letters": has_letters,
        "letters_of_logged": True,
        "letters_in_background": has_letters and logged_letters.logged_letters_in_background(logged),
        "letter_jobs_url": reverse("segments:logged_segment_letter_jobs", args=[logged.pk]),
        "letters_prepare_url": reverse("segments:logged_segment_letters_prepare", args=[logged.pk]),
        "letter_download_url_name": "segments:logged_segment_letter_job_download",
    }


@require_safe
def logged_segment_letters(request, pk: int):
    """The letters to print as a zip with one .docx per hard-copy entry (or every unsent entry with a letter)."""
    return _direct_download(request, pk, "zip")


@require_safe
def logged_segment_letters_docx(request, pk: int):
    """The same letters as one .docx to print in one go, each letter starting on a new page with its own header
    and footer, built from each entry's stored letter."""
    return _direct_download(request, pk, "docx")


def _direct_download(request, pk: int, kind: str):
    logged = _logged(request, pk)
    if not logged_letters.letters_to_print(logged).exists():
        raise Http404("This logged segment has no letters to print.")
    if logged_letters.logged_letters_in_background(logged):
        messages.info(
            request,
            f"Logged segment {logged.pk} has more than {settings.SEGMENT_LETTERS_DIRECT_MAX_LINES:,} "
            "letters to print: they are prepared in the background. Use “Prepare letters” and download the file "
            "when it is ready.",
        )
        return redirect(f"{logged.get_absolute_url()}#letter-jobs")
    try:
        return spooled_download(
            lambda spool: logged_letters.write_logged_letters(logged, kind, spool),
            filename=logged_letters.logged_letters_filename(logged, kind),
            content_type=LETTER_FILES[kind][1],
        )
    except ValidationError as error:
        # A letter that cannot be combined (or letters gone since the check above): said on the page.
        add_validation_error(request, error)
        return redirect(logged)


@require_POST
def logged_segment_letters_prepare(request, pk: int):
    """Ask for the letters to print of a big logged segment: a background job writes them (progress on the page).

    Needs only the permissions to read them, like the direct download: it is a read that takes long. A logged
    segment small enough for the direct download is sent there instead.
    """
    logged = _logged(request, pk)
    return prepare_letters(
        request,
        logged,
        direct=DIRECT,
        in_background=lambda: logged_letters.logged_letters_in_background(logged),
        prepare=lambda kind: services.logged_segment_letters_prepare(logged, kind=kind, user=request.user),
        owner=f"logged segment {logged.pk}",
        doing="writing the letters",
    )


@require_safe
def logged_segment_letter_jobs(request, pk: int):
    """The letter jobs' progress card alone (htmx polls it every 2 s while a job runs)."""
    logged = _logged(request, pk)
    return render(request, "segments/_letter_jobs.html", letters_context(logged))


@require_safe
def logged_segment_letter_job_download(request, pk: int, job_id: int):
    """The file a letter job wrote, to whoever may read the logged segment's letters (404 for another logged
    segment's job)."""
    return letter_job_file(job_id, logged_segment=_logged(request, pk))


def _logged(request, pk: int) -> LoggedSegment:
    for permission in VIEW_PERMS:
        require_perm(request, permission)
    return get_object_or_404(LoggedSegment, pk=pk)
