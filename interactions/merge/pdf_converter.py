"""Merged letters (.docx) to PDF with a headless LibreOffice (no Django here).

One LibreOffice per process, started on first use and kept: starting it costs seconds, converting a letter in
a running one a fraction of that (docs/PERFORMANCE.md has the figures, and why this and not `unoserver` or
`soffice --convert-to`). LibreOffice's Python API (UNO) lives in the Debian interpreter, not in the project's
virtualenv, so the converter talks to it through a small script (libreoffice_bridge.py) run by that
interpreter, one JSON line per conversion over a pipe. Each converter has its own LibreOffice user profile in
its own temporary directory, so several workers on one machine never share (or lock) one.

- A conversion that takes longer than its timeout ends the LibreOffice process group and raises
  PdfConversionError; the next conversion starts a fresh LibreOffice. A LibreOffice that died is restarted the
  same way.
- Many letters (convert_letters) are converted a batch at a time: the letters of one template are combined
  into one document (combine.py), each starting with a bookmark, converted once, and the PDF is cut into one
  PDF per letter where the bookmarks' destinations say each letter starts. Loading and laying out one document
  of a hundred letters costs a fraction of loading a hundred documents. A letter of another template (whose
  styles would differ in a combined document) or one with numbered lists (whose numbers would run on from the
  letter before) is converted on its own.
- One PDF of many letters (write_combined_pdf) is converted a batch at a time and the batches' PDFs are joined
  (poppler's pdfunite, else pypdf), so neither LibreOffice nor this process holds more than a batch.
- Both go through convert_chunks, which keeps LibreOffice busy while this process works: a batch is handed over
  and, while LibreOffice converts it, the next letters are read, merged and combined, and the last batch's PDF is
  cut and stored (one batch waiting in the bridge's pipe at most). A caller may pass a chunk it already has the
  PDFs of (a letter job run again after its worker died keeps its converted batches: interactions.letter_pdf).
"""

from __future__ import annotations

import functools
import io
import itertools
import json
import os
import re
import selectors
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree
from pypdf import PdfReader, PdfWriter

from .combine import LetterCombineError, template_key, write_combined_docx

__all__ = [
    "PDF_CONTENT_TYPE",
    "LibreOfficeConverter",
    "PdfConversionError",
    "batched",
    "join_pdfs",
    "libreoffice_available",
    "pdf_filename",
]

PDF_CONTENT_TYPE = "application/pdf"
BRIDGE = Path(__file__).with_name("libreoffice_bridge.py")
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True)
_BOOKMARK_PREFIX = "crmletter"  # letters only: LibreOffice escapes other characters in destination names
_DESTINATION_RE = re.compile(rf"^/?{_BOOKMARK_PREFIX}(\d+)$")
_STYLE_RE = re.compile(rb'<w:pStyle w:val="([^"]+)"')
W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


class PdfConversionError(Exception):
    """A letter could not be converted to PDF; the message says why, in words for the person who asked."""


def pdf_filename(docx_filename: str) -> str:
    """'Contoso - Jane Doe.docx' -> 'Contoso - Jane Doe.pdf'."""
    stem, dot, extension = docx_filename.rpartition(".")
    return f"{stem}.pdf" if dot and extension.lower() == "docx" else f"{docx_filename}.pdf"


def libreoffice_available(soffice: str = "soffice", python: str = "/usr/bin/python3") -> bool:
    """Whether LibreOffice and the Python that drives it (with its `uno` module) are installed here."""
    return _available(soffice, python, os.environ.get("PATH", ""))


