import io
import os
import zipfile

import docx
import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from docx.enum.section import WD_SECTION

from interactions.letters import DOCX_CONTENT_TYPE
from interactions.models import InteractionLogEntry
from segments import letters
from segments.models import SegmentLine
from segments.services import segment_add_contacts, segment_line_set_letter, segment_line_update
from tests.factories import (
    CompanyFactory,
    InteractionTemplateFactory,
    InteractionTemplateLanguageFactory,
    PersonFactory,
    SegmentFactory,
)
from tests.interactions.docx_builders import new_document, text_of, to_bytes

pytestmark = pytest.mark.django_db


def letter_docx(*paragraphs: str) -> bytes:
    document = new_document()
    for text in paragraphs:
        document.add_paragraph(text)
    return to_bytes(document)


TEMPLATE_LETTER = letter_docx(
    "{{ contact.salutation }},", "{{ personal_note }}", "Ref. {{ segment.no }}: {{ segment.description }}"
)


@pytest.fixture
def worksheet(marketer):
    template = InteractionTemplateFactory(code="LETTER", language_code="en")
    template.attachment.save("letter.docx", ContentFile(TEMPLATE_LETTER), save=True)
    segment = SegmentFactory(template=template, description="Spring offer", language_code="en")
    acme = CompanyFactory(name="Acme", city="Kiel")
    PersonFactory(name="Ada Lovelace", company=acme, city="Kiel", salutation="Dear Ada")
    PersonFactory(name="Grace Hopper", company=acme, city="Kiel", salutation="Dear Grace")
    segment_add_contacts(segment, criteria={"city": "Kiel", "type": "person"}, user=marketer)
    return segment


def line_of(segment, name):
    return segment.lines.get(contact__name=name)


def test_the_zip_has_one_letter_per_contact_named_company_dash_name(worksheet):
    buffer = io.BytesIO()
    letters.write_segment_letters_zip(worksheet, buffer)
    archive = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    assert sorted(archive.namelist()) == ["Acme - Ada Lovelace.docx", "Acme - Grace Hopper.docx"]
    ada = text_of(archive.read("Acme - Ada Lovelace.docx"))
    assert "Dear Ada," in ada and f"Ref. {worksheet.no}: Spring offer" in ada


def test_a_personal_note_goes_only_into_its_contacts_letter(worksheet, marketer):
    segment_line_update(line_of(worksheet, "Ada Lovelace"), user=marketer, personal_note="Loved your engine talk!")
    archive = zipfile.ZipFile(io.BytesIO(_zip(worksheet)))
    assert "Loved your engine talk!" in text_of(archive.read("Acme - Ada Lovelace.docx"))
    assert "Loved your engine talk!" not in text_of(archive.read("Acme - Grace Hopper.docx"))


def test_the_combined_docx_holds_every_letter_each_on_new_pages(worksheet):
    buffer = io.BytesIO()
    letters.write_segment_letters_combined(worksheet, buffer)
    combined = buffer.getvalue()
    text = text_of(combined)
    assert text.index("Dear Ada,") < text.index("Dear Grace,")
    sections = docx.Document(io.BytesIO(combined)).sections
    assert len(sections) == worksheet.lines.count() and all(s.start_type == WD_SECTION.NEW_PAGE for s in sections)


def test_preview_of_one_line(worksheet):
    filename, data = letters.line_letter(worksheet, line_of(worksheet, "Grace Hopper"))
    assert filename == "Acme - Grace Hopper.docx"
    assert "Dear Grace," in text_of(data)


def test_a_lines_own_letter_replaces_the_template_for_that_contact_only(worksheet, marketer):
    own = letter_docx("Special letter for {{ contact.name }}")
    segment_line_set_letter(line_of(worksheet, "Ada Lovelace"), data=own, filename="ada.docx", user=marketer)
    archive = zipfile.ZipFile(io.BytesIO(_zip(worksheet)))
    assert text_of(archive.read("Acme - Ada Lovelace.docx")) == "Special letter for Ada Lovelace"
    assert "Dear Grace," in text_of(archive.read("Acme - Grace Hopper.docx"))


def test_an_uploaded_letter_with_unknown_fields_is_refused(worksheet, marketer):
    line = line_of(worksheet, "Ada Lovelace")
    with pytest.raises(ValidationError, match="colour"):
        segment_line_set_letter(line, data=letter_docx("{{ contact.colour }}"), filename="bad.docx", user=marketer)
    with pytest.raises(ValidationError):
        segment_line_set_letter(line, data=b"not a zip", filename="bad.docx", user=marketer)
    line.refresh_from_db()
    assert line.letter_id is None


