"""Merged letters to PDF with LibreOffice (interactions.letter_pdf over interactions.merge.pdf_converter).

The tests that convert need LibreOffice (Debian's libreoffice-writer-nogui and python3-uno, which scripts/test.sh
installs when it runs as root) and are skipped with the reason where it is missing.
"""

import http.server
import io
import os
import re
import signal
import subprocess
import sys
import threading
import time
import zipfile

import docx
import pytest
from pypdf import PdfReader

from demo.interactions import build_letter_docx
from interactions import letter_pdf
from interactions.letters import contact_merge_values
from interactions.merge import compile_docx
from interactions.merge.pdf_converter import LibreOfficeConverter, PdfConversionError, libreoffice_available
from tests.factories import PersonFactory, SalespersonFactory
from tests.interactions.factories import letter_docx

needs_libreoffice = pytest.mark.skipif(
    not libreoffice_available(), reason="LibreOffice (soffice and python3-uno) is not installed on this machine"
)


def pdf_text(pdf: bytes) -> str:
    # pypdf 7 extracts a no-break space as U+00A0; the assertions are about words, not spacing.
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).replace("\xa0", " ")


def page_one(pdf: bytes) -> str:
    return PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


def pdf_pages(pdf: bytes) -> int:
    return len(PdfReader(io.BytesIO(pdf)).pages)


def welcome_letters(contacts, *, note: str = "See you at the trade fair.") -> list[bytes]:
    """The demo welcome letter (letterhead, merged header and footer) merged for each contact."""
    compiled = compile_docx(build_letter_docx())
    return [
        compiled.render(contact_merge_values(contact, entry_no=1000 + index, personal_note=note))
        for index, contact in enumerate(contacts)
    ]


def numbered_list_letter(name: str) -> bytes:
    document = docx.Document()
    document.add_paragraph(f"Dear {name},")
    document.add_paragraph("the first point", style="List Number")
    document.add_paragraph("the second point", style="List Number")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def corrupt_docx() -> bytes:
    """A zip that claims to be a Word document, with a document part that is not XML."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("[Content_Types].xml", "<Types/>")
        package.writestr("word/document.xml", "<w:document><w:body><w:p>unfinished")
    return buffer.getvalue()


def with_broken_content_types(docx: bytes) -> bytes:
    """A letter the merge engine takes (it never reads [Content_Types].xml) but LibreOffice cannot open."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(docx)) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            target.writestr(item, b"<broken" if item.filename == "[Content_Types].xml" else source.read(item))
    return out.getvalue()


def letter_with_linked_picture(url: str) -> bytes:
    """A letter whose picture is not in the file but linked to `url` (Word's "Insert and link")."""
    document = docx.Document()
    document.add_paragraph("A letter with a linked picture")
    document.add_picture(io.BytesIO(_ONE_PIXEL_PNG))
    buffer = io.BytesIO()
    document.save(buffer)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "word/_rels/document.xml.rels":
                data = re.sub(rb'Target="media/image1\.png"', f'Target="{url}" TargetMode="External"'.encode(), data)
            elif item.filename == "word/document.xml":
                data = data.replace(b"r:embed=", b"r:link=")
            target.writestr(item, data)
    return out.getvalue()


_ONE_PIXEL_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c49444154789c63f8cfc0000003"
    "010100c9fe92ef0000000049454e44ae426082"
)


