"""Reading the PDFs the app prints, in tests."""

import io


def pdf_text(pdf: bytes) -> str:
    from pypdf import PdfReader

    # pypdf 7 extracts a no-break space as U+00A0; the assertions are about words, not spacing.
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return text.replace("\xa0", " ")


def pdf_pages(pdf: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)
