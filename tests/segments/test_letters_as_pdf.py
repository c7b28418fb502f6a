"""A worksheet's and a logged segment's letters as PDF: a zip of per-contact PDFs named like the .docx zip, and one
PDF to print, always made by a background job; a line's letter previewed as a PDF in the browser; and, where
LibreOffice is missing, pages that say so and still offer the .docx.

The tests that convert need LibreOffice (scripts/test.sh installs it as root) and are skipped where it is missing.
"""

import html
import io
import zipfile

import pytest
from pypdf import PdfReader

from interactions import letter_pdf
from segments.letter_download_job import letter_download_job_run
from segments.models import LetterDownloadJob
from segments.services import logged_segment_letters_prepare, segment_log
from tests.interactions.factories import docx_text, letter_docx
from tests.interactions.test_letter_pdf import needs_libreoffice, pdf_pages, pdf_text, with_broken_content_types
from tests.pdf_helpers import assert_no_pdf_preview
from tests.segments.factories import acme_letter_worksheet

pytestmark = pytest.mark.django_db

Job = LetterDownloadJob
NAMES = ["Acme - Ada Lovelace", "Acme - Grace Hopper", "Acme"]


@pytest.fixture
def worksheet(marketer):
    """Three lines with a Word letter: Acme and two of its people (a small worksheet: .docx downloads direct)."""
    return acme_letter_worksheet(
        marketer, letter_docx("{{ contact.salutation }},", "Our spring offer for {{ contact.name }}.")
    )


def prepare(client, owner_url: str, kind: str, callbacks):
    with callbacks(execute=True):  # the in-process task backend runs the job once the request commits
        return client.post(f"{owner_url}letters/prepare/", {"kind": kind})


def job_file(client, url: str) -> bytes:
    response = client.get(url)
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def download_url(job) -> str:
    return f"/segments/{job.segment_id}/letters/jobs/{job.pk}/download/"


def page_one(pdf: bytes) -> str:
    return PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


def docx_zip(client, segment) -> zipfile.ZipFile:
    response = client.get(f"/segments/{segment.pk}/letters.zip")
    assert response.status_code == 200
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


# --- a worksheet ------------------------------------------------------------------------------------------------


@needs_libreoffice
def test_a_worksheets_letters_as_pdf_are_a_zip_of_one_pdf_per_contact_named_like_the_docx_zip(
    marketer_client, worksheet, django_capture_on_commit_callbacks
):
    response = prepare(marketer_client, f"/segments/{worksheet.pk}/", "pdfzip", django_capture_on_commit_callbacks)

    assert response.status_code == 302 and response["Location"] == f"/segments/{worksheet.pk}/#letter-jobs"
    job = Job.objects.get()
    assert (job.kind, job.status, job.done, job.total) == ("pdfzip", Job.Status.DONE, 3, 3)
    assert job.filename == f"Segment {worksheet.no} (PDF).zip"
    archive = zipfile.ZipFile(
        io.BytesIO(job_file(marketer_client, f"/segments/{worksheet.pk}/letters/jobs/{job.pk}/download/"))
    )
    assert sorted(archive.namelist()) == sorted(f"{name}.pdf" for name in NAMES)
    assert sorted(docx_zip(marketer_client, worksheet).namelist()) == sorted(f"{name}.docx" for name in NAMES)
    for name, salutation in zip(NAMES, ("Dear Ada", "Dear Grace", "Dear Sirs"), strict=True):
        text = pdf_text(archive.read(f"{name}.pdf"))
        assert f"{salutation}," in text and f"Our spring offer for {name.split(' - ')[-1]}." in text
        assert not any(other in text for other in ("Dear Ada", "Dear Grace", "Dear Sirs") if other != salutation)


@needs_libreoffice
def test_a_pdf_from_the_zip_reads_and_paginates_like_its_docx_converted_on_its_own(
    marketer_client, worksheet, django_capture_on_commit_callbacks
):
    prepare(marketer_client, f"/segments/{worksheet.pk}/", "pdfzip", django_capture_on_commit_callbacks)
    job = Job.objects.get()
    pdfs = zipfile.ZipFile(
        io.BytesIO(job_file(marketer_client, f"/segments/{worksheet.pk}/letters/jobs/{job.pk}/download/"))
    )

    alone = letter_pdf.docx_to_pdf(docx_zip(marketer_client, worksheet).read("Acme - Grace Hopper.docx"))

    from_job = pdfs.read("Acme - Grace Hopper.pdf")
    assert pdf_pages(from_job) == pdf_pages(alone)
    assert (
        PdfReader(io.BytesIO(from_job)).pages[0].extract_text() == PdfReader(io.BytesIO(alone)).pages[0].extract_text()
    )