def test_the_template_letter_in_the_contacts_language_is_used(worksheet, marketer):
    german = InteractionTemplateLanguageFactory(template=worksheet.template, language_code="de")
    german.attachment.save("brief.docx", ContentFile(letter_docx("Hallo {{ contact.name }}")), save=True)
    ada = line_of(worksheet, "Ada Lovelace").contact
    ada.language_code = "de"
    ada.save()
    archive = zipfile.ZipFile(io.BytesIO(_zip(worksheet)))
    assert text_of(archive.read("Acme - Ada Lovelace.docx")) == "Hallo Ada Lovelace"
    assert "Dear Grace," in text_of(archive.read("Acme - Grace Hopper.docx"))


def test_a_segment_without_a_word_letter_says_so(marketer):
    segment = SegmentFactory()  # its template has no attachment
    segment_add_contacts(segment, criteria={}, user=marketer)
    PersonFactory()
    segment_add_contacts(segment, criteria={}, user=marketer)
    with pytest.raises(ValidationError, match="has no Word letter to merge"):
        letters.write_segment_letters_zip(segment, io.BytesIO())


def test_merging_logs_nothing(worksheet):
    _zip(worksheet)
    letters.write_segment_letters_combined(worksheet, io.BytesIO())
    assert not InteractionLogEntry.objects.exists()


# --- the download pages ---------------------------------------------------------------------------------------------


def test_a_viewer_downloads_the_zip(viewer_client, worksheet):
    response = viewer_client.get(f"/segments/{worksheet.pk}/letters.zip")
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="Segment {worksheet.no}.zip"'
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert len(archive.namelist()) == 2


def test_the_combined_and_the_single_letter_downloads(viewer_client, worksheet):
    combined = viewer_client.get(f"/segments/{worksheet.pk}/letters.docx")
    assert combined.status_code == 200 and "Dear Grace," in text_of(b"".join(combined.streaming_content))
    line = line_of(worksheet, "Ada Lovelace")
    single = viewer_client.get(f"/segments/{worksheet.pk}/lines/{line.pk}/letter.docx")
    assert single.status_code == 200 and "Dear Ada," in text_of(single.content)


def test_a_stranger_cannot_download_letters(stranger_client, worksheet):
    assert stranger_client.get(f"/segments/{worksheet.pk}/letters.zip").status_code == 403
    assert stranger_client.get(f"/segments/{worksheet.pk}/letters.docx").status_code == 403


def test_uploading_a_line_letter_from_the_page(marketer_client, viewer_client, worksheet):
    line = line_of(worksheet, "Ada Lovelace")
    url = f"/segments/{worksheet.pk}/lines/{line.pk}/letter/"
    upload = ContentFile(letter_docx("Only for {{ contact.name }}"), name="ada.docx")
    assert viewer_client.post(url, {"letter": upload, "replacing": ""}).status_code == 403
    upload.seek(0)
    marketer_client.post(url, {"letter": upload, "replacing": ""})
    line.refresh_from_db()
    assert line.letter is not None
    bad = marketer_client.post(
        url, {"letter": ContentFile(b"nonsense", name="x.docx"), "replacing": line.letter_id}, follow=True
    )
    assert "The file is not a Word .docx document." in bad.content.decode()
    marketer_client.post(url, {"remove": "1", "replacing": line.letter_id})
    line.refresh_from_db()
    assert line.letter is None


def test_replacing_or_removing_a_line_letter_asks_first(marketer_client, worksheet, marketer):
    line = line_of(worksheet, "Ada Lovelace")
    segment_line_set_letter(line, data=letter_docx("Only for {{ contact.name }}"), filename="ada.docx", user=marketer)
    line.refresh_from_db()
    page = marketer_client.get(f"/segments/{worksheet.pk}/lines/{line.pk}/").content.decode()
    assert 'data-confirm="Remove the uploaded letter ada.docx?' in page
    assert 'data-confirm="Replace the uploaded letter ada.docx with the chosen file?"' in page
    assert f'name="replacing" value="{line.letter_id}"' in page


@pytest.mark.parametrize("remove", [True, False])
def test_a_letter_replaced_by_a_colleague_since_the_page_was_opened_is_not_replaced_or_removed(
    marketer_client, worksheet, marketer, remove
):
    line = line_of(worksheet, "Ada Lovelace")
    url = f"/segments/{worksheet.pk}/lines/{line.pk}/letter/"
    # The page was opened while the line had no letter of its own; a colleague uploads one meanwhile.
    segment_line_set_letter(
        line, data=letter_docx("Colleague {{ contact.name }}"), filename="colleague.docx", user=marketer
    )
    line.refresh_from_db()
    theirs = line.letter_id
    data = {"remove": "1", "replacing": ""} if remove else {"replacing": ""}
    if not remove:
        data["letter"] = ContentFile(letter_docx("Mine {{ contact.name }}"), name="mine.docx")
    response = marketer_client.post(url, data, follow=True)
    assert "was changed by someone else since you opened it" in response.content.decode()
    line.refresh_from_db()
    assert line.letter_id == theirs


