"""Cover sheets: one A4 page per contact with our letterhead, the contact's address block and a free text
(docs/BEHAVIOUR.md §10, "Cover sheets"). Rendering only: the interactions app logs them.

The letterhead, the page and the WeasyPrint path are the sales documents' (crm.document_printing, crm.pdf);
static/css/cover_sheet.css adds the cover sheet's own rules on top of static/css/pdf.css.
"""

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.utils import timezone

from .document_printing import PDF_STYLESHEET, letterhead_context, stylesheet_path
from .models import Contact, Salesperson
from .pdf import render_pdf_batches, render_pdf_counted

__all__ = [
    "COVER_SHEET_TEXT_MAX_LENGTH",
    "TEXT_TOO_LONG_FOR_THE_PAGE",
    "CoverSheetSender",
    "cover_sheet_sender",
    "cover_sheets_html",
    "cover_sheets_pdf",
    "cover_sheets_write",
]

COVER_SHEET_TEMPLATE = "crm/pdf/cover_sheet.html"
COVER_SHEET_STYLESHEET = "css/cover_sheet.css"
# The free text must fit one page below the letterhead and the address block: a plain upper bound here, and the
# rendered page count decides (TEXT_TOO_LONG_FOR_THE_PAGE).
COVER_SHEET_TEXT_MAX_LENGTH = 2000
TEXT_TOO_LONG_FOR_THE_PAGE = (
    "The text does not fit on the cover sheet's one page (below the letterhead and the address): shorten it or "
    "use fewer lines."
)


@dataclass(frozen=True)
class CoverSheetSender:
    """Who the cover sheet is from (the "From" block): the user's salesperson, else the user."""

    name: str
    email: str = ""
    phone: str = ""


def cover_sheet_sender(user) -> CoverSheetSender:
    salesperson = None
    if user is not None and getattr(user, "is_authenticated", False):
        salesperson = Salesperson.objects.filter(user=user).first()
    if salesperson is not None:
        return CoverSheetSender(name=salesperson.name, email=salesperson.email, phone=salesperson.phone)
    if user is not None and getattr(user, "is_authenticated", False):
        return CoverSheetSender(name=user.get_full_name() or user.get_username(), email=user.email or "")
    return CoverSheetSender(name="")


def cover_sheets_html(
    contacts: Sequence[Contact], *, text: str, sender: CoverSheetSender, date: datetime.date | None = None
) -> str:
    """The cover sheets of these contacts (their company loaded) as one HTML document, a page each."""
    context = {
        "contacts": contacts,
        "text": text,
        "sender": sender,
        "date": date or timezone.localdate(),
        **letterhead_context(),
    }
    return render_to_string(COVER_SHEET_TEMPLATE, context)


def _stylesheets() -> list[str]:
    return [stylesheet_path(PDF_STYLESHEET), stylesheet_path(COVER_SHEET_STYLESHEET)]


def _base_url() -> str:
    return Path(stylesheet_path(PDF_STYLESHEET)).parent.as_uri() + "/"


def cover_sheets_pdf(
    contacts: Sequence[Contact], *, text: str, sender: CoverSheetSender, date: datetime.date | None = None
) -> bytes:
    """The cover sheets as one PDF (in the web request: a contact, or a worksheet within
    SEGMENT_COVER_SHEETS_DIRECT_MAX_LINES lines). A text that pushes a sheet onto a second page is refused
    (ValidationError on "text")."""
    html = cover_sheets_html(contacts, text=text, sender=sender, date=date)
    pdf, pages = render_pdf_counted(html, base_url=_base_url(), stylesheets=_stylesheets())
    _check_one_page_each(pages, len(contacts))
    return pdf


def _check_one_page_each(pages: int, sheets: int) -> None:
    if pages != sheets:
        raise ValidationError({"text": TEXT_TOO_LONG_FOR_THE_PAGE}, code="text_too_long")


def cover_sheets_write(
    batches: Iterable[Sequence[Contact]],
    *,
    text: str,
    sender: CoverSheetSender,
    target,
    date: datetime.date | None = None,
    progress=None,
) -> None:
    """The cover sheets of many contacts, given in batches, as one PDF written to `target` (a binary file);
    `progress(n)` after each batch with the number of sheets laid out so far (the background job's path)."""
    date = date or timezone.localdate()
    sizes: list[int] = []

    def htmls():
        for batch in batches:
            sizes.append(len(batch))
            yield cover_sheets_html(batch, text=text, sender=sender, date=date)

    def batch_done(count: int, pages: int) -> None:
        _check_one_page_each(pages, sizes[count - 1])
        if progress is not None:
            progress(sum(sizes[:count]))

    render_pdf_batches(htmls(), base_url=_base_url(), stylesheets=_stylesheets(), target=target, progress=batch_done)
