"""Printing and e-mailing sales documents: the PDF, the counters, and the interaction it logs (SPEC 3.7)."""

import io
import logging
import re
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from crm import services
from crm.document_printing import document_html
from crm.models import SalesDocument
from crm.pdf import PdfUnavailableError
from interactions.models import DOCUMENT_TYPE_FOR_KIND, InteractionLogEntry, StoredDocument
from tests.factories import (
    CompanyFactory,
    InteractionTemplateFactory,
    InteractionTemplateLanguageFactory,
    InteractionTemplateSetupFactory,
    PersonFactory,
    SalesDocumentFactory,
    SalesDocumentLineFactory,
    SalespersonFactory,
)
from tests.pdf_helpers import needs_pdf, pdf_text

pytestmark = [pytest.mark.django_db, needs_pdf]

KINDS = list(SalesDocument.Kind.values)
VERSIONED = [SalesDocument.Kind.QUOTE, SalesDocument.Kind.BLANKET_ORDER, SalesDocument.Kind.ORDER]
UNVERSIONED = [SalesDocument.Kind.INVOICE, SalesDocument.Kind.CREDIT_MEMO]


def document_with_lines(kind=SalesDocument.Kind.INVOICE, lines=3, **kwargs) -> SalesDocument:
    document = SalesDocumentFactory(kind=kind, **kwargs)
    for index in range(lines):
        SalesDocumentLineFactory(document=document, description=f"Line item {index + 1}")
    return document


def set_up_logging(kind, **template_fields):
    template = InteractionTemplateFactory(**template_fields)
    InteractionTemplateSetupFactory(event=DOCUMENT_TYPE_FOR_KIND[kind], template=template)
    return template


@pytest.mark.parametrize("kind", KINDS)
def test_printing_each_kind_with_setup_logs_one_entry_with_the_pdf(kind, salesperson_user):
    salesperson = SalespersonFactory()
    template = set_up_logging(kind, description="", unit_cost=Decimal("1.25"), unit_duration_minutes=3)
    document = document_with_lines(kind, salesperson=salesperson)

    pdf = services.document_print(document, user=salesperson_user)

    entry = InteractionLogEntry.objects.get()
    assert pdf.startswith(b"%PDF")
    assert entry.document_type == DOCUMENT_TYPE_FOR_KIND[kind]
    assert entry.document_no == document.no
    assert entry.version_no == (1 if kind in VERSIONED else 0)
    assert entry.contact == document.contact and entry.contact_company == document.contact
    assert entry.template == template and entry.group == template.group
    assert entry.cost == Decimal("1.25") and entry.duration_minutes == 3
    assert entry.information_flow == "outbound" and entry.initiated_by == "us"
    assert entry.correspondence_type == "hard_copy"
    assert entry.salesperson == salesperson and entry.user == salesperson_user
    assert entry.description == f"{document.get_kind_display()} {document.no}"
    assert entry.document.read() == pdf, "the stored PDF is byte for byte the printed one"


@pytest.mark.parametrize("kind", KINDS)
def test_printing_each_kind_without_setup_logs_nothing_and_raises_nothing(kind, salesperson_user):
    document = document_with_lines(kind)

    pdf = services.document_print(document, user=salesperson_user)

    document.refresh_from_db()
    assert pdf.startswith(b"%PDF")
    assert InteractionLogEntry.objects.count() == 0
    assert document.no_printed == 1


def test_a_setup_row_without_a_template_logs_nothing(salesperson_user):
    InteractionTemplateSetupFactory(event="sales_invoice", template=None)
    services.document_print(document_with_lines(), user=salesperson_user)
    assert InteractionLogEntry.objects.count() == 0


def test_a_preview_records_nothing(salesperson_user):
    set_up_logging(SalesDocument.Kind.QUOTE)
    document = document_with_lines(SalesDocument.Kind.QUOTE)

    pdf = services.document_print(document, user=salesperson_user, preview=True)

    document.refresh_from_db()
    assert pdf.startswith(b"%PDF")
    assert "Version 1" in pdf_text(pdf).replace("\n", " "), "the preview shows the version the next print gets"
    assert (document.no_printed, document.printed_versions) == (0, 0)
    assert InteractionLogEntry.objects.count() == 0 and StoredDocument.objects.count() == 0


@pytest.mark.parametrize("kind", VERSIONED)
def test_every_real_print_of_a_quote_blanket_order_or_order_is_a_new_version(kind, salesperson_user):
    set_up_logging(kind)
    document = document_with_lines(kind)

    pdfs = [services.document_print(document, user=salesperson_user) for _ in range(3)]

    document.refresh_from_db()
    assert (document.printed_versions, document.no_printed) == (3, 3)
    assert list(InteractionLogEntry.objects.order_by("id").values_list("version_no", flat=True)) == [1, 2, 3]
    assert "Version 3" in pdf_text(pdfs[2]).replace("\n", " ")