@pytest.mark.parametrize("data", [{"remove": "1"}, {"remove": "1", "replacing": "²"}])
def test_removing_a_line_letter_without_the_page_confirmation_changes_nothing(
    marketer_client, worksheet, marketer, data
):
    line = line_of(worksheet, "Ada Lovelace")
    segment_line_set_letter(line, data=letter_docx("Only for {{ contact.name }}"), filename="ada.docx", user=marketer)
    line.refresh_from_db()
    response = marketer_client.post(f"/segments/{worksheet.pk}/lines/{line.pk}/letter/", data, follow=True)
    assert "Replace or remove the letter on the line page. Nothing was changed." in response.content.decode()
    assert SegmentLine.objects.get(pk=line.pk).letter_id == line.letter_id


def _with_a_photo(data: bytes, size: int) -> bytes:
    buffer = io.BytesIO(data)
    with zipfile.ZipFile(buffer, "a", zipfile.ZIP_STORED) as archive:
        archive.writestr("word/media/photo.jpeg", os.urandom(size))
    return buffer.getvalue()


def test_a_line_letter_has_the_template_upload_limit_and_message(marketer_client, worksheet, marketer, settings):
    # It had a fixed 10 MB of its own before, whatever MAX_TEMPLATE_BYTES said.
    settings.MAX_TEMPLATE_BYTES = 64 * 1024
    line = line_of(worksheet, "Ada Lovelace")
    big = _with_a_photo(letter_docx("Only for {{ contact.name }}"), 80 * 1024)
    url = f"/segments/{worksheet.pk}/lines/{line.pk}/letter/"

    page = marketer_client.post(url, {"letter": ContentFile(big, name="ada.docx"), "replacing": ""}, follow=True)
    with pytest.raises(ValidationError) as refused:
        segment_line_set_letter(line, data=big, filename="ada.docx", user=marketer)

    assert len(big) > settings.MAX_TEMPLATE_BYTES
    assert "The file is too large (the limit is 0.1 MB)." in page.content.decode()
    assert refused.value.message_dict == {"letter": ["The file is too large (the limit is 0.1 MB)."]}
    line.refresh_from_db()
    assert line.letter is None


def test_a_stored_line_letter_is_a_word_document(worksheet, marketer):
    line = line_of(worksheet, "Ada Lovelace")
    segment_line_set_letter(line, data=letter_docx("Only for {{ contact.name }}"), filename="ada.docx", user=marketer)
    line.refresh_from_db()
    assert line.letter.content_type == DOCX_CONTENT_TYPE


def _zip(segment) -> bytes:
    buffer = io.BytesIO()
    letters.write_segment_letters_zip(segment, buffer)
    return buffer.getvalue()


def _macro_letter() -> bytes:
    """A valid .docx with a macro project added: Word would offer to run it in every recipient's copy."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(letter_docx("Hello")), "r") as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            target.writestr(info.filename, source.read(info.filename))
        target.writestr("word/vbaProject.bin", b"\xd0\xcf\x11\xe0")
    return out.getvalue()


def test_a_line_letter_with_a_macro_project_is_refused_and_nothing_is_stored(worksheet, marketer):
    line = line_of(worksheet, "Ada Lovelace")
    with pytest.raises(ValidationError, match="macro project"):
        segment_line_set_letter(line, data=_macro_letter(), filename="ada.docx", user=marketer)
    line.refresh_from_db()
    assert line.letter_id is None


def test_a_letter_that_cannot_be_combined_is_a_message_naming_it(worksheet, monkeypatch):
    named = [("Acme - Ada Lovelace.docx", TEMPLATE_LETTER), ("Acme - Grace Hopper.docx", b"not a docx")]
    with pytest.raises(ValidationError, match="“Acme - Grace Hopper.docx” cannot be put into one document"):
        letters.write_combined_letters(io.BytesIO(), iter(named))


def test_the_combined_download_never_answers_a_server_error(viewer_client, worksheet, monkeypatch):
    monkeypatch.setattr(
        letters, "segment_letters", lambda segment, progress=None: iter([("Acme - Ada.docx", b"not a docx")] * 2)
    )
    response = viewer_client.get(f"/segments/{worksheet.pk}/letters.docx", follow=True)
    assert response.status_code == 200
    assert "cannot be put into one document" in response.content.decode()
