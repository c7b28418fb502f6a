"""Letters as PDF: this process's one LibreOffice converter, configured from the settings.

The conversion itself is interactions.merge.pdf_converter (bytes in, bytes out, no Django). Each process (a web
worker for the one-letter preview, a background worker for a segment's letters) gets one LibreOffice, started on
its first conversion and kept for the next; docs/DEPLOY.md says which machines need LibreOffice installed. Where
it is not, `is_available()` is false and the pages offer the .docx instead.
"""

from __future__ import annotations

import atexit
import hashlib
import io
import json
import os
import tempfile
import threading
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import HttpResponse
from django.utils.http import content_disposition_header

from .merge.pdf_converter import (
    PDF_CONTENT_TYPE,
    LibreOfficeConverter,
    PdfConversionError,
    batched,
    join_pdfs,
    libreoffice_available,
    pdf_filename,
)

__all__ = [
    "PDF_CONTENT_TYPE",
    "PDF_UNAVAILABLE_MESSAGE",
    "KeptParts",
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


def named_letters_to_pdfs(
    letters: Iterable[tuple[str, bytes]],
    *,
    parts: KeptParts | None = None,
    progress: Callable[[int], None] | None = None,
) -> Iterator[tuple[str, bytes]]:
    """('<Company> - <Name>.docx', letter) -> ('<Company> - <Name>.pdf', PDF), in order, converted a batch of
    LETTERS_PER_BATCH letters at a time (the letters are consumed a batch at a time).

    `parts`: each batch's PDFs are kept there once converted, and a batch kept by an earlier run of the job with
    the same letters is taken from there instead of converted again. `progress(letters)`: how many letters' PDFs
    are converted (or kept from before), after each batch.
    """
    converter = _require()

    def chunks():
        for index, chunk in enumerate(batched(letters, LETTERS_PER_BATCH)):
            name = _part_name(index, chunk, "zip")
            kept = parts.get(name) if parts is not None else None
            key = (name, [pdf_filename(letter_name) for letter_name, _letter in chunk], kept)
            yield key, None if kept is not None else [letter for _name, letter in chunk]

    done = 0
    for (name, names, kept), pdfs in converter.convert_chunks(chunks(), split=True):
        if pdfs is None:
            named = _read_zip_part(kept)
        else:
            named = list(zip(names, pdfs, strict=True))
            if parts is not None:
                parts.put(name, _zip_part(named))
        yield from named
        done += len(named)
        if progress is not None:
            progress(done)


def write_combined_pdf(
    fileobj,
    letters: Iterable[bytes],
    *,
    parts: KeptParts | None = None,
    progress: Callable[[int], None] | None = None,
) -> int:
    """All letters in one PDF to print, on `fileobj`; returns how many letters it holds.

    Converted LETTERS_PER_COMBINED_BATCH letters at a time, each batch one PDF, joined at the end. `parts` and
    `progress` as for named_letters_to_pdfs (a batch's PDF is kept)."""
    converter = _require()
    count = 0

    def chunks():
        for index, chunk in enumerate(batched(letters, LETTERS_PER_COMBINED_BATCH)):
            name = _part_name(index, chunk, "pdf")
            kept = parts.get(name) if parts is not None else None
            yield (name, len(chunk), kept), None if kept is not None else chunk

    with tempfile.TemporaryDirectory(prefix="crm-pdf-combined-") as directory:
        paths: list[str] = []
        for (name, size, kept), pdfs in converter.convert_chunks(chunks(), split=False):
            pdf = kept if pdfs is None else pdfs[0]
            if pdfs is not None and parts is not None:
                parts.put(name, pdf)
            path = os.path.join(directory, f"part-{len(paths):06d}.pdf")
            with open(path, "wb") as handle:
                handle.write(pdf)
            paths.append(path)
            count += size
            if progress is not None:
                progress(count)
        if not paths:
            raise ValueError("write_combined_pdf needs at least one letter")
        join_pdfs(paths, fileobj)
    return count


class KeptParts:
    """The PDFs a letters job has converted so far, kept as files in the storage under `directory`, so that the
    job run again after its worker died (or failed) converts only the letters that are left.

    A part is one batch of letters, named by its place and a digest of the letters it holds: a batch is reused only
    when the run again brings exactly the same letters (the same names, the same merged bytes) to that place. A
    worksheet edited in between changes the digests of the batches it touches, and those are converted anew.
    `earlier`: the directories of earlier runs whose parts may be reused (a job asked for again after one that
    stopped)."""

    def __init__(self, directory: str, *, earlier: Sequence[str] = ()):
        self.directory = directory.rstrip("/")
        self.earlier = [path.rstrip("/") for path in earlier]

    def get(self, name: str) -> bytes | None:
        for directory in (self.directory, *self.earlier):
            path = f"{directory}/{name}"
            if default_storage.exists(path):
                with default_storage.open(path, "rb") as handle:
                    return handle.read()
        return None

    def put(self, name: str, data: bytes) -> None:
        path = f"{self.directory}/{name}"
        if default_storage.exists(path):
            default_storage.delete(path)
        default_storage.save(path, ContentFile(data))

    @staticmethod
    def delete(directory: str) -> None:
        """Delete a directory's parts (the job is done, or gone)."""
        directory = directory.rstrip("/")
        try:
            _subdirectories, files = default_storage.listdir(directory)
        except FileNotFoundError:
            return
        for name in files:
            default_storage.delete(f"{directory}/{name}")
        path = getattr(default_storage, "path", None)
        if path is not None:  # a file system storage leaves the empty directory behind
            try:
                os.rmdir(path(directory))
            except (OSError, NotImplementedError):
                pass


def _part_name(index: int, chunk: Sequence[tuple[str, bytes] | bytes], extension: str) -> str:
    """'000003-<digest>.zip': the batch's place and the SHA-256 of its letters (and their names)."""
    digest = hashlib.sha256()
    for item in chunk:
        name, letter = item if isinstance(item, tuple) else ("", item)
        for piece in (name.encode(), letter):
            digest.update(len(piece).to_bytes(8, "big"))
            digest.update(piece)
    return f"{index:06d}-{digest.hexdigest()}.{extension}"


def _zip_part(named: list[tuple[str, bytes]]) -> bytes:
    """A batch's named PDFs as one file: the PDFs in order and their names (which may repeat)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as part:
        part.writestr("names.json", json.dumps([name for name, _pdf in named]))
        for number, (_name, pdf) in enumerate(named):
            part.writestr(f"{number:06d}.pdf", pdf)
    return out.getvalue()


def _read_zip_part(data: bytes | None) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data or b"")) as part:
        names = json.loads(part.read("names.json"))
        return [(name, part.read(f"{number:06d}.pdf")) for number, name in enumerate(names)]