@pytest.mark.parametrize("kind", UNVERSIONED)
def test_invoices_and_credit_memos_are_counted_but_get_no_version_number(kind, salesperson_user):
    set_up_logging(kind)
    document = document_with_lines(kind)

    services.document_print(document, user=salesperson_user)
    services.document_print(document, user=salesperson_user)

    document.refresh_from_db()
    assert (document.printed_versions, document.no_printed) == (0, 2)
    assert list(InteractionLogEntry.objects.values_list("version_no", flat=True)) == [0, 0]


def test_a_template_with_language_variants_refuses_the_print_and_records_nothing(salesperson_user):
    template = set_up_logging(SalesDocument.Kind.QUOTE, code="QUOTES")
    InteractionTemplateLanguageFactory(template=template, language_code="de")
    document = document_with_lines(SalesDocument.Kind.QUOTE)

    with pytest.raises(ValidationError) as refused:
        services.document_print(document, user=salesperson_user)

    assert refused.value.messages == [
        "Interaction Template QUOTES has assigned Interaction Template Language de. It is not allowed to have "
        "languages assigned to templates used for system document logging."
    ]
    document.refresh_from_db()
    assert (document.no_printed, document.printed_versions) == (0, 0)
    assert InteractionLogEntry.objects.count() == 0 and StoredDocument.objects.count() == 0


def test_a_template_with_an_attachment_refuses_the_print(salesperson_user):
    template = set_up_logging(SalesDocument.Kind.INVOICE, code="INV")
    template.attachment.name = "templates/letter.docx"
    template.save()
    document = document_with_lines()

    with pytest.raises(ValidationError, match="Interaction Template INV has an attachment"):
        services.document_print(document, user=salesperson_user)
    document.refresh_from_db()
    assert document.no_printed == 0 and InteractionLogEntry.objects.count() == 0


def test_a_person_is_logged_with_its_company_and_its_own_salesperson_as_fallback(salesperson_user):
    salesperson = SalespersonFactory()
    person = PersonFactory(salesperson=salesperson)
    set_up_logging(SalesDocument.Kind.ORDER, description="Order confirmation sent")
    document = document_with_lines(SalesDocument.Kind.ORDER, contact=person, salesperson=None)

    services.document_print(document, user=salesperson_user)

    entry = InteractionLogEntry.objects.get()
    assert entry.contact == person and entry.contact_company == person.company
    assert entry.salesperson == salesperson
    assert entry.description == "Order confirmation sent"


def test_a_privacy_blocked_contact_is_refused_when_the_print_would_be_logged(salesperson_user):
    set_up_logging(SalesDocument.Kind.INVOICE)
    blocked = CompanyFactory(name="Quiet Ltd", privacy_blocked=True)
    document = document_with_lines(contact=blocked)

    with pytest.raises(ValidationError, match="marked as blocked due to privacy"):
        services.document_print(document, user=salesperson_user)
    document.refresh_from_db()
    assert document.no_printed == 0


def test_emailing_sends_the_pdf_and_logs_a_separate_email_entry(salesperson_user, django_capture_on_commit_callbacks):
    set_up_logging(SalesDocument.Kind.INVOICE)
    contact = CompanyFactory(email="accounts@customer.example")
    document = document_with_lines(contact=contact)
    printed = services.document_print(document, user=salesperson_user)

    with django_capture_on_commit_callbacks(execute=True):
        services.document_email(document, user=salesperson_user)

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["accounts@customer.example"]
    assert message.subject == f"Invoice {document.no}"
    ((filename, content, mimetype),) = message.attachments
    assert filename == f"{document.no}.pdf" and mimetype == "application/pdf" and content.startswith(b"%PDF")
    printed_entry, sent_entry = InteractionLogEntry.objects.order_by("id")
    assert printed_entry.correspondence_type == "hard_copy"
    assert sent_entry.correspondence_type == "email"
    assert sent_entry.document.read() == content, "the logged PDF is the one the customer got"
    assert printed_entry.document.read() == printed


def test_the_email_is_not_sent_before_the_transaction_commits(salesperson_user, django_capture_on_commit_callbacks):
    document = document_with_lines(contact=CompanyFactory(email="a@b.example"))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.document_email(document, user=salesperson_user)
    assert len(mail.outbox) == 0 and len(callbacks) == 1


