"""Demo data for interactions: groups, templates with real Word letters, setup rows, and log entries.

Called by `manage.py seed_demo` after contacts and salespeople exist. Idempotent: templates are
matched by code, and only the missing number of demo entries is added (set-based, bulk_create in batches).
"""

import datetime
import io
import random
from decimal import Decimal

import docx
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls
from docx.shared import Pt, RGBColor

from crm.models import Contact
from interactions.models import (
    Evaluation,
    InteractionDailyTotal,
    InteractionGroup,
    InteractionLogEntry,
    InteractionTemplate,
    InteractionTemplateLanguage,
    InteractionTemplateSetup,
)

BATCH = 5_000
ACCENT = RGBColor(0x24, 0x56, 0xC6)

GROUPS = {
    "LETTER": "Letters",
    "EMAIL": "E-mails",
    "PHONE": "Phone calls",
    "MEETING": "Meetings",
    "SALES": "Sales documents",
}

_LETTER_TEXT = {
    "en": {
        "subject": "Welcome to {company}",
        "body": (
            "Thank you for your interest in our products. We are delighted to welcome you as a customer and "
            "look forward to working with you.",
            "Your personal contact is {{ salesperson.name }}, who will be glad to answer any questions about our "
            "range, delivery times and prices.",
        ),
        "closing": "Kind regards",
        "reference": "Our reference",
        "date": "Date",
    },
    "de": {
        "subject": "Willkommen bei {company}",
        "body": (
            "Vielen Dank für Ihr Interesse an unseren Produkten. Wir freuen uns, Sie als Kunden begrüßen zu "
            "dürfen, und auf die Zusammenarbeit mit Ihnen.",
            "Ihr persönlicher Ansprechpartner ist {{ salesperson.name }}. Er beantwortet gern alle Fragen zu "
            "unserem Sortiment, zu Lieferzeiten und Preisen.",
        ),
        "closing": "Mit freundlichen Grüßen",
        "reference": "Unser Zeichen",
        "date": "Datum",
    },
}


def build_letter_docx(language: str = "en") -> bytes:
    """A welcome letter on company letterhead, with merge fields everywhere a real letter has them.

    Header: letterhead. Body: address block, date, subject, salutation, text, the personal note (italic),
    closing and the salesperson's signature. Footer: VAT id and the entry number as a Word MERGEFIELD (the
    other fields are typed {{ placeholders }}), so both syntaxes are exercised by the demo.
    """
    text = _LETTER_TEXT[language]
    company = settings.COMPANY_NAME
    document = docx.Document()
    style = document.styles["Normal"]
    style.font.name = "Calibri"
    style.font.size = Pt(11)
    section = document.sections[0]

    header = section.header.paragraphs[0]
    name_run = header.add_run(company)
    name_run.bold = True
    name_run.font.size = Pt(16)
    name_run.font.color.rgb = ACCENT
    header.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    address = section.header.add_paragraph(settings.COMPANY_ADDRESS.replace("\n", " · "))
    address.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    address.runs[0].font.size = Pt(8)

    sender = document.add_paragraph()
    sender_run = sender.add_run(f"{company} · {settings.COMPANY_ADDRESS.splitlines()[0]}")
    sender_run.font.size = Pt(7)
    sender_run.underline = True
    document.add_paragraph("{{ contact.address_block }}")
    document.add_paragraph()
    date = document.add_paragraph(f"{text['date']}: {{{{ interaction.date }}}}")
    date.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    subject = document.add_paragraph()
    subject.add_run(text["subject"].format(company=company)).bold = True
    document.add_paragraph("{{ contact.salutation }},")
    for paragraph in text["body"]:
        document.add_paragraph(paragraph)
    note = document.add_paragraph()
    note.add_run("{{ personal_note }}").italic = True
    document.add_paragraph(text["closing"])
    signature = document.add_paragraph()
    signature.add_run("{{ salesperson.name }}").bold = True
    document.add_paragraph("{{ salesperson.email }} · {{ salesperson.phone }}")

    footer = section.footer.paragraphs[0]
    footer.add_run(f"{company} · VAT {settings.COMPANY_VAT_ID} · {text['reference']}: ").font.size = Pt(8)
    footer._p.append(
        parse_xml(
            f'<w:fldSimple {nsdecls("w")} w:instr=" MERGEFIELD interaction_entry_no \\* MERGEFORMAT ">'
            '<w:r><w:rPr><w:sz w:val="16"/></w:rPr><w:t>«interaction_entry_no»</w:t></w:r></w:fldSimple>'
        )
    )
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def build_email_html() -> str:
    company = settings.COMPANY_NAME
    return (
        '<!doctype html>\n<html><body style="font-family: Arial, sans-serif; color: #1d2330">\n'
        "<p>{{ contact.salutation }},</p>\n"
        f"<p>here is the news from {company} this quarter: new products, shorter delivery times and an "
        "invitation to our open day.</p>\n"
        "<p><em>{{ personal_note }}</em></p>\n"
        "<p>Kind regards,<br>{{ salesperson.name }}<br>{{ salesperson.email }}</p>\n"
        "</body></html>\n"
    )


