"""Mail merge from the worksheet, without logging anything (docs/BEHAVIOUR.md §11): one line's letter, all letters as
a zip of per-contact .docx files, or one combined .docx; the same as PDF (a zip of per-contact PDFs, one PDF to
print), converted by LibreOffice (interactions.letter_pdf) in a background job only.

Per line: the line's own uploaded letter, else the template letter in the line's language (docs/BEHAVIOUR.md §4), merged
with the same values logging uses (`interactions.letters.contact_merge_values`), the personal note included.
Pure reads: nothing here writes a row except the content-addressed template snapshot of `template_attachment`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from functools import partial

from django.core.exceptions import ValidationError

from crm.salutations import SalutationFormulas
from interactions import letter_pdf
from interactions.letters import DOCX_CONTENT_TYPE, compiled_docx, contact_merge_values, template_attachment
from interactions.merge import LetterCombineError, letter_filename, write_combined_docx, write_zip_letters

from .models import Segment, SegmentLine
from .selectors import LineResolver, worksheet_lines

__all__ = [
    "line_letter",
    "segment_letters",
    "write_segment_letters_zip",
    "write_segment_letters_combined",
    "write_segment_letters_pdf_zip",
    "write_segment_letters_pdf",
    "write_segment_letters",
    "letters_filename",
    "check_has_letters",
    "check_letters_kind",
    "LETTER_FILES",
    "PDF_KINDS",
]

# Download kind -> (end of the file name, content type).
LETTER_FILES = {
    "zip": (".zip", "application/zip"),
    "docx": (".docx", DOCX_CONTENT_TYPE),
    "pdfzip": (" (PDF).zip", "application/zip"),
    "pdf": (".pdf", letter_pdf.PDF_CONTENT_TYPE),
}
# The kinds converted to PDF: made by a background job only, whatever the number of letters (the conversion never
# runs in a web request), and only where LibreOffice is installed.
PDF_KINDS = ("pdfzip", "pdf")
# How often (in lines) the progress callback is called: every line, since a background job's updater writes by the
# clock, every few seconds of work (crm.jobs.heartbeat), whatever a line costs.
PROGRESS_EVERY = 1
# Lines read per query: id-ordered batches, no server-side cursor (see segment_letters).
LINE_BATCH = 1000


class _Letters:
    """Resolves and caches, per segment, the compiled template of each (template, language)."""

    def __init__(self, segment: Segment):
        self.segment = segment
        self.resolver = LineResolver.for_segment(segment)
        self._snapshots: dict[tuple[int, str], object] = {}
        self._variant_subjects: dict[tuple[int, str], str] = {}
        self._salutations: SalutationFormulas | None = None

    @property
    def salutations(self) -> SalutationFormulas:
        # Every salutation formula (a short table) once per segment, not a query per line.
        if self._salutations is None:
            self._salutations = SalutationFormulas.everything()
        return self._salutations

    def template_document(self, line: SegmentLine):
        resolved = self.resolver.resolve(line)
        template = resolved.template
        if template is None:
            return None
        key = (template.pk, resolved.language_code)
        if key not in self._snapshots:
            document, kind = template_attachment(template, resolved.language_code)
            self._snapshots[key] = document if kind == "docx" else None
        return self._snapshots[key]

    def _variant_subject(self, template, language_code: str) -> str:
        key = (template.pk, language_code)
        if key not in self._variant_subjects:
            variant = template.languages.filter(language_code=language_code).only("subject").first()
            self._variant_subjects[key] = variant.subject if variant else ""
        return self._variant_subjects[key]

    def subject(self, line: SegmentLine) -> str:
        """The logging SQL's subject rule (segments.services.entry_insert_sql._SUBJECT, docs/BEHAVIOUR.md §4): a
        header subject copied from the template gives way to the subject of the line's language row."""
        if line.subject:
            return line.subject
        segment, resolved = self.segment, self.resolver.resolve(line)
        template = resolved.template
        variant = self._variant_subject(template, resolved.language_code) if template is not None else ""
        own_template = line.template_id is not None and line.template_id != segment.template_id
        header = "" if own_template else segment.subject
        if header and not (template is not None and header == template.subject and variant):
            return header
        return variant or (template.subject if template is not None else "")

    def values(self, line: SegmentLine) -> dict[str, str]:
        segment = self.segment
        resolved_subject = self.subject(line)
        return contact_merge_values(
            line.contact,
            salesperson=line.salesperson or segment.salesperson,
            date=line.date or segment.date,
            description=line.description or segment.description,
            subject=resolved_subject,
            segment_no=segment.no,
            segment_description=segment.description,
            personal_note=line.personal_note,
            language_code=self.resolver.resolve(line).language_code,
            salutations=self.salutations,
        )

    def render(self, line: SegmentLine) -> tuple[str, bytes] | None:
        """(filename, .docx bytes), or None when the line has no Word letter."""
        if line.letter_id:
            compiled = compiled_docx(line.letter)
        else:
            document = self.template_document(line)
            if document is None:
                return None
            compiled = compiled_docx(document)
        contact = line.contact
        return letter_filename(contact.company_name, contact.name), compiled.render(self.values(line))


def _no_letter(segment: Segment) -> ValidationError:
    return ValidationError(
        f"Segment {segment.no} has no Word letter to merge: choose a template with a .docx attachment, "
        "or upload a letter on a line."
    )


def line_letter(segment: Segment, line: SegmentLine) -> tuple[str, bytes]:
    """One line's merged letter (the preview). ValidationError when the line has no Word letter."""
    line = worksheet_lines(segment).get(pk=line.pk)
    rendered = _Letters(segment).render(line)
    if rendered is None:
        raise ValidationError(
            f"There is no Word letter for {line.contact.name}: the line's template has no .docx attachment for "
            "its language, and no letter was uploaded for this line."
        )
    return rendered