def test_emailing_a_contact_without_an_address_is_refused_and_records_nothing(salesperson_user):
    set_up_logging(SalesDocument.Kind.INVOICE)
    document = document_with_lines(contact=CompanyFactory(name="No Mail GmbH", email=""))

    with pytest.raises(ValidationError, match="has no e-mail address"):
        services.document_email(document, user=salesperson_user)
    document.refresh_from_db()
    assert document.no_printed == 0 and InteractionLogEntry.objects.count() == 0 and len(mail.outbox) == 0


def test_a_refused_email_log_sends_nothing(salesperson_user, django_capture_on_commit_callbacks):
    template = set_up_logging(SalesDocument.Kind.QUOTE)
    InteractionTemplateLanguageFactory(template=template)
    document = document_with_lines(SalesDocument.Kind.QUOTE, contact=CompanyFactory(email="x@y.example"))

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError):
        services.document_email(document, user=salesperson_user)
    assert len(mail.outbox) == 0 and InteractionLogEntry.objects.count() == 0


def test_the_pdf_text_contains_the_header_lines_and_totals(salesperson_user, settings):
    settings.COMPANY_NAME = "Northwind Traders Ltd"
    salesperson = SalespersonFactory(name="Jane Doe")
    company = CompanyFactory(
        name="Hanseatic Shipping GmbH", address="Am Sandtorkai 12", post_code="20457", city="Hamburg"
    )
    document = SalesDocumentFactory(
        kind=SalesDocument.Kind.INVOICE,
        contact=company,
        salesperson=salesperson,
        your_reference="PO 4711",
        vat_percent=Decimal("20"),
    )
    SalesDocumentLineFactory(
        document=document, description="Industrial shelving unit", quantity=Decimal("4"), unit_price=Decimal("289.00")
    )
    SalesDocumentLineFactory(
        document=document,
        description="Installation on site, per hour",
        quantity=Decimal("6"),
        unit_price=Decimal("85.00"),
    )

    text = pdf_text(services.document_print(document, user=salesperson_user))

    for expected in [
        "Northwind Traders Ltd",
        "Hanseatic Shipping GmbH",
        "20457 Hamburg",
        f"Invoice {document.no}",
        "PO 4711",
        "Jane Doe",
        "Industrial shelving unit",
        "Installation on site, per hour",
        "1,156.00",
        "510.00",
        "Subtotal",
        "1,666.00",
        "VAT 20 %",
        "333.20",
        "Total GBP",
        "1,999.20",
        "Page 1 of 1",
    ]:
        assert expected in text, expected


def test_contact_data_is_escaped_and_prints_as_text(salesperson_user):
    document = document_with_lines(contact=CompanyFactory(name="<script>alert(1)</script> & Sons"))

    html = document_html(SalesDocument.objects.get(pk=document.pk), version_no=0)
    text = pdf_text(services.document_print(document, user=salesperson_user))

    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Sons" in html
    assert "<script>alert(1)</script> & Sons" in text


def test_a_long_document_breaks_across_pages_with_the_table_header_and_page_numbers(salesperson_user):
    document = document_with_lines(lines=70)

    pdf = services.document_print(document, user=salesperson_user)

    from pypdf import PdfReader

    pages = [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]
    assert len(pages) >= 2
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in page
        assert "Description" in page and "Unit price" in page, "the table header repeats on every page"
    assert "Line item 70" in pages[-1] and "Total GBP" in pages[-1]


def test_printing_where_weasyprint_is_missing_is_a_clear_error_and_counts_nothing(salesperson_user, monkeypatch):
    document = document_with_lines()
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # what a server without Pango looks like to the import

    with pytest.raises(PdfUnavailableError, match="PDF printing is not available on this server: "):
        services.document_print(document, user=salesperson_user)
    document.refresh_from_db()
    assert document.no_printed == 0


def test_without_harfbuzz_subset_the_fonts_are_still_cut_and_the_log_keeps_only_weasyprints_warning(
    salesperson_user, monkeypatch, caplog
):
    # docs/DEPLOY.md: a server without libharfbuzz-subset0 cuts the fonts with fontTools, which logs every step.
    from weasyprint.pdf import fonts

    document = document_with_lines()
    monkeypatch.setattr(fonts, "harfbuzz_subset", None)
    caplog.set_level(logging.INFO)

    pdf = services.document_print(document, user=salesperson_user)

    assert "Line item 3" in pdf_text(pdf)
    assert not [record for record in caplog.records if record.name.startswith("fontTools")]
    assert any("HarfBuzz-Subset" in record.getMessage() for record in caplog.records if record.name == "weasyprint")