# code: (group, description, flow, initiated by, cost, minutes, correspondence type, attachment)
TEMPLATES = {
    "WELCOME": ("LETTER", "Welcome letter", "outbound", "us", "1.80", 15, "hard_copy", "welcome.docx"),
    "NEWSLETTER": ("EMAIL", "Quarterly newsletter", "outbound", "us", "0.05", 2, "email", "newsletter.html"),
    "EMAIL": ("EMAIL", "E-mail", "outbound", "us", "0.10", 5, "", ""),
    "CALL-OUT": ("PHONE", "Outgoing phone call", "outbound", "us", "1.00", 10, "", ""),
    "CALL-IN": ("PHONE", "Incoming phone call", "inbound", "them", "1.00", 10, "", ""),
    "MEETING": ("MEETING", "Meeting at the customer", "outbound", "us", "75.00", 90, "", ""),
    "S-QUOTE": ("SALES", "Sales quote", "outbound", "us", "0.00", 0, "hard_copy", ""),
    "S-BLANKET": ("SALES", "Sales blanket order", "outbound", "us", "0.00", 0, "hard_copy", ""),
    "S-ORDER": ("SALES", "Sales order confirmation", "outbound", "us", "0.00", 0, "hard_copy", ""),
    "S-INVOICE": ("SALES", "Sales invoice", "outbound", "us", "0.00", 0, "hard_copy", ""),
    "S-CREDIT": ("SALES", "Sales credit memo", "outbound", "us", "0.00", 0, "hard_copy", ""),
    "COVER": ("LETTER", "Cover sheet", "outbound", "us", "0.00", 0, "hard_copy", ""),
}
SETUP = {
    InteractionTemplateSetup.Event.SALES_QUOTE: "S-QUOTE",
    InteractionTemplateSetup.Event.SALES_BLANKET_ORDER: "S-BLANKET",
    InteractionTemplateSetup.Event.SALES_ORDER_CONFIRMATION: "S-ORDER",
    InteractionTemplateSetup.Event.SALES_INVOICE: "S-INVOICE",
    InteractionTemplateSetup.Event.SALES_CREDIT_MEMO: "S-CREDIT",
    InteractionTemplateSetup.Event.EMAIL: "EMAIL",
    InteractionTemplateSetup.Event.PHONE_CALL: "CALL-OUT",
    InteractionTemplateSetup.Event.COVER_SHEET: "COVER",
}
# How often each template appears among the generated entries.
ENTRY_WEIGHTS = {
    "WELCOME": 10,
    "NEWSLETTER": 25,
    "EMAIL": 20,
    "CALL-OUT": 20,
    "CALL-IN": 12,
    "MEETING": 8,
    "S-QUOTE": 3,
    "S-INVOICE": 2,
}