@functools.lru_cache(maxsize=8)
def _available(soffice: str, python: str, path: str) -> bool:
    soffice_path, python_path = shutil.which(soffice, path=path), shutil.which(python, path=path)
    if not soffice_path or not python_path:
        return False
    try:
        probe = subprocess.run([python_path, "-c", "import uno"], capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return probe.returncode == 0


def _check_docx(data: bytes, what: str = "The letter") -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            if "word/document.xml" not in package.namelist():
                raise PdfConversionError(f"{what} is not a Word document (.docx): it has no word/document.xml.")
    except zipfile.BadZipFile:
        raise PdfConversionError(f"{what} is not a Word document (.docx): the file is not a valid .docx package.")


def _batch_key(data: bytes) -> bytes | None:
    """Letters with the same key convert alike in one combined document; None: convert this one on its own.

    A letter with a list (numbered directly or through its paragraph style) is converted on its own: in a
    combined document the numbers of a list run on from the letter before (1, 2 … then 3, 4 …).
    """
    key = template_key(data)
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        body = package.read("word/document.xml")
        if b"<w:numPr" in body:
            return None
        styles = set(_STYLE_RE.findall(body))
        if styles and styles & _numbered_styles(key, package):
            return None
    return key


_NUMBERED_STYLES: dict[bytes, frozenset[bytes]] = {}


def _numbered_styles(key: bytes, package: zipfile.ZipFile) -> frozenset[bytes]:
    """The ids of the paragraph styles that number their paragraphs (read once per template: `key`)."""
    if key not in _NUMBERED_STYLES:
        styles: frozenset[bytes] = frozenset()
        if "word/styles.xml" in package.namelist():
            root = etree.fromstring(package.read("word/styles.xml"), _PARSER)
            styles = frozenset(
                style.get(f"{{{W_NS}}}styleId", "").encode()
                for style in root.iter(f"{{{W_NS}}}style")
                if style.find(f"{{{W_NS}}}pPr/{{{W_NS}}}numPr") is not None
            )
        if len(_NUMBERED_STYLES) > 256:
            _NUMBERED_STYLES.clear()
        _NUMBERED_STYLES[key] = styles
    return _NUMBERED_STYLES[key]


class LibreOfficeConverter:
    """One headless LibreOffice, started on first use, reused, restarted when it died or hung.

    Safe to share between threads (conversions take turns); after a fork the child starts its own.
    """

    def __init__(
        self,
        *,
        soffice: str = "soffice",
        python: str = "/usr/bin/python3",
        timeout: float = 60.0,
        seconds_per_letter: float = 1.0,
        startup_timeout: float = 60.0,
    ) -> None:
        self.soffice, self.python = soffice, python
        self.timeout, self.seconds_per_letter, self.startup_timeout = timeout, seconds_per_letter, startup_timeout
        self._lock = threading.RLock()  # convert_chunks converts one letter at a time inside its turn
        self._sent = 0
        self._process: subprocess.Popen | None = None
        self._pid = 0  # the process that started self._process
        self._directory: str | None = None
        self._buffer = b""
        self.starts = 0  # how many times LibreOffice was started (tests and benchmarks read it)

    # --- one document ----------------------------------------------------------------------------------------

    def convert(self, docx: bytes, *, timeout: float | None = None) -> bytes:
        """The PDF of one .docx."""
        _check_docx(docx)
        return self._convert(docx, timeout=timeout or self.timeout)

    def _convert(self, docx: bytes, *, timeout: float, destinations: bool = False) -> bytes:
        with self._lock:
            return self._receive(self._send(docx, timeout=timeout, destinations=destinations))

    def _send(self, docx: bytes, *, timeout: float, destinations: bool = False) -> _Flight:
        """Hand LibreOffice a document to convert and return at once (the caller holds the lock): this process can
        prepare the next one meanwhile. The bridge answers requests in the order they came, one at a time."""
        directory = self._ensure_started()
        self._sent += 1
        flight = _Flight(
            source=os.path.join(directory, f"letter-{self._sent}.docx"),
            target=os.path.join(directory, f"letter-{self._sent}.pdf"),
            deadline=time.monotonic() + timeout,
            timeout=timeout,
        )
        with open(flight.source, "wb") as handle:
            handle.write(docx)
        stdin, _stdout = self._pipes()
        try:
            request = {"source": flight.source, "target": flight.target, "destinations": destinations}
            stdin.write((json.dumps(request) + "\n").encode())
            stdin.flush()
        except (BrokenPipeError, OSError):
            self._stop()
            raise PdfConversionError("LibreOffice stopped unexpectedly; the next conversion starts it again.")
        return flight

    def _receive(self, flight: _Flight) -> bytes:
        """The PDF of a document handed over with _send (waiting for it, within its timeout)."""
        if flight.pdf is not None:
            return flight.pdf
        try:
            answer = self._read_answer(flight.deadline, "convert the letter", timeout=flight.timeout)
            if not answer.get("ok"):
                raise PdfConversionError(f"The letter could not be converted to PDF: {answer.get('error')}.")
            with open(flight.target, "rb") as handle:
                flight.pdf = handle.read()
            return flight.pdf
        finally:
            for path in (flight.source, flight.target):
                if os.path.exists(path):
                    os.unlink(path)

    # --- many letters ----------------------------------------------------------------------------------------

    def convert_letters(self, letters: Iterable[bytes], *, batch_size: int = 100) -> Iterator[bytes]:
        """One PDF per letter, in order, converted a batch at a time (see the module's docstring)."""
        chunks = ((None, chunk) for chunk in batched(letters, batch_size))
        for _key, pdfs in self.convert_chunks(chunks, split=True):
            yield from pdfs or []

    def write_combined_pdf(self, fileobj, letters: Iterable[bytes], *, batch_size: int = 200) -> int:
        """All letters in one PDF on `fileobj`, each starting on a new page; returns the number of letters.

        Built like the combined .docx (combine.py) a batch of letters at a time, so a job's memory stays flat.
        """
        count = 0
        with tempfile.TemporaryDirectory(prefix="crm-pdf-combined-") as directory:
            parts: list[str] = []
            chunks = ((len(chunk), chunk) for chunk in batched(letters, batch_size))
            for size, pdfs in self.convert_chunks(chunks, split=False):
                count += size
                path = os.path.join(directory, f"part-{len(parts):06d}.pdf")
                with open(path, "wb") as handle:
                    handle.write(pdfs[0] if pdfs else b"")
                parts.append(path)
            if not parts:
                raise ValueError("write_combined_pdf needs at least one letter")
            join_pdfs(parts, fileobj)
        return count

    def convert_chunks(
        self, chunks: Iterable[tuple[Any, list[bytes] | None]], *, split: bool
    ) -> Iterator[tuple[Any, list[bytes] | None]]:
        """(key, letters) -> (key, PDFs), in order: each letter's own PDF (`split`), or one PDF of the chunk's
        letters, each starting on a new page. A chunk given as (key, None) is passed through as (key, None) in its
        place (a caller that kept that chunk's PDFs from an earlier run).

        LibreOffice converts one document while this process prepares the next (reads and merges the next letters,
        combines them, cuts the last PDF into letters, and whatever the caller does with a chunk's PDFs): only one
        document is handed over at a time, so LibreOffice and this process each hold at most a batch.
        """
        with self._lock:
            flight: _Flight | None = None
            try:
                for key, letters in chunks:
                    if letters is None:
                        if flight is not None:
                            yield from self._finish(flight, None)
                            flight = None
                        yield key, None
                        continue
                    units = _units(key, letters, split=split)
                    for unit in units:
                        timeout = self._batch_timeout(len(unit.letters)) if unit.combined else self.timeout
                        sent = self._send(unit.docx, timeout=timeout, destinations=unit.combined and split)
                        sent.unit = unit
                        previous, flight = flight, sent
                        if previous is not None:
                            self._receive(previous)
                            # LibreOffice now works on the one just sent (its time starts now), while this process
                            # cuts the last one into letters and the caller stores them.
                            sent.deadline = time.monotonic() + sent.timeout
                            yield from self._finish(previous, sent)
                if flight is not None:
                    yield from self._finish(flight, None)
                    flight = None
            finally:
                if flight is not None and flight.pdf is None:
                    # Left unfinished (the letters failed, the caller stopped reading): its answer must not be taken
                    # for the next conversion's. Wait for it (within its timeout), else stop LibreOffice.
                    try:
                        self._receive(flight)
                    except Exception:
                        self._stop(graceful=False)

    def _finish(self, flight: _Flight, next_flight: _Flight | None) -> Iterator[tuple[Any, list[bytes]]]:
        """A unit's PDFs added to its chunk's; the chunk when this was its last unit."""
        unit = flight.unit
        assert unit is not None
        pdf = self._receive(flight)
        pieces = _split_at_destinations(pdf, len(unit.letters)) if unit.combined and unit.split else [pdf]
        if pieces is None:  # the destinations did not say where every letter starts: one letter at a time
            if next_flight is not None:
                self._receive(next_flight)  # its answer first: the bridge answers in order
            pieces = [self._convert(letter, timeout=self.timeout) for letter in unit.letters]
        unit.chunk.pdfs.extend(pieces)
        if unit.last:
            yield unit.chunk.key, unit.chunk.pdfs

    def _batch_timeout(self, letters: int) -> float:
        return self.timeout + self.seconds_per_letter * letters

    # --- the LibreOffice process -----------------------------------------------------------------------------

    def _ensure_started(self) -> str:
        """Start LibreOffice unless it runs; returns the converter's working directory."""
        if self._process is not None and self._pid != os.getpid():
            self._process, self._directory = None, None  # the parent's: leave it alone
        if self._process is not None and self._directory is not None and self._process.poll() is None:
            return self._directory
        self._stop()
        python, soffice = shutil.which(self.python), shutil.which(self.soffice)
        if not python or not soffice or not libreoffice_available(self.soffice, self.python):
            raise PdfConversionError("PDF conversion is not available on this server (LibreOffice is not installed).")
        directory = self._directory = tempfile.mkdtemp(prefix="crm-pdf-")
        profile = Path(directory, "profile").as_uri()
        self._buffer = b""
        self._process = subprocess.Popen(
            [python, str(BRIDGE), soffice, profile, directory],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: a hung LibreOffice is killed with it (_stop)
        )
        self._pid = os.getpid()
        self.starts += 1
        answer = self._read_answer(time.monotonic() + self.startup_timeout, "start")
        if not answer.get("ok"):
            self._stop()
            raise PdfConversionError(f"LibreOffice did not start: {answer.get('error')}")
        return directory

    def _pipes(self) -> tuple:
        """The running bridge's stdin and stdout."""
        process = self._process
        if process is None or process.stdin is None or process.stdout is None:
            raise PdfConversionError("LibreOffice is not running.")
        return process.stdin, process.stdout

    def _ask(self, request: dict, timeout: float) -> dict:
        stdin, _stdout = self._pipes()
        try:
            stdin.write((json.dumps(request) + "\n").encode())
            stdin.flush()
        except (BrokenPipeError, OSError):
            self._stop()
            raise PdfConversionError("LibreOffice stopped unexpectedly; the next conversion starts it again.")
        return self._read_answer(time.monotonic() + timeout, "convert the letter", timeout=timeout)

    def _read_answer(self, deadline: float, doing: str, *, timeout: float | None = None) -> dict:
        _stdin, stdout = self._pipes()
        with selectors.DefaultSelector() as selector:
            selector.register(stdout, selectors.EVENT_READ)
            while b"\n" not in self._buffer:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not selector.select(remaining):
                    self._stop(graceful=False)  # it is stuck: it would not read a polite request either
                    limit = f" within {timeout:g} s" if timeout else ""
                    raise PdfConversionError(f"LibreOffice did not {doing}{limit}; it was stopped.")
                chunk = os.read(stdout.fileno(), 65536)
                if not chunk:
                    self._stop()
                    raise PdfConversionError(f"LibreOffice stopped while trying to {doing}.")
                self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return json.loads(line)

    def _stop(self, *, graceful: bool = True) -> None:
        process, self._process = self._process, None
        if process is not None and self._pid == os.getpid():
            if graceful and process.poll() is None and process.stdin is not None:
                try:
                    process.stdin.close()  # the bridge shuts LibreOffice down when its input ends …
                    process.wait(timeout=5)
                except (OSError, subprocess.TimeoutExpired):
                    pass
            try:
                os.killpg(process.pid, signal.SIGKILL)  # … and whatever is left of the group goes now
            except (ProcessLookupError, PermissionError):
                pass
            process.wait()
            for stream in (process.stdin, process.stdout):
                if stream is not None and not stream.closed:
                    try:
                        stream.close()
                    except OSError:
                        pass
        if self._directory is not None and self._pid == os.getpid():
            shutil.rmtree(self._directory, ignore_errors=True)
        self._directory = None

    def close(self) -> None:
        """Shut LibreOffice down (the next conversion would start it again)."""
        with self._lock:
            self._stop()

    @property
    def pid(self) -> int | None:
        """The bridge's process id, which is also the id of its process group (LibreOffice's too)."""
        return self._process.pid if self._process is not None else None

    @property
    def running(self) -> bool:
        return self._process is not None and self._pid == os.getpid() and self._process.poll() is None


@dataclass
class _Chunk:
    key: Any
    pdfs: list[bytes] = field(default_factory=list)


@dataclass
class _Unit:
    """One document LibreOffice converts: a letter, or several combined (`combined`), of a chunk."""

    chunk: _Chunk
    letters: list[bytes]
    docx: bytes
    combined: bool
    split: bool
    last: bool = False


@dataclass
class _Flight:
    """A document handed to LibreOffice, and its PDF once received."""

    source: str
    target: str
    deadline: float
    timeout: float
    unit: _Unit | None = None
    pdf: bytes | None = None


def batched(items: Iterable, size: int) -> Iterator[list]:
    """The items in lists of `size`, the last one shorter (itertools.batched from Python 3.12, as lists)."""
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def _units(key: Any, letters: list[bytes], *, split: bool) -> list[_Unit]:
    """The documents LibreOffice converts for a chunk of letters. One PDF of the chunk (not `split`): all of them
    combined. One PDF per letter: the letters of one template combined, with bookmarks to cut the PDF at; a letter
    with a numbered list, one of another template or one combine.py cannot read, converted on its own."""
    chunk = _Chunk(key)
    units: list[_Unit] = []
    if not split:
        units.append(_Unit(chunk, letters, _combine(letters), combined=True, split=False))
    else:
        batch: list[bytes] = []
        batch_key: bytes | None = None
        for letter in letters:
            _check_docx(letter)
            letter_key = _batch_key(letter)
            if batch and (letter_key is None or letter_key != batch_key):
                units.extend(_split_units(chunk, batch))
                batch = []
            batch.append(letter)
            batch_key = letter_key
        units.extend(_split_units(chunk, batch))
    units[-1].last = True
    return units


def _split_units(chunk: _Chunk, batch: list[bytes]) -> list[_Unit]:
    if len(batch) > 1:
        try:
            return [_Unit(chunk, batch, _combine(batch, bookmark_prefix=_BOOKMARK_PREFIX), combined=True, split=True)]
        except PdfConversionError:  # a letter combine.py cannot read: LibreOffice, one at a time, says which
            pass
    return [_Unit(chunk, [letter], letter, combined=False, split=True) for letter in batch]


def _combine(letters: list[bytes], *, bookmark_prefix: str = "") -> bytes:
    """The letters as one .docx (combine.py); PdfConversionError when one of them cannot be read."""
    with tempfile.SpooledTemporaryFile(max_size=16 * 2**20) as combined:
        try:
            write_combined_docx(combined, letters, bookmark_prefix=bookmark_prefix)
        except (LetterCombineError, ValueError) as error:
            raise PdfConversionError(f"The letters could not be put together for printing: {error}.")
        combined.seek(0)
        return combined.read()


def _split_at_destinations(pdf: bytes, letters: int) -> list[bytes] | None:
    """Cut a combined PDF into one PDF per letter at the destinations of the letters' bookmarks (None if they
    are not all there, or not in order)."""
    reader = PdfReader(io.BytesIO(pdf))
    starts: dict[int, int] = {}
    for name, destination in reader.named_destinations.items():
        match = _DESTINATION_RE.match(str(name))
        page = reader.get_destination_page_number(destination) if match else None
        if match and page is not None:
            starts[int(match.group(1))] = page
    if sorted(starts) != list(range(letters)):
        return None
    pages = [starts[index] for index in range(letters)]
    if pages[0] != 0 or any(later <= earlier for earlier, later in itertools.pairwise(pages)):
        return None
    pieces = []
    for index, first in enumerate(pages):
        last = pages[index + 1] if index + 1 < letters else len(reader.pages)
        writer = PdfWriter()
        for number in range(first, last):
            writer.add_page(reader.pages[number])
        out = io.BytesIO()
        writer.write(out)
        pieces.append(out.getvalue())
    return pieces


def join_pdfs(paths: list[str], fileobj) -> None:
    """Join PDF files into `fileobj`: poppler's pdfunite when installed (it does not hold the pages in this
    process), else pypdf."""
    if len(paths) == 1:
        with open(paths[0], "rb") as handle:
            shutil.copyfileobj(handle, fileobj, 1 << 20)
        return
    pdfunite = shutil.which("pdfunite")
    if pdfunite:
        target = os.path.join(os.path.dirname(paths[0]), "combined.pdf")
        result = subprocess.run([pdfunite, *paths, target], capture_output=True, check=False)
        if result.returncode == 0:
            with open(target, "rb") as handle:
                shutil.copyfileobj(handle, fileobj, 1 << 20)
            return
    writer = PdfWriter()
    for path in paths:
        writer.append(path)
    writer.write(fileobj)
