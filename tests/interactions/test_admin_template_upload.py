"""Bad template files uploaded through the admin (issue 9): each is refused with a clear message, and neither a new
template nor a change to an existing one (its fields, its stored letter, the files in storage) is saved.

The merge engine's own tests (test_merge_engine.py) cover these files at the engine level and test_validators.py
the validator; here the whole upload path, add and change, is checked for "nothing changed".
"""

import html
import io
import os
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from interactions.models import InteractionTemplate, InteractionTemplateLanguage
from tests.factories import InteractionGroupFactory
from tests.interactions import docx_builders as b
from tests.interactions.factories import docx_text, letter_docx, template_admin_post

pytestmark = pytest.mark.django_db

ADD_URL = "/admin/interactions/interactiontemplate/add/"
GOOD_LETTER = letter_docx("{{ contact.salutation }},", "{{ personal_note }}")
NOT_DOCX = "The file is not a Word .docx document."
DAMAGED = "The .docx file is damaged or too large when unpacked."
MALFORMED = "write merge fields as {{ field.name }} with both braces, on one line."


def _corrupt_document_xml(data: bytes) -> bytes:
    """The same zip with the compressed bytes of word/document.xml overwritten: the central directory still
    looks right, but the part no longer inflates (or fails its CRC check)."""
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo("word/document.xml")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    damaged = bytearray(data)
    damaged[start : start + info.compress_size] = b"A" * info.compress_size
    return bytes(damaged)


