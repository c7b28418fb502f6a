import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from interactions.models import InteractionTemplate, InteractionTemplateSetup
from interactions.validators import validate_template_attachment
from tests.factories import (
    InteractionTemplateFactory,
    InteractionTemplateLanguageFactory,
    InteractionTemplateSetupFactory,
)
from tests.interactions.factories import letter_docx, word_template

pytestmark = pytest.mark.django_db


def _upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


def _template_with(upload) -> InteractionTemplate:
    template = InteractionTemplateFactory.build(code="UPLOAD", group=InteractionTemplateFactory().group)
    template.attachment = upload
    return template


def test_a_word_letter_with_known_fields_is_accepted():
    template = _template_with(_upload("letter.docx", letter_docx("{{ contact.name }}", "{{ personal_note }}")))
    template.full_clean()
    template.save()
    assert InteractionTemplate.objects.get(code="UPLOAD").attachment.name.endswith(".docx")


def test_a_letter_with_unknown_fields_is_refused_naming_them():
    template = _template_with(_upload("letter.docx", letter_docx("{{ contact.shoe_size }} {{ favourite_colour }}")))
    with pytest.raises(ValidationError) as error:
        template.full_clean()
    message = " ".join(error.value.message_dict["attachment"])
    assert "contact.shoe_size" in message and "favourite_colour" in message
    assert not InteractionTemplate.objects.filter(code="UPLOAD").exists()


def test_a_file_that_only_pretends_to_be_a_docx_is_refused():
    with pytest.raises(ValidationError, match="not a Word .docx"):
        validate_template_attachment(_upload("letter.docx", b"%PDF-1.7 not a zip"))


def test_a_zip_that_is_not_a_word_document_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "hi")
    with pytest.raises(ValidationError, match="not a Word .docx"):
        validate_template_attachment(_upload("letter.docx", buffer.getvalue()))


def test_other_file_types_are_refused():
    with pytest.raises(
        ValidationError, match=r"Upload a Word .docx letter or an .html e-mail body \(not a .pdf file\)"
    ):
        validate_template_attachment(_upload("letter.pdf", b"%PDF"))


def test_an_oversized_file_is_refused(settings):
    settings.MAX_TEMPLATE_BYTES = 1000
    with pytest.raises(ValidationError, match="too large"):
        validate_template_attachment(_upload("letter.docx", letter_docx("x" * 10) + b"\0" * 1000))


def test_an_html_body_with_known_fields_passes_and_unknown_ones_are_named():
    validate_template_attachment(_upload("mail.html", b"<p>{{ contact.name }}</p>"))
    with pytest.raises(ValidationError, match="contact.nickname"):
        validate_template_attachment(_upload("mail.html", b"<p>{{ contact.nickname }}</p>"))
    with pytest.raises(ValidationError, match="UTF-8"):
        validate_template_attachment(_upload("mail.html", "<p>caf\u00e9</p>".encode("latin-1")))


def test_a_language_variant_attachment_is_validated_too():
    variant = InteractionTemplateLanguageFactory.build(template=InteractionTemplateFactory(), language_code="fr")
    variant.attachment = _upload("lettre.docx", letter_docx("{{ contact.surnom }}"))
    with pytest.raises(ValidationError) as error:
        variant.full_clean()
    assert "contact.surnom" in " ".join(error.value.message_dict["attachment"])


def test_a_stored_attachment_is_validated_from_storage():
    template = word_template()
    template.full_clean()  # reads the stored file back; no error


def test_setup_refuses_a_template_with_language_variants():
    template = InteractionTemplateFactory(code="INV")
    InteractionTemplateLanguageFactory(template=template, language_code="de")
    with pytest.raises(ValidationError) as error:
        InteractionTemplateSetup(event="sales_invoice", template=template).full_clean()
    assert error.value.message_dict["template"] == [
        "Interaction Template INV has assigned Interaction Template Language de. It is not allowed to have "
        "languages assigned to templates used for system document logging."
    ]


def test_setup_refuses_a_template_with_an_attachment():
    with pytest.raises(ValidationError, match="It is not allowed to have attachments on templates used for system"):
        InteractionTemplateSetup(event="sales_invoice", template=word_template("LETTER")).full_clean()


def test_setup_accepts_a_plain_template_or_none():
    InteractionTemplateSetupFactory.build(event="sales_quote", template=InteractionTemplateFactory()).full_clean()
    InteractionTemplateSetup(event="phone_call", template=None).full_clean()
