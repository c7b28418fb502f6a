"""The letters to print of a logged segment: the stored letters of its entries that were not e-mailed, as a zip of
per-contact .docx files or as one .docx to print in one go; or as PDF (a zip of per-contact PDFs, one PDF to print),
converted by LibreOffice (interactions.letter_pdf) in a background job only.

Nothing is merged anew: each entry's letter is reproduced from what logging stored (interactions.letters), so the
printed letter is the one the entry holds. A logged segment with more letters than
settings.SEGMENT_LETTERS_DIRECT_MAX_LINES is written by a background job (segments.services.letter_jobs), as for
a worksheet; both paths call `write_logged_letters`, so the file is the same bytes either way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError

from interactions import letter_pdf
from interactions.letters import entry_document_bytes
from interactions.merge import letter_filename, write_combined_docx, write_zip_letters
from interactions.models import LoggedSegment

from .letters import LETTER_FILES, check_letters_kind, with_progress, write_combined_letters

__all__ = [
    "letters_to_print",
    "logged_letters_in_background",
    "check_has_letters_to_print",
    "write_logged_letters",
    "logged_letters_filename",
]

BATCH = 200


def letters_to_print(logged: LoggedSegment):
    """Entries with a Word letter that were not e-mailed: hard copies, or everything when nothing was sent."""
    entries = logged.entries.filter(merge_template__content_type__contains="wordprocessingml").exclude(
        merge_values__isnull=True
    )
    if logged.log_jobs.filter(send=True).exists():
        entries = entries.exclude(correspondence_type="email")
    return entries


def logged_letters_in_background(logged: LoggedSegment) -> bool:
    """Whether there are too many letters to write in a web request (counted no further than the limit)."""
    limit = settings.SEGMENT_LETTERS_DIRECT_MAX_LINES
    return letters_to_print(logged).order_by()[: limit + 1].count() > limit


def check_has_letters_to_print(logged: LoggedSegment) -> None:
    if not letters_to_print(logged).exists():
        raise ValidationError(f"Logged segment {logged.pk} has no letters to print.")


def write_logged_letters(
    logged: LoggedSegment,
    kind: str,
    fileobj,
    *,
    progress: Callable[[int], None] | None = None,
    parts: letter_pdf.KeptParts | None = None,
    converted: Callable[[int], None] | None = None,
) -> None:
    """Write the letters to print as `kind` (LETTER_FILES) on a file object, one letter (or one batch of letters
    being converted to PDF) in memory at a time.

    `progress(entries_done)` is called every PROGRESS_EVERY entries and once at the end (a background job's bar).
    A PDF kind's `parts` and `converted`: as for segments.letters.write_segment_letters_pdf_zip.
    """
    check_letters_kind(kind)
    check_has_letters_to_print(logged)
    letters = _letters(letters_to_print(logged), progress)
    if kind == "zip":
        write_zip_letters(fileobj, letters)
        return
    if kind == "pdfzip":
        write_zip_letters(fileobj, letter_pdf.named_letters_to_pdfs(letters, parts=parts, progress=converted))
        return
    combine = (
        partial(letter_pdf.write_combined_pdf, parts=parts, progress=converted)
        if kind == "pdf"
        else write_combined_docx
    )
    try:
        write_combined_letters(fileobj, letters, combine=combine)
    except ValueError:  # not one entry's letter could be reproduced
        raise ValidationError(f"Logged segment {logged.pk} has no letters to print.")


def logged_letters_filename(logged: LoggedSegment, kind: str) -> str:
    return f"Segment {logged.segment_no}{LETTER_FILES[kind][0]}"


def _letters(entries, progress) -> Iterator[tuple[str, bytes]]:
    """(file name, letter) per entry, in entry order."""
    for entry in with_progress(_in_batches(entries), progress):
        rendered = entry_document_bytes(entry)
        if rendered is not None:
            contact = entry.contact
            name = letter_filename(contact.company_name, contact.name) if contact else f"Entry {entry.pk}.docx"
            yield name, rendered[0]


def _in_batches(entries) -> Iterator:
    """The entries in id order, read in batches by id (no OFFSET, no long-held cursor)."""
    last_id = 0
    while batch := list(
        entries.filter(id__gt=last_id).select_related("contact__company", "merge_template").order_by("id")[:BATCH]
    ):
        yield from batch
        last_id = batch[-1].pk