def group_is_gone(process_group: int) -> bool:
    for _ in range(50):
        try:
            os.killpg(process_group, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


# --- is LibreOffice here? -------------------------------------------------------------------------------------


def test_pdf_conversion_is_not_available_when_soffice_is_missing(settings):
    settings.LIBREOFFICE_SOFFICE = "soffice-that-is-not-installed"
    assert letter_pdf.is_available() is False


def test_pdf_conversion_is_not_available_when_nothing_is_on_the_path(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert libreoffice_available("soffice", "python3") is False


def test_pdf_conversion_is_not_available_when_the_python_has_no_uno_module(settings):
    settings.LIBREOFFICE_PYTHON = sys.executable  # the project's virtualenv: no LibreOffice bridge in it
    assert letter_pdf.is_available() is False


def test_converting_where_libreoffice_is_missing_says_so_instead_of_failing_obscurely(settings):
    settings.LIBREOFFICE_SOFFICE = "soffice-that-is-not-installed"
    with pytest.raises(PdfConversionError, match="PDF conversion is not available on this server"):
        letter_pdf.docx_to_pdf(letter_docx("Hello"))


@needs_libreoffice
def test_pdf_conversion_is_available_where_libreoffice_and_its_python_bridge_are_installed():
    assert letter_pdf.is_available() is True


# --- one letter -----------------------------------------------------------------------------------------------


@needs_libreoffice
@pytest.mark.django_db
def test_a_merged_letter_converts_to_a_pdf_holding_the_contacts_data():
    contact = PersonFactory(
        name="Ada Lovelace",
        address="12 Analytical Row",
        city="Marylebone",
        post_code="NW1 5LR",
        salutation="Dear Ms Lovelace",
        salesperson=SalespersonFactory(name="Charles Babbage"),
    )
    pdf = letter_pdf.docx_to_pdf(welcome_letters([contact])[0])

    assert pdf.startswith(b"%PDF-")
    text = pdf_text(pdf)
    for expected in ("Ada Lovelace", "12 Analytical Row", "NW1 5LR", "Dear Ms Lovelace", "Charles Babbage"):
        assert expected in text
    assert "Our reference: 1000" in text  # the merged footer
    assert "{{" not in text


@needs_libreoffice
def test_something_that_is_not_a_docx_is_refused_with_a_clear_message():
    with pytest.raises(PdfConversionError, match=r"not a Word document \(\.docx\)"):
        letter_pdf.docx_to_pdf(b"%PDF-1.4 not a letter at all")


@needs_libreoffice
def test_a_corrupt_docx_fails_with_a_clear_message_and_the_next_letter_still_converts():
    started = time.monotonic()
    with pytest.raises(PdfConversionError, match="could not be converted to PDF"):
        letter_pdf.docx_to_pdf(corrupt_docx())
    assert time.monotonic() - started < 30  # an answer, not a hang

    assert "Still fine" in pdf_text(letter_pdf.docx_to_pdf(letter_docx("Still fine")))


@needs_libreoffice
def test_libreoffice_does_not_fetch_what_a_letter_links_to():
    requested = []

    class Recorder(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            requested.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/internal/secret.png"
        pdf = letter_pdf.docx_to_pdf(letter_with_linked_picture(url))
    finally:
        server.shutdown()
        server.server_close()

    assert "A letter with a linked picture" in pdf_text(pdf)
    assert requested == []


@needs_libreoffice
def test_a_conversion_over_its_timeout_stops_libreoffice_and_the_next_one_starts_a_fresh_one():
    converter = LibreOfficeConverter(timeout=60)
    try:
        converter.convert(letter_docx("Warm up"))
        hung_group = converter.pid
        long_letter = letter_docx(*(f"Paragraph {n} of a very long letter. " * 20 for n in range(3000)))

        with pytest.raises(PdfConversionError, match=r"did not convert the letter within 0\.2 s; it was stopped"):
            converter.convert(long_letter, timeout=0.2)
        assert not converter.running
        assert group_is_gone(hung_group)  # LibreOffice went with its bridge

        assert "After the timeout" in pdf_text(converter.convert(letter_docx("After the timeout")))
        assert converter.starts == 2
    finally:
        converter.close()


@needs_libreoffice
def test_one_libreoffice_serves_the_conversions_of_a_process_and_is_started_again_when_it_died():
    converter = LibreOfficeConverter()
    try:
        for n in range(3):
            converter.convert(letter_docx(f"Letter {n}"))
        assert converter.starts == 1 and converter.running
        dead_group = converter.pid
        os.killpg(dead_group, signal.SIGKILL)

        assert "After" in pdf_text(converter.convert(letter_docx("After")))
        assert converter.starts == 2
        assert converter.pid != dead_group and group_is_gone(dead_group)
    finally:
        converter.close()
    assert not converter.running


@needs_libreoffice
def test_a_worker_killed_mid_life_leaves_no_libreoffice_and_no_working_directory_behind(tmp_path):
    """The bridge notices its worker is gone (its input closes), shuts LibreOffice down and removes the files."""
    letter = tmp_path / "letter.docx"
    letter.write_bytes(letter_docx("Before the worker died"))
    worker = (
        "import os, sys\n"
        "from interactions.merge.pdf_converter import LibreOfficeConverter\n"
        "converter = LibreOfficeConverter()\n"
        f"converter.convert(open({str(letter)!r}, 'rb').read())\n"
        "print(converter.pid, converter._directory, flush=True)\n"
        "os.kill(os.getpid(), 9)\n"
    )
    project = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    result = subprocess.run(
        [sys.executable, "-c", worker], cwd=project, capture_output=True, text=True, timeout=120, check=False
    )
    bridge, directory = result.stdout.split()

    assert group_is_gone(int(bridge))
    for _ in range(50):
        if not os.path.exists(directory):
            break
        time.sleep(0.1)
    assert not os.path.exists(directory)


# --- many letters ---------------------------------------------------------------------------------------------


@needs_libreoffice
@pytest.mark.django_db
def test_each_letter_of_a_batch_gets_its_own_pdf_with_its_own_contacts_data():
    contacts = [PersonFactory(name=f"Contact Number {n}", city=f"Town {n}") for n in range(5)]

    pdfs = list(letter_pdf.letters_to_pdfs(welcome_letters(contacts)))

    assert len(pdfs) == 5
    for index, (contact, pdf) in enumerate(zip(contacts, pdfs, strict=True)):
        text = pdf_text(pdf)
        assert contact.name in text and contact.city in text
        assert f"Our reference: {1000 + index}" in text
        others = [other.name for other in contacts if other != contact]
        assert not any(name in text for name in others)
        assert pdf_pages(pdf) == 1


@needs_libreoffice
@pytest.mark.django_db
def test_a_letter_from_a_batch_reads_and_paginates_like_the_letter_converted_alone():
    long_note = " ".join(["We look forward to seeing you at the trade fair in spring."] * 60)
    contacts = [PersonFactory(name=f"Reader {n}") for n in range(3)]
    letters = welcome_letters(contacts, note=long_note)

    batched = list(letter_pdf.letters_to_pdfs(letters))

    for letter, pdf in zip(letters, batched, strict=True):
        alone = letter_pdf.docx_to_pdf(letter)
        assert pdf_pages(pdf) == pdf_pages(alone) == 2
        assert page_one(pdf) == page_one(alone)
        assert pdf_text(pdf) == pdf_text(alone)


@needs_libreoffice
def test_numbered_lists_start_at_one_in_every_letter_of_a_batch():
    pdfs = list(letter_pdf.letters_to_pdfs([numbered_list_letter("Ann"), numbered_list_letter("Bob")]))

    for name, pdf in zip(("Ann", "Bob"), pdfs, strict=True):
        text = pdf_text(pdf)
        assert f"Dear {name}" in text
        assert "1. the first point" in text and "2. the second point" in text


@needs_libreoffice
@pytest.mark.django_db
def test_letters_of_different_templates_in_one_batch_each_keep_their_own_text():
    contact = PersonFactory(name="Mixed Batch")
    welcome = welcome_letters([contact])[0]
    plain = letter_docx("A plain note for Mixed Batch")

    pdfs = list(letter_pdf.letters_to_pdfs([welcome, plain, welcome]))

    assert len(pdfs) == 3
    assert "Welcome to" in pdf_text(pdfs[0]) and "Welcome to" in pdf_text(pdfs[2])
    assert pdf_text(pdfs[1]).strip() == "A plain note for Mixed Batch"


@needs_libreoffice
def test_a_corrupt_letter_in_a_batch_fails_the_batch_with_a_clear_message():
    with pytest.raises(PdfConversionError, match="not a Word document"):
        list(letter_pdf.letters_to_pdfs([letter_docx("Fine"), b"garbage"]))


@needs_libreoffice
@pytest.mark.django_db
def test_the_combined_pdf_holds_every_letter_from_a_new_page_across_batches(monkeypatch):
    monkeypatch.setattr(letter_pdf, "LETTERS_PER_COMBINED_BATCH", 2)  # three batches for five letters
    contacts = [PersonFactory(name=f"Printed Contact {n}") for n in range(5)]
    out = io.BytesIO()

    count = letter_pdf.write_combined_pdf(out, welcome_letters(contacts))

    assert count == 5
    reader = PdfReader(io.BytesIO(out.getvalue()))
    assert len(reader.pages) == 5
    for index, (contact, page) in enumerate(zip(contacts, reader.pages, strict=True)):
        text = page.extract_text()
        assert contact.name in text and f"Our reference: {1000 + index}" in text
