"""Factories for interaction templates with real attachments (Word letters and HTML e-mail bodies)."""

import io

import docx
from django.core.files.base import ContentFile

from interactions.letters import contact_merge_values, template_attachment
from tests.factories import (
    InteractionLogEntryFactory,
    InteractionTemplateFactory,
    InteractionTemplateLanguageFactory,
    PersonFactory,
    SalespersonFactory,
)


def letter_docx(*paragraphs: str) -> bytes:
    """A small real Word document with one paragraph per argument."""
    document = docx.Document()
    for text in paragraphs or ("{{ contact.salutation }},", "{{ personal_note }}", "{{ salesperson.name }}"):
        document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def docx_text(data: bytes) -> str:
    document = docx.Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    for section in document.sections:
        parts += [p.text for p in section.header.paragraphs] + [p.text for p in section.footer.paragraphs]
    return "\n".join(parts)


LETTER = (
    "{{ contact.address_block }}",
    "{{ contact.salutation }},",
    "thank you for your visit on {{ interaction.date }}.",
    "{{ personal_note }}",
    "Kind regards, {{ salesperson.name }}",
    "Entry {{ interaction.entry_no }}",
)
EMAIL_HTML = "<p>{{ contact.salutation }},</p><p>{{ personal_note }}</p><p>{{ salesperson.name }}</p>"


def word_template(code: str = "LETTER", *, correspondence_type: str = "hard_copy", **kwargs):
    template = InteractionTemplateFactory(
        code=code, correspondence_type=correspondence_type, language_code="en", **kwargs
    )
    template.attachment.save(f"{code.lower()}.docx", ContentFile(letter_docx(*LETTER)), save=True)
    return template


def html_template(code: str = "NEWS", *, correspondence_type: str = "email", **kwargs):
    template = InteractionTemplateFactory(
        code=code, correspondence_type=correspondence_type, language_code="en", **kwargs
    )
    template.attachment.save(f"{code.lower()}.html", ContentFile(EMAIL_HTML.encode()), save=True)
    return template


def german_variant(template, text: str = "Sehr geehrte Damen und Herren, {{ contact.name }}"):
    variant = InteractionTemplateLanguageFactory(template=template, language_code="de", subject="Willkommen")
    variant.attachment.save("brief.docx", ContentFile(letter_docx(text)), save=True)
    return variant


def template_admin_post(group, attachment=None, **extra) -> dict:
    """The admin's interaction template add form, filled in (no language variants), as POST data."""
    data = {
        "code": "WELCOME",
        "group": group.pk,
        "description": "Welcome letter",
        "information_flow": "outbound",
        "initiated_by": "us",
        "unit_cost": "1.50",
        "unit_duration_minutes": "10",
        "correspondence_type": "hard_copy",
        "language_code": "",
        "subject": "Welcome",
        "languages-TOTAL_FORMS": "0",
        "languages-INITIAL_FORMS": "0",
        "languages-MIN_NUM_FORMS": "0",
        "languages-MAX_NUM_FORMS": "1000",
    }
    if attachment is not None:
        data["attachment"] = attachment
    data.update(extra)
    return data


def letter_recipient(**fields):
    """Ada Lovelace of Analytical Ltd, with an e-mail address, her salutation and a salesperson (the reply-to)."""
    defaults = {
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "salutation": "Dear Ms Lovelace",
        "company__name": "Analytical Ltd",
        "salesperson": SalespersonFactory(name="Jane Seller", email="jane@northwind.example"),
    }
    return PersonFactory(**{**defaults, **fields})


def letter_entry(person, template, **fields):
    """A logged entry for `person` with the template's English letter snapshot and its merge values (with a
    personal note), as logging leaves it before the letter is sent or printed."""
    snapshot, _ = template_attachment(template, "en")
    return InteractionLogEntryFactory(
        contact=person,
        template=template,
        merge_template=snapshot,
        salesperson=person.salesperson,
        merge_values=contact_merge_values(person, personal_note="Hope to see you soon"),
        **fields,
    )