def segment_letters(segment: Segment, *, progress: Callable[[int], None] | None = None) -> Iterator[tuple[str, bytes]]:
    """Every line's letter, in line order; lines without a Word letter are skipped. Streams the lines.

    `progress(lines_done)` is called every PROGRESS_EVERY lines and once at the end (a background job's bar).
    """
    letters = _Letters(segment)
    # Read in id-ordered batches, not with .iterator(): on PostgreSQL that is a server-side cursor, which a
    # generator abandoned mid-way (a letter that fails, a client that goes away) leaves open until the garbage
    # collector closes it, at whatever moment, possibly while the connection is busy: the worker then hangs
    # (docs/SECURITY.md). A batch holds nothing open between reads.
    for line in with_progress(_lines_in_batches(segment), progress):
        rendered = letters.render(line)
        if rendered is not None:
            yield rendered


def _lines_in_batches(segment: Segment) -> Iterator[SegmentLine]:
    last_id = 0
    while batch := list(worksheet_lines(segment).filter(id__gt=last_id)[:LINE_BATCH]):
        yield from batch
        last_id = batch[-1].pk


def with_progress(items: Iterable, progress: Callable[[int], None] | None) -> Iterator:
    """The items, calling `progress(done)` every PROGRESS_EVERY items (once the consumer has dealt with them) and
    once at the end: a background job's progress bar."""
    done = 0
    for done, item in enumerate(items, start=1):
        yield item
        if progress is not None and done % PROGRESS_EVERY == 0:
            progress(done)
    if progress is not None:
        progress(done)


def check_has_letters(segment: Segment) -> None:
    if not segment.lines.exists():
        raise ValidationError(f"Segment {segment.no} is empty: add contacts before merging letters.")
    first = next(segment_letters(segment), None)
    if first is None:
        raise _no_letter(segment)


def write_segment_letters_zip(segment: Segment, fileobj, *, progress=None) -> None:
    """Write the zip of per-contact letters ('<Company> - <Name>.docx') to a file object."""
    check_has_letters(segment)
    write_zip_letters(fileobj, segment_letters(segment, progress=progress))


def write_combined_letters(fileobj, letters: Iterable[tuple[str, bytes]], *, combine=write_combined_docx) -> None:
    """`combine` (one .docx or one PDF) the named letters onto `fileobj`. A letter that cannot be combined is a
    ValidationError naming it, which the download pages and the letter jobs show (docs/SECURITY.md, "Combined
    letters"), never a server error."""
    current = ""

    def documents() -> Iterator[bytes]:
        nonlocal current
        for name, data in letters:
            current = name
            yield data

    try:
        combine(fileobj, documents())
    except LetterCombineError:
        raise ValidationError(
            f"The letter “{current}” cannot be put into one document with the others. Download the letters as a "
            "zip of separate files instead, or replace that line's letter.",
            code="combine",
        ) from None


def write_segment_letters_combined(segment: Segment, fileobj, *, progress=None) -> None:
    """Write all letters as one .docx, each starting on a new page, to a file object (one letter in memory at a
    time: see interactions.merge.combine)."""
    check_has_letters(segment)
    write_combined_letters(fileobj, segment_letters(segment, progress=progress))


def write_segment_letters_pdf_zip(segment: Segment, fileobj, *, progress=None, parts=None, converted=None) -> None:
    """Write the zip of per-contact PDFs ('<Company> - <Name>.pdf', the names of the .docx zip) to a file object,
    converting a batch of letters at a time. `parts` (interactions.letter_pdf.KeptParts): where a background job
    keeps the batches converted so far; `converted(letters)`: called after each batch."""
    check_has_letters(segment)
    pdfs = letter_pdf.named_letters_to_pdfs(
        segment_letters(segment, progress=progress), parts=parts, progress=converted
    )
    write_zip_letters(fileobj, pdfs)


def write_segment_letters_pdf(segment: Segment, fileobj, *, progress=None, parts=None, converted=None) -> None:
    """Write all letters as one PDF to print, each starting on a new page, to a file object (`parts`, `converted`:
    as for write_segment_letters_pdf_zip)."""
    check_has_letters(segment)
    combine = partial(letter_pdf.write_combined_pdf, parts=parts, progress=converted)
    write_combined_letters(fileobj, segment_letters(segment, progress=progress), combine=combine)


_WRITERS = {
    "zip": write_segment_letters_zip,
    "docx": write_segment_letters_combined,
    "pdfzip": write_segment_letters_pdf_zip,
    "pdf": write_segment_letters_pdf,
}


def write_segment_letters(segment: Segment, kind: str, fileobj, *, progress=None, **pdf_options) -> None:
    """All letters as `kind` (LETTER_FILES) on a file object: the one function behind both the direct download and
    the background job, so both give the same bytes. `pdf_options`: a PDF kind's `parts` and `converted`."""
    check_letters_kind(kind)
    _WRITERS[kind](segment, fileobj, progress=progress, **pdf_options)


def check_letters_kind(kind: str) -> None:
    """Refuse an unknown kind, and a PDF kind where LibreOffice is not installed (the .docx kinds still work)."""
    if kind not in LETTER_FILES:
        raise ValidationError(f"Unknown kind of letters download “{kind}”. Use {', '.join(LETTER_FILES)}.")
    if kind in PDF_KINDS and not letter_pdf.is_available():
        raise ValidationError(letter_pdf.PDF_UNAVAILABLE_MESSAGE)


def letters_filename(segment: Segment, kind: str) -> str:
    return f"Segment {segment.no}{LETTER_FILES[kind][0]}"