@needs_libreoffice
def test_a_worksheets_letters_to_print_are_one_pdf_each_letter_on_a_page_of_its_own(
    viewer_client, worksheet, django_capture_on_commit_callbacks
):
    prepare(viewer_client, f"/segments/{worksheet.pk}/", "pdf", django_capture_on_commit_callbacks)

    job = Job.objects.get()
    assert (job.kind, job.status, job.filename) == ("pdf", Job.Status.DONE, f"Segment {worksheet.no}.pdf")
    response = viewer_client.get(f"/segments/{worksheet.pk}/letters/jobs/{job.pk}/download/")
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(b"".join(response.streaming_content)))
    assert len(reader.pages) == 3
    texts = [page.extract_text() for page in reader.pages]
    assert sorted(text.splitlines()[0] for text in texts) == ["Dear Ada,", "Dear Grace,", "Dear Sirs,"]


# A letter LibreOffice cannot open: the zip of PDFs hands it to LibreOffice, which says so; the one PDF to print
# combines the letters first, and combining says so.
CANNOT_OPEN = {
    "pdfzip": "The letter could not be converted to PDF: LibreOffice could not open the letter as a Word document. ",
    "pdf": "The letters could not be put together for printing: letter 1 cannot be combined (",
}


@needs_libreoffice
@pytest.mark.parametrize("kind", ["pdfzip", "pdf"])
def test_a_letter_libreoffice_cannot_open_fails_the_pdf_job_with_a_clear_message_and_the_docx_still_downloads(
    kind, marketer, marketer_client, django_capture_on_commit_callbacks
):
    segment = acme_letter_worksheet(marketer, with_broken_content_types(letter_docx("{{ contact.salutation }},")))

    prepare(marketer_client, f"/segments/{segment.pk}/", kind, django_capture_on_commit_callbacks)

    job = Job.objects.get()
    assert job.status == Job.Status.FAILED and job.document_id is None
    assert job.error.startswith(CANNOT_OPEN[kind]) and job.error.endswith(
        " The letters can still be downloaded as .docx."
    )
    page = marketer_client.get(f"/segments/{segment.pk}/").content.decode()
    assert html.escape(CANNOT_OPEN[kind].strip()) in page and "badge error" in page
    assert "The letters can still be downloaded as .docx." in page
    letter = docx_zip(marketer_client, segment).read("Acme - Ada Lovelace.docx")
    assert "Dear Ada," in zipfile.ZipFile(io.BytesIO(letter)).read("word/document.xml").decode()  # merged as ever


@needs_libreoffice
@pytest.mark.parametrize("kind", ["pdfzip", "pdf"])
def test_a_letter_that_takes_longer_than_the_timeout_fails_the_job_with_a_clear_message(
    kind, marketer, marketer_client, settings, django_capture_on_commit_callbacks
):
    settings.PDF_CONVERSION_TIMEOUT, settings.PDF_SECONDS_PER_LETTER = 1, 0
    huge = letter_docx(
        "{{ contact.salutation }},", *(f"Paragraph {n} of the terms and conditions. " * 30 for n in range(3000))
    )
    segment = acme_letter_worksheet(marketer, huge)

    prepare(marketer_client, f"/segments/{segment.pk}/", kind, django_capture_on_commit_callbacks)

    job = Job.objects.get()
    assert job.status == Job.Status.FAILED and job.document_id is None
    message = (
        "LibreOffice did not convert the letter within 1 s; it was stopped. "
        "The letters can still be downloaded as .docx."
    )
    assert job.error == message
    page = marketer_client.get(f"/segments/{segment.pk}/").content.decode()
    assert message in page and "badge error" in page
    assert "Dear Grace," in docx_text(docx_zip(marketer_client, segment).read("Acme - Grace Hopper.docx"))


# --- a logged segment -------------------------------------------------------------------------------------------


