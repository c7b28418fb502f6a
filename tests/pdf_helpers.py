"""Reading the PDFs the app prints, in tests, and the mark of a test that needs WeasyPrint to print them."""

import io

import pytest

from crm.pdf import pdf_unavailable_reason

# WeasyPrint (crm.pdf) with its system libraries: without them the printing tests are skipped, saying why.
needs_pdf = pytest.mark.skipif(pdf_unavailable_reason() is not None, reason=pdf_unavailable_reason() or "")


def pdf_text(pdf: bytes) -> str:
    from pypdf import PdfReader

    # pypdf 7 extracts a no-break space as U+00A0; the assertions are about words, not spacing.
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return text.replace("\xa0", " ")


def pdf_pages(pdf: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)


def assert_no_pdf_preview(client, *, page: str, docx: str, preview: str) -> None:
    """Without LibreOffice: `page` says why there is no PDF and links the letter's .docx, not its PDF `preview`;
    the preview's address leads back to `page` with the reason."""
    from interactions import letter_pdf

    text = client.get(page).content.decode()
    assert letter_pdf.PDF_UNAVAILABLE_MESSAGE in text and preview not in text
    assert f'href="{docx}"' in text
    response = client.get(preview, follow=True)
    assert response.redirect_chain[-1][0] == page
    assert "PDF conversion is not available on this server" in response.content.decode()
