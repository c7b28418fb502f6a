"""Builders for the segment-logging tests: Word letters, templates with letters, segments with lines."""

import io

import docx
from django.core.files.base import ContentFile

from interactions.letters import entry_document_bytes
from tests.factories import (
    InteractionTemplateFactory,
    InteractionTemplateLanguageFactory,
    PersonFactory,
    SalespersonFactory,
    SegmentFactory,
    SegmentLineFactory,
)


def docx_bytes(*paragraphs: str) -> bytes:
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def docx_text(data: bytes) -> str:
    return "\n".join(p.text for p in docx.Document(io.BytesIO(data)).paragraphs)


LETTER = docx_bytes(
    "{{ contact.salutation }},", "{{ personal_note }}", "Segment {{ segment.no }}", "Entry {{ interaction.entry_no }}"
)


def template_with_letter(letter: bytes = LETTER, **fields):
    template = InteractionTemplateFactory(**fields)
    template.attachment.save("letter.docx", ContentFile(letter), save=True)
    return template


def add_variant(template, language_code: str, letter: bytes | None = None, **fields):
    variant = InteractionTemplateLanguageFactory(template=template, language_code=language_code, **fields)
    if letter is not None:
        variant.attachment.save(f"letter-{language_code}.docx", ContentFile(letter), save=True)
    return variant


def segment_with_lines(count: int = 2, **segment_fields):
    segment_fields.setdefault("salesperson", SalespersonFactory())
    segment = SegmentFactory(**segment_fields)
    lines = [SegmentLineFactory(segment=segment, contact=PersonFactory()) for _ in range(count)]
    return segment, lines


def emailed_segment(emails: int = 2, *, template=None, **segment_fields):
    """A segment whose template e-mails its Word letter (unless `template` is given), with `emails` lines of
    persons p0@example.com, p1@example.com, …"""
    template = template or template_with_letter(correspondence_type="email")
    segment = SegmentFactory(template=template, **segment_fields)
    for i in range(emails):
        SegmentLineFactory(segment=segment, contact=PersonFactory(email=f"p{i}@example.com"))
    return segment


def letter_text(entry) -> str:
    data, _filename, _content_type = entry_document_bytes(entry)
    return docx_text(data)