def _zip_bomb() -> bytes:
    """A "docx" of 20 KB that unpacks to 20 MB of zeros (1000:1)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        archive.writestr("word/document.xml", b"<w:document/>")
        with archive.open("word/media/image1.png", "w") as member:
            for _ in range(20):
                member.write(bytes(1 << 20))
    return buffer.getvalue()


def _unknown_merge_field() -> bytes:
    document = b.new_document()
    b.add_fld_simple(document.add_paragraph(), "Shoe_Size")  # a Word MERGEFIELD, not a {{ }} placeholder
    return b.to_bytes(document)


BAD_FILES = {
    "truncated docx": ("letter.docx", lambda: GOOD_LETTER[: len(GOOD_LETTER) // 2], NOT_DOCX),
    "docx missing its last bytes": ("letter.docx", lambda: GOOD_LETTER[:-40], NOT_DOCX),
    "corrupt zip renamed .docx": ("letter.docx", lambda: _corrupt_document_xml(GOOD_LETTER), DAMAGED),
    "image renamed .docx": ("letter.docx", lambda: b"\x89PNG\r\n\x1a\n" + bytes(200), NOT_DOCX),
    "empty .docx": ("letter.docx", lambda: b"", "The submitted file is empty."),
    "old Word .doc": ("letter.doc", lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "(not a .doc file)"),
    "no extension": ("letter", lambda: GOOD_LETTER, "Upload a Word .docx letter or an .html e-mail body."),
    "zip bomb": ("letter.docx", _zip_bomb, DAMAGED),
    "unclosed placeholder": ("letter.docx", lambda: letter_docx("Dear {{ contact.name"), MALFORMED),
    "empty placeholder": ("letter.docx", lambda: letter_docx("Dear {{ }},"), MALFORMED),
    "placeholder over two lines": ("letter.docx", lambda: letter_docx("{{ contact.name\n}}"), MALFORMED),
    "unknown Word merge field": ("letter.docx", _unknown_merge_field, "unknown merge fields: Shoe_Size"),
    "markup as a field name": (
        "letter.docx",
        lambda: letter_docx("{{ <b>name</b> }}"),
        "The template uses unknown merge fields: <b>name</b>.",
    ),
    "html body that is not UTF-8": ("mail.html", lambda: "<p>caf\u00e9</p>".encode("latin-1"), "must be UTF-8"),
}


def _stored_files(settings) -> list[str]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []


def _snapshot(template: InteractionTemplate) -> dict:
    template.refresh_from_db()
    with template.attachment.open("rb") as handle:
        data = handle.read()
    fields = {f.attname: getattr(template, f.attname) for f in InteractionTemplate._meta.concrete_fields}
    return {"fields": fields, "letter": data, "languages": InteractionTemplateLanguage.objects.count()}


def _page_text(response) -> str:
    return html.unescape(response.content.decode())


def _welcome_template(client, group) -> InteractionTemplate:
    """The WELCOME template with a good Word letter, added through the admin."""
    client.post(ADD_URL, template_admin_post(group, SimpleUploadedFile("welcome.docx", GOOD_LETTER)))
    return InteractionTemplate.objects.get(code="WELCOME")


def _change(client, template: InteractionTemplate, data: dict):
    return client.post(f"/admin/interactions/interactiontemplate/{template.pk}/change/", data)


@pytest.mark.parametrize("name, build, message", BAD_FILES.values(), ids=BAD_FILES.keys())
def test_a_bad_file_is_refused_on_add_and_nothing_is_saved(staff_marketer, settings, name, build, message):
    group = InteractionGroupFactory()

    response = staff_marketer.post(ADD_URL, template_admin_post(group, SimpleUploadedFile(name, build())))

    assert response.status_code == 200
    assert message in _page_text(response)
    assert InteractionTemplate.objects.count() == 0
    assert _stored_files(settings) == []


@pytest.mark.parametrize("name, build, message", BAD_FILES.values(), ids=BAD_FILES.keys())
def test_a_bad_file_replacing_a_good_letter_changes_nothing(staff_marketer, settings, name, build, message):
    group = InteractionGroupFactory()
    template = _welcome_template(staff_marketer, group)
    before, files_before = _snapshot(template), _stored_files(settings)

    upload = SimpleUploadedFile(name, build())
    response = _change(
        staff_marketer, template, template_admin_post(group, upload, description="Changed", unit_cost="9.99")
    )

    assert response.status_code == 200
    assert message in _page_text(response)
    assert _snapshot(template) == before
    assert _stored_files(settings) == files_before
    assert "{{ personal_note }}" in docx_text(before["letter"])


def test_a_bad_language_variant_file_adds_no_variant_to_an_existing_template(staff_marketer, settings):
    group = InteractionGroupFactory()
    template = _welcome_template(staff_marketer, group)
    before, files_before = _snapshot(template), _stored_files(settings)

    variant = {
        "languages-TOTAL_FORMS": "1",
        "languages-0-language_code": "de",
        "languages-0-description": "Deutsch",
        "languages-0-attachment": SimpleUploadedFile("brief.docx", _zip_bomb()),
    }
    response = _change(staff_marketer, template, template_admin_post(group, **variant))

    assert response.status_code == 200 and DAMAGED in _page_text(response)
    assert _snapshot(template) == before
    assert _stored_files(settings) == files_before


def _with_a_photo(data: bytes, size: int) -> bytes:
    """A real letter plus an incompressible picture of `size` bytes, so the file itself is that much bigger."""
    buffer = io.BytesIO(data)
    with zipfile.ZipFile(buffer, "a", zipfile.ZIP_STORED) as archive:
        archive.writestr("word/media/photo.jpeg", os.urandom(size))
    return buffer.getvalue()


def test_a_template_over_the_size_limit_is_refused_and_nothing_is_saved(staff_marketer, settings):
    settings.MAX_TEMPLATE_BYTES = 64 * 1024
    group = InteractionGroupFactory()
    big = _with_a_photo(GOOD_LETTER, 80 * 1024)

    response = staff_marketer.post(ADD_URL, template_admin_post(group, SimpleUploadedFile("big.docx", big)))

    assert response.status_code == 200
    assert "The file is too large (the limit is 0.1 MB)." in _page_text(response)
    assert InteractionTemplate.objects.count() == 0 and _stored_files(settings) == []

    settings.MAX_TEMPLATE_BYTES = 1024 * 1024  # the same file under a higher limit: only its size was wrong
    response = staff_marketer.post(ADD_URL, template_admin_post(group, SimpleUploadedFile("big.docx", big)))
    assert response.status_code == 302 and InteractionTemplate.objects.count() == 1


def test_a_field_name_with_markup_is_shown_escaped(staff_marketer):
    upload = SimpleUploadedFile("letter.docx", letter_docx("{{ <script>alert(1)</script> }}"))
    response = staff_marketer.post(ADD_URL, template_admin_post(InteractionGroupFactory(), upload))
    raw = response.content.decode()
    assert "unknown merge fields: &lt;script&gt;alert(1)&lt;/script&gt;." in raw
    assert "<script>alert(1)</script>" not in raw
    assert InteractionTemplate.objects.count() == 0
