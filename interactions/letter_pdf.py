"""Letters as PDF: this process's one LibreOffice converter, configured from the settings.

The conversion itself is interactions.merge.pdf_converter (bytes in, bytes out, no Django). Each process (a web
worker for the one-letter preview, a background worker for a segment's letters) gets one LibreOffice, started on
its first conversion and kept for the next; docs/DEPLOY.md says which machines need LibreOffice installed. Where
it is not, `is_available()` is false and the pages offer the .docx instead.
"""

from __future__ import annotations

import atexit
import itertools
import threading
from collections.abc import Iterable, Iterator

from django.conf import settings
from django.http import HttpResponse
from django.utils.http import content_disposition_header

from .merge.pdf_converter import (
    PDF_CONTENT_TYPE,
    LibreOfficeConverter,
    PdfConversionError,
    libreoffice_available,
    pdf_filename,
)

__all__ = [
    "PDF_CONTENT_TYPE",
    "PDF_UNAVAILABLE_MESSAGE",
    "PdfConversionError",
    "docx_to_pdf",
    "is_available",
    "is_word_letter",
    "letters_to_pdfs",
    "named_letters_to_pdfs",
    "pdf_filename",
    "preview_response",
    "write_combined_pdf",
]

PDF_UNAVAILABLE_MESSAGE = "PDF conversion is not available on this server: download the .docx instead."
# Letters per LibreOffice conversion (docs/PERFORMANCE.md: large enough that loading LibreOffice's document
# machinery is paid rarely, small enough that a batch's memory stays small).
LETTERS_PER_BATCH = 100
LETTERS_PER_COMBINED_BATCH = 200


def is_available() -> bool:
    """Whether this server can convert letters to PDF (LibreOffice and its Python bridge are installed)."""
    return libreoffice_available(settings.LIBREOFFICE_SOFFICE, settings.LIBREOFFICE_PYTHON)


def is_word_letter(filename: str, content_type: str) -> bool:
    """Whether a stored document is a Word letter (which the preview converts), by its type or its name."""
    return "wordprocessingml" in (content_type or "") or (filename or "").lower().endswith(".docx")


class _ProcessConverter:
    """The process's converter, rebuilt only when its settings change (tests override them)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._converter: LibreOfficeConverter | None = None
        self._config: tuple | None = None
        atexit.register(self.close)

    def get(self) -> LibreOfficeConverter:
        config = (
            settings.LIBREOFFICE_SOFFICE,
            settings.LIBREOFFICE_PYTHON,
            settings.PDF_CONVERSION_TIMEOUT,
            settings.PDF_SECONDS_PER_LETTER,
        )
        with self._lock:
            if self._converter is None or self._config != config:
                if self._converter is not None:
                    self._converter.close()
                soffice, python, timeout, per_letter = config
                self._converter = LibreOfficeConverter(
                    soffice=soffice, python=python, timeout=timeout, seconds_per_letter=per_letter
                )
                self._config = config
            return self._converter

    def close(self) -> None:
        with self._lock:
            if self._converter is not None:
                self._converter.close()


_process_converter = _ProcessConverter()


def converter() -> LibreOfficeConverter:
    return _process_converter.get()


def _require() -> LibreOfficeConverter:
    if not is_available():
        raise PdfConversionError(PDF_UNAVAILABLE_MESSAGE)
    return converter()


def docx_to_pdf(docx: bytes) -> bytes:
    """The PDF of one merged letter. Raises PdfConversionError with a message for the page."""
    return _require().convert(docx)


def preview_response(docx: bytes, docx_filename: str) -> HttpResponse:
    """One letter as a PDF the browser shows (inline), for a "Preview" link: the one conversion a web request
    makes (a warm one is well under the budget in docs/PERFORMANCE.md). Raises PdfConversionError."""
    pdf = docx_to_pdf(docx)
    response = HttpResponse(pdf, content_type=PDF_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(False, pdf_filename(docx_filename)) or "inline"
    response["Content-Length"] = str(len(pdf))
    response["Cache-Control"] = "private, no-store"
    return response


def letters_to_pdfs(letters: Iterable[bytes]) -> Iterator[bytes]:
    """One PDF per letter, in order, converted in batches (the letters are consumed a batch at a time)."""
    return _require().convert_letters(letters, batch_size=LETTERS_PER_BATCH)


def named_letters_to_pdfs(letters: Iterable[tuple[str, bytes]]) -> Iterator[tuple[str, bytes]]:
    """('<Company> - <Name>.docx', letter) -> ('<Company> - <Name>.pdf', PDF), in order, converted in batches.

    The names run at most a batch ahead of the PDFs (itertools.tee keeps what one side has read and the other
    not yet), so the letters are still consumed a batch at a time."""
    converter = _require()
    for_names, for_letters = itertools.tee(letters)
    names = (pdf_filename(name) for name, _letter in for_names)
    pdfs = converter.convert_letters((letter for _name, letter in for_letters), batch_size=LETTERS_PER_BATCH)
    return zip(names, pdfs, strict=True)


def write_combined_pdf(fileobj, letters: Iterable[bytes]) -> int:
    """All letters in one PDF to print, on `fileobj`; returns how many letters it holds."""
    return _require().write_combined_pdf(fileobj, letters, batch_size=LETTERS_PER_COMBINED_BATCH)