def test_the_lean_user_agent_stylesheet_prints_the_same_bytes_as_weasyprints_own(monkeypatch):
    # crm/pdf.py leaves WeasyPrint's universal ::marker, ::footnote-* and ::note-* rules out of its user-agent
    # stylesheet (docs/PERFORMANCE.md, "Print one invoice PDF"): the printed PDF must not change by a byte, on one
    # page and across pages. A WeasyPrint whose stylesheet no longer has those rules in the expected form falls back
    # to its own stylesheet, which the first assertion notices.
    import weasyprint

    from crm import pdf
    from crm.document_printing import stylesheet_path

    lean = pdf._html_type(weasyprint)
    assert lean is not weasyprint.HTML
    stylesheet = stylesheet_path()
    base_url = Path(stylesheet).parent.as_uri() + "/"
    for lines in (6, 70):
        html = document_html(SalesDocument.objects.get(pk=document_with_lines(lines=lines).pk), version_no=2)
        monkeypatch.setattr(pdf, "_html_class", lean)
        printed = pdf.render_pdf(html, base_url=base_url, stylesheets=[stylesheet])
        monkeypatch.setattr(pdf, "_html_class", weasyprint.HTML)
        reference = pdf.render_pdf(html, base_url=base_url, stylesheets=[stylesheet])
        assert f"Line item {lines}" in pdf_text(printed)
        assert printed == reference


def test_the_document_html_has_no_whitespace_between_tags_and_the_words_keep_their_spaces(salesperson_user):
    # templates/crm/pdf/sales_document.html is spaceless (docs/PERFORMANCE.md, "Print one invoice PDF").
    document = document_with_lines(lines=2, your_reference="Order 7 of May")

    html = document_html(SalesDocument.objects.get(pk=document.pk), version_no=0)
    text = pdf_text(services.document_print(document, user=salesperson_user))

    assert html.startswith("<!doctype html><html") and not re.search(r">\s+<", html)
    assert f"Invoice {document.no}" in text and "Order 7 of May" in text and "Line item 2" in text


def test_the_printed_documents_use_no_footnotes_notes_or_list_markers_the_lean_stylesheet_leaves_out():
    # What makes leaving those user-agent rules out safe (crm/pdf.py): no footnote or note in our PDF stylesheets,
    # and no list item other than <li> (which keeps its ::marker rule).
    from crm.cover_sheets import COVER_SHEET_STYLESHEET
    from crm.document_printing import PDF_STYLESHEET, stylesheet_path

    for name in (PDF_STYLESHEET, COVER_SHEET_STYLESHEET):
        css = Path(stylesheet_path(name)).read_text(encoding="utf-8")
        assert not re.search(r"float\s*:\s*(footnote|note)|::(footnote|note)|@(footnote|note)|list-item", css), name


# --- the simple form's services ---------------------------------------------------------------------------------


def test_document_create_numbers_the_document_from_its_series_and_numbers_the_lines(salesperson_user):
    salesperson = SalespersonFactory()
    contact = CompanyFactory(salesperson=salesperson)

    quote = services.document_create(
        kind="quote",
        contact=contact,
        user=salesperson_user,
        date="2026-03-01",
        lines=[
            {"description": "Shelving", "quantity": Decimal("2"), "unit_price": Decimal("10.50")},
            {"description": "  ", "quantity": None, "unit_price": None},
            {"description": "Delivery", "quantity": None, "unit_price": Decimal("40")},
        ],
    )

    assert quote.no.startswith("SQ-") and quote.salesperson == salesperson
    lines = list(quote.lines.values_list("line_no", "description", "quantity", "unit_price"))
    assert lines == [
        (10000, "Shelving", Decimal("2"), Decimal("10.50")),
        (20000, "Delivery", Decimal("1"), Decimal("40")),
    ]
    totals = quote.totals()
    assert (totals.subtotal, totals.vat_amount, totals.total) == (Decimal("61.00"), Decimal("12.20"), Decimal("73.20"))


def test_document_create_without_lines_is_refused_and_creates_nothing(salesperson_user):
    with pytest.raises(ValidationError, match="Add at least one line"):
        services.document_create(
            kind="invoice",
            contact=CompanyFactory(),
            user=salesperson_user,
            date="2026-03-01",
            lines=[{"description": ""}],
        )
    assert SalesDocument.objects.count() == 0


def test_document_update_replaces_the_lines_but_never_the_type(salesperson_user):
    document = document_with_lines(lines=3)

    services.document_update(
        document,
        user=salesperson_user,
        your_reference="PO 9",
        lines=[{"description": "Only line", "quantity": 1, "unit_price": 5}],
    )
    with pytest.raises(ValidationError, match="type of a document cannot be changed"):
        services.document_update(document, user=salesperson_user, kind="quote")

    document.refresh_from_db()
    assert document.kind == "invoice" and document.your_reference == "PO 9"
    assert list(document.lines.values_list("description", flat=True)) == ["Only line"]