@needs_libreoffice
def test_a_logged_segments_letters_to_print_as_pdf_hold_each_contacts_stored_letter(
    marketer, worksheet, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        logged = segment_log(worksheet, user=marketer)
    zip_job = logged_segment_letters_prepare(logged, kind="pdfzip", user=marketer)
    print_job = logged_segment_letters_prepare(logged, kind="pdf", user=marketer)

    zip_job, print_job = letter_download_job_run(zip_job.pk), letter_download_job_run(print_job.pk)

    assert zip_job.status == print_job.status == Job.Status.DONE
    archive = zipfile.ZipFile(zip_job.document.file.open("rb"))
    assert sorted(archive.namelist()) == sorted(f"{name}.pdf" for name in NAMES)
    assert "Dear Grace," in pdf_text(archive.read("Acme - Grace Hopper.pdf"))
    combined = PdfReader(print_job.document.file.open("rb"))
    assert len(combined.pages) == 3
    assert {page.extract_text().splitlines()[0] for page in combined.pages} == {
        "Dear Ada,",
        "Dear Grace,",
        "Dear Sirs,",
    }


# --- the line's preview -----------------------------------------------------------------------------------------


@needs_libreoffice
def test_a_lines_letter_previews_as_a_pdf_shown_in_the_browser(viewer_client, worksheet):
    line = worksheet.lines.get(contact__name="Ada Lovelace")
    page = viewer_client.get(f"/segments/{worksheet.pk}/lines/{line.pk}/").content.decode()
    assert f'href="/segments/{worksheet.pk}/lines/{line.pk}/letter.pdf"' in page

    response = viewer_client.get(f"/segments/{worksheet.pk}/lines/{line.pk}/letter.pdf")

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'inline; filename="Acme - Ada Lovelace.pdf"'
    assert "Dear Ada," in pdf_text(response.content)
    assert not Job.objects.exists()


def test_a_lines_preview_is_refused_to_someone_who_may_not_see_the_segment(client, stranger, worksheet):
    client.force_login(stranger)
    line = worksheet.lines.first()
    assert client.get(f"/segments/{worksheet.pk}/lines/{line.pk}/letter.pdf").status_code == 403


# --- without LibreOffice ----------------------------------------------------------------------------------------


def test_without_libreoffice_the_worksheet_says_pdf_is_not_available_and_offers_the_docx(
    no_libreoffice, marketer_client, worksheet
):
    page = marketer_client.get(f"/segments/{worksheet.pk}/").content.decode()

    assert letter_pdf.PDF_UNAVAILABLE_MESSAGE in page
    assert "Prepare letters as PDF (.zip)" not in page and "Prepare letters to print (one PDF)" not in page
    assert (
        f'href="/segments/{worksheet.pk}/letters.zip"' in page
        and f'href="/segments/{worksheet.pk}/letters.docx"' in page
    )


@pytest.mark.parametrize("kind", ["pdfzip", "pdf"])
def test_without_libreoffice_asking_for_letters_as_pdf_is_refused_with_the_reason_and_queues_nothing(
    no_libreoffice, marketer_client, worksheet, kind
):
    response = marketer_client.post(f"/segments/{worksheet.pk}/letters/prepare/", {"kind": kind}, follow=True)

    assert letter_pdf.PDF_UNAVAILABLE_MESSAGE in response.content.decode()
    assert not Job.objects.exists()


def test_without_libreoffice_a_lines_page_offers_the_docx_and_the_preview_says_why_not(
    no_libreoffice, viewer_client, worksheet
):
    line = worksheet.lines.get(contact__name="Ada Lovelace")
    page = f"/segments/{worksheet.pk}/lines/{line.pk}/"
    assert_no_pdf_preview(viewer_client, page=page, docx=f"{page}letter.docx", preview=f"{page}letter.pdf")


def test_without_libreoffice_a_logged_segment_offers_its_letters_as_docx_only(
    no_libreoffice, marketer, viewer_client, worksheet, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        logged = segment_log(worksheet, user=marketer)

    page = viewer_client.get(f"/segments/logged/{logged.pk}/").content.decode()

    assert letter_pdf.PDF_UNAVAILABLE_MESSAGE in page and "Prepare letters as PDF (.zip)" not in page
    assert f'href="/segments/logged/{logged.pk}/letters.docx"' in page
