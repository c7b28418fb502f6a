"""Printing a worksheet's cover sheets (docs/BEHAVIOUR.md §10, "Cover sheets"; Business Central's Print Cover
Sheets of a segment): one PDF with a page per line, and an entry per line with the "Cover sheets" setup template.

Up to settings.SEGMENT_COVER_SHEETS_DIRECT_MAX_LINES lines the PDF is drawn in the request; above that a background job
(a LetterDownloadJob of kind "covers", run by segments.letter_download_job) draws it with progress on the worksheet
and offers the file, like the worksheet's letters (docs/BEHAVIOUR.md §12). Either way the entries are written
once the PDF exists, with bulk inserts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from crm.cover_sheets import cover_sheet_sender, cover_sheets_pdf
from crm.privacy import privacy_blocked_error
from interactions.services import cover_sheet_clean_text, cover_sheets_log, cover_sheets_template

from ..cover_sheets import segment_cover_sheet_contacts
from ..models import LetterDownloadJob, Segment, SegmentLine
from .letter_jobs import queue_letter_job

if TYPE_CHECKING:
    from django.contrib.auth.models import User

__all__ = ["CoverSheets", "cover_sheets_in_background", "segment_cover_sheets_print"]


@dataclass(frozen=True)
class CoverSheets:
    """What printing a worksheet's cover sheets gave: the PDF and how many entries were logged (in the request),
    or the background job drawing them."""

    pdf: bytes | None = None
    logged: int = 0
    job: LetterDownloadJob | None = None


def cover_sheets_in_background(segment: Segment, *, line_count: int | None = None) -> bool:
    """Whether this worksheet has too many lines to draw its cover sheets in a web request."""
    if line_count is None:
        line_count = SegmentLine.objects.filter(segment_id=segment.pk).count()
    return line_count > settings.SEGMENT_COVER_SHEETS_DIRECT_MAX_LINES


def _check(segment: Segment) -> int:
    count = SegmentLine.objects.filter(segment_id=segment.pk).count()
    if not count:
        raise ValidationError(f"Segment {segment.no} is empty: add contacts before printing cover sheets.")
    blocked = (
        SegmentLine.objects.filter(segment_id=segment.pk, contact__privacy_blocked=True)
        .select_related("contact")
        .order_by("id")
        .first()
    )
    if blocked is not None:
        raise privacy_blocked_error(blocked.contact)
    return count


def segment_cover_sheets_print(segment: Segment, *, text: str, user: User | None) -> CoverSheets:
    """Print a cover sheet for every line of the worksheet, as one PDF, and log them.

    1. Refused, nothing printed or logged: a text too long for the page, a setup template with language
       variants or an attachment, an empty worksheet, a privacy-blocked contact on a line (named).
    2. Small worksheet: the PDF is drawn here, then cover_sheets_log writes an entry per line (no setup
       template: none, as in BC).
    3. Big worksheet: under the segment's row lock a job is queued (a live one is returned as it is, so a double
       click prints once), enqueued after commit; the job draws the PDF, logs the entries and offers the file.
    """
    text = cover_sheet_clean_text(text)
    cover_sheets_template()
    count = _check(segment)
    if not cover_sheets_in_background(segment, line_count=count):
        contacts = [contact for batch in segment_cover_sheet_contacts(segment) for contact in batch]
        pdf = cover_sheets_pdf(contacts, text=text, sender=cover_sheet_sender(user))
        return CoverSheets(pdf=pdf, logged=cover_sheets_log([contact.pk for contact in contacts], user=user))
    with transaction.atomic():
        try:
            locked = Segment.objects.select_for_update().get(pk=segment.pk)
        except Segment.DoesNotExist:
            raise ValidationError("This segment no longer exists (it was logged or deleted).")
        job = queue_letter_job(kind=LetterDownloadJob.Kind.COVER_SHEETS, user=user, text=text, segment=locked)
    return CoverSheets(job=job)
