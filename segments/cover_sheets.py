"""A worksheet's cover sheets (docs/BEHAVIOUR.md §10, "Cover sheets"): one page per line, in line order, as one PDF,
each contact logged with the "Cover sheets" setup template (interactions.services.cover_sheets_log).

`write_segment_cover_sheets` is the background job's writer (segments.letter_download_job): it lays the sheets out in
batches with progress and returns the contacts it printed, which the job logs when it marks itself done.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from crm.cover_sheets import cover_sheet_sender, cover_sheets_write
from crm.models import Contact

from .models import Segment, SegmentLine

__all__ = [
    "COVER_SHEETS_CONTENT_TYPE",
    "cover_sheets_filename",
    "segment_cover_sheet_contacts",
    "write_segment_cover_sheets",
]

COVER_SHEETS_CONTENT_TYPE = "application/pdf"
# Sheets laid out per WeasyPrint document; also how often the job's progress is written.
BATCH = 200


def cover_sheets_filename(segment: Segment) -> str:
    return f"Segment {segment.no} cover sheets.pdf"


def segment_cover_sheet_contacts(segment: Segment, *, batch: int = BATCH) -> Iterator[list[Contact]]:
    """The worksheet's contacts in line order (a contact on two lines twice), in lists of `batch`, their
    company loaded for the address block; read by line id ranges, never the whole worksheet at once."""
    last_id = 0
    while True:
        lines = list(
            SegmentLine.objects.filter(segment_id=segment.pk, id__gt=last_id)
            .select_related("contact__company")
            .order_by("id")[:batch]
        )
        if not lines:
            return
        last_id = lines[-1].id
        yield [line.contact for line in lines]


def write_segment_cover_sheets(
    segment: Segment, text: str, user, fileobj, *, progress: Callable[[int], None] | None = None
) -> list[int]:
    """Write the worksheet's cover sheets as one PDF to `fileobj`; the ids of the contacts printed, in order, for
    the caller to log (cover_sheets_log) once the file is kept."""
    printed: list[int] = []

    def batches():
        for contacts in segment_cover_sheet_contacts(segment):
            printed.extend(contact.pk for contact in contacts)
            yield contacts

    cover_sheets_write(batches(), text=text, sender=cover_sheet_sender(user), target=fileobj, progress=progress)
    return printed