def _templates(stdout) -> dict[str, InteractionTemplate]:
    groups = {
        code: InteractionGroup.objects.update_or_create(code=code, defaults={"description": text})[0]
        for code, text in GROUPS.items()
    }
    templates = {}
    for code, (group, description, flow, initiated, cost, minutes, ctype, attachment) in TEMPLATES.items():
        template, created = InteractionTemplate.objects.get_or_create(
            code=code,
            defaults={
                "group": groups[group],
                "description": description,
                "information_flow": flow,
                "initiated_by": initiated,
                "unit_cost": Decimal(cost),
                "unit_duration_minutes": minutes,
                "correspondence_type": ctype,
                "language_code": "en",
                "subject": description,
            },
        )
        if created and attachment:
            data = build_letter_docx("en") if attachment.endswith(".docx") else build_email_html().encode()
            template.attachment.save(attachment, ContentFile(data), save=True)
        templates[code] = template
    welcome = templates["WELCOME"]
    variant, created = InteractionTemplateLanguage.objects.get_or_create(
        template=welcome,
        language_code="de",
        defaults={"description": "Willkommensbrief", "subject": "Willkommen"},
    )
    if created or not variant.attachment:
        variant.attachment.save("willkommen.docx", ContentFile(build_letter_docx("de")), save=True)
    for event, code in SETUP.items():
        InteractionTemplateSetup.objects.update_or_create(event=event, defaults={"template": templates[code]})
    stdout.write(f"  {len(groups)} interaction groups, {len(templates)} templates, {len(SETUP)} setup rows")
    return templates


def _contact_sample(rng: random.Random, count: int, low: int, high: int) -> list[tuple]:
    ids = {rng.randint(low, high) for _ in range(count)}
    return list(Contact.objects.filter(pk__in=ids).values_list("pk", "type", "company_id", "salesperson_id", "name"))


def seed(stdout, *, entries: int) -> None:
    """Groups, templates (Word letters, a German variant, an HTML e-mail), setup rows, and `entries` entries."""
    templates = _templates(stdout)
    demo_ids = [templates[code].pk for code in ENTRY_WEIGHTS]
    existing = InteractionLogEntry.objects.filter(template_id__in=demo_ids, segment_no="").count()
    missing = entries - existing
    bounds = Contact.objects.order_by().values_list("pk", flat=True)
    low, high = bounds.order_by("pk").first(), bounds.order_by("-pk").first()
    if missing <= 0 or low is None:
        stdout.write(f"  {existing} demo interaction log entries present")
        return
    rng = random.Random(20250101 + existing)
    codes = list(ENTRY_WEIGHTS)
    weights = [ENTRY_WEIGHTS[code] for code in codes]
    evaluations = [value for value in Evaluation.values if value]
    today = timezone.localdate()
    now = timezone.now()
    created = 0
    while created < missing:
        size = min(BATCH, missing - created)
        contacts = _contact_sample(rng, size, low, high) or list(
            Contact.objects.order_by("pk").values_list("pk", "type", "company_id", "salesperson_id", "name")[:size]
        )
        rows = []
        for index in range(size):
            pk, kind, company_id, salesperson_id, _name = contacts[index % len(contacts)]
            template = templates[rng.choices(codes, weights)[0]]
            canceled = rng.random() < 0.03
            rows.append(
                InteractionLogEntry(
                    contact_id=pk,
                    contact_company_id=company_id if kind == Contact.Type.PERSON and company_id else pk,
                    date=today - datetime.timedelta(days=rng.randint(0, 730)),
                    time=datetime.time(rng.randint(8, 17), rng.choice((0, 15, 30, 45))),
                    template_id=template.pk,
                    group_id=template.group_id,
                    language_code="en",
                    description=template.description,
                    subject=template.subject,
                    information_flow=template.information_flow,
                    initiated_by=template.initiated_by,
                    attempt_failed=template.code.startswith("CALL") and rng.random() < 0.15,
                    cost=template.unit_cost,
                    duration_minutes=template.unit_duration_minutes,
                    correspondence_type=template.correspondence_type,
                    evaluation=rng.choice(evaluations) if rng.random() < 0.3 else "",
                    salesperson_id=salesperson_id,
                    canceled=canceled,
                    canceled_at=now if canceled else None,
                )
            )
        with transaction.atomic():
            InteractionLogEntry.objects.bulk_create(rows, batch_size=BATCH)
            # bulk_create skips InteractionLogEntry.save: the statistics' daily totals count the batch here.
            InteractionDailyTotal.objects.add_entries(
                InteractionLogEntry.objects.filter(pk__in=[row.pk for row in rows], canceled=False)
            )
        created += size
    stdout.write(f"  {created} interaction log entries added ({existing + created} demo entries in all)")
