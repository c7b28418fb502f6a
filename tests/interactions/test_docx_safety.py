"""Word letters that would be corrupt, dangerous or too costly are refused at upload, naming the problem
(interactions.merge.docx_safety; docs/SECURITY.md, "Template uploads")."""

from __future__ import annotations

import io
import time
import tracemalloc
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from interactions.letters import _CompiledCache
from interactions.merge import MergeTemplateError, compile_docx, docx_safety
from interactions.models import InteractionTemplate
from tests.factories import InteractionGroupFactory
from tests.interactions import docx_builders as b

GOOD = b.letter_template()
MACRO_MAIN = "application/vnd.ms-word.document.macroEnabled.main+xml"


def rewrite(data: bytes, *, replace: dict[str, bytes] | None = None, add: dict[str, bytes] | None = None) -> bytes:
    """The package with some members replaced or added (names written as given, unchecked)."""
    replace, add = replace or {}, add or {}
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, replace.get(info.filename, source.read(info.filename)))
        for name, content in add.items():
            target.writestr(zipfile.ZipInfo(name), content)
    return out.getvalue()


def member(data: bytes, name: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return package.read(name)


def with_relationship(rel_type: str, target: str) -> bytes:
    rels = member(GOOD, "word/_rels/document.xml.rels").replace(
        b"</Relationships>",
        f'<Relationship Id="rIdX" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/{rel_type}"'
        f' Target="{target}" TargetMode="External"/></Relationships>'.encode(),
    )
    return rewrite(GOOD, replace={"word/_rels/document.xml.rels": rels})


def refused(data: bytes) -> str:
    with pytest.raises(MergeTemplateError) as caught:
        compile_docx(data)
    return str(caught.value)


def test_a_word_letter_as_word_saves_it_is_accepted():
    assert compile_docx(GOOD).fields


@pytest.mark.parametrize("part", ["word/styles.xml", "word/document.xml", "[Content_Types].xml"])
def test_a_doctype_or_entity_declaration_in_any_part_is_refused_naming_the_part(part):
    original = member(GOOD, part)
    declared = original.replace(b"?>", b'?><!DOCTYPE x [<!ENTITY e "boom">]>', 1)
    assert declared != original
    message = refused(rewrite(GOOD, replace={part: declared}))
    assert "declares a DOCTYPE or entities" in message and part in message


def test_a_doctype_written_in_utf16_is_refused_too():
    styles = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x><styles/>'.encode("utf-16-le")
    assert "DOCTYPE" in refused(rewrite(GOOD, replace={"word/styles.xml": styles}))


def test_a_macro_enabled_document_is_refused():
    types = member(GOOD, "[Content_Types].xml").replace(
        b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml", MACRO_MAIN.encode()
    )
    assert "macro-enabled document (.docm)" in refused(rewrite(GOOD, replace={"[Content_Types].xml": types}))


def test_a_macro_project_is_refused_whatever_the_content_types_say():
    assert "macro project" in refused(rewrite(GOOD, add={"word/vbaProject.bin": b"\xd0\xcf\x11\xe0"}))


@pytest.mark.parametrize(
    ("rel_type", "target"),
    [
        ("attachedTemplate", "file:///C:/Templates/Normal.dotm"),
        ("oleObject", "http://attacker.example/payload.xlsx"),
        ("image", "http://tracker.example/pixel.png"),
        ("hyperlink", r"\\fileserver\share\letter.docx"),
        ("hyperlink", "file://fileserver/share/x.docx"),
    ],
)
def test_an_external_relationship_word_would_fetch_is_refused_naming_its_target(rel_type, target):
    message = refused(with_relationship(rel_type, target))
    assert "makes Word fetch" in message and target in message and rel_type in message


@pytest.mark.parametrize("target", ["https://www.example.com/offer", "mailto:sales@example.com"])
def test_a_link_the_reader_clicks_is_fine(target):
    assert compile_docx(with_relationship("hyperlink", target)).fields


@pytest.mark.parametrize("name", ["/word/evil.xml", "../evil.xml", "word/../../evil.xml", "word\\evil.xml", "C:evil"])
def test_a_member_name_that_is_absolute_or_climbs_out_is_refused(name):
    message = refused(rewrite(GOOD, add={name: b"<x/>"}))
    assert "unsafe name" in message and name in message


@pytest.mark.parametrize("part", ["[Content_Types].xml", "_rels/.rels", "word/_rels/document.xml.rels"])
def test_content_types_or_relationships_that_are_not_xml_are_refused(part):
    assert f"{part} is damaged (not valid XML)" in refused(rewrite(GOOD, replace={part: b"<Types><unclosed"}))


def test_a_document_without_a_body_is_refused():
    document = f'<?xml version="1.0"?><w:document xmlns:w="{b.W_NS}"></w:document>'.encode()
    assert "has no body" in refused(rewrite(GOOD, replace={"word/document.xml": document}))


def test_a_part_over_the_xml_limit_is_refused_with_what_to_change(monkeypatch):
    monkeypatch.setattr(docx_safety, "MAX_XML_PART_BYTES", 2000)
    message = refused(GOOD)
    assert "MB of XML when unpacked" in message and "per part" in message and "Make the letter shorter" in message


def test_more_xml_in_all_than_the_limit_is_refused(monkeypatch):
    monkeypatch.setattr(docx_safety, "MAX_XML_TOTAL_BYTES", 10_000)
    assert "MB of XML when unpacked" in refused(GOOD)


def test_too_many_paragraphs_or_merge_fields_are_refused(monkeypatch):
    monkeypatch.setattr(docx_safety, "MAX_PARAGRAPHS", 2)
    assert "more than 2 paragraphs" in refused(GOOD)
    monkeypatch.setattr(docx_safety, "MAX_PARAGRAPHS", 20_000)
    monkeypatch.setattr(docx_safety, "MAX_SLOTS", 1)
    assert "more than 1 merge fields" in refused(GOOD)


def _longest_accepted_letter() -> bytes:
    """A letter just under the paragraph limit, with a merge field in every twentieth paragraph (written as XML:
    python-docx would take a minute to add 20,000 paragraphs)."""
    text = "Thank you for your order of last week; our team will deliver it on the date we agreed. "
    field = (
        '<w:fldSimple w:instr=" MERGEFIELD contact_name \\* MERGEFORMAT ">'
        "<w:r><w:t>«contact_name»</w:t></w:r></w:fldSimple>"
    )
    paragraphs = "".join(
        f"<w:p><w:r><w:t>{text}{i}</w:t></w:r>{field if i % 20 == 0 else ''}</w:p>"
        for i in range(docx_safety.MAX_PARAGRAPHS - 10)
    )
    document = (
        f'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="{b.W_NS}">'
        f"<w:body>{paragraphs}</w:body></w:document>"
    )
    return rewrite(GOOD, replace={"word/document.xml": document.encode()})


def test_the_costliest_accepted_letter_validates_within_a_second_and_100_mb():
    data = _longest_accepted_letter()
    started = time.process_time()
    compiled = compile_docx(data)
    seconds = time.process_time() - started  # CPU time: other work on a shared machine does not count
    tracemalloc.start()  # measured apart: tracing slows the compile down several times
    try:
        compile_docx(data)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "contact.name" in compiled.fields
    assert seconds < 1.0, seconds
    assert peak < 100 * 1024 * 1024, peak


def test_stored_letters_accepted_before_these_rules_still_merge():
    stored = with_relationship("attachedTemplate", "file:///C:/Templates/Normal.dotm")
    assert compile_docx(stored, strict=False).render({"contact.name": "Jane"})


@pytest.mark.django_db
def test_the_admin_and_every_form_refuse_such_a_template_and_save_nothing():
    template = InteractionTemplate(
        code="MACRO",
        description="Macro letter",
        group=InteractionGroupFactory(),
        attachment=SimpleUploadedFile("letter.docx", rewrite(GOOD, add={"word/vbaProject.bin": b"x"})),
    )
    with pytest.raises(ValidationError) as caught:
        template.full_clean()
    assert "macro project" in str(caught.value.message_dict["attachment"])
    assert not InteractionTemplate.objects.filter(code="MACRO").exists()


def test_the_compiled_template_cache_is_bounded_by_bytes():
    cache = _CompiledCache(size=10, max_bytes=1)
    first = cache.get(("docx", "a"), lambda: compile_docx(GOOD))
    assert cache.get(("docx", "a"), lambda: pytest.fail("compiled twice")) is first
    cache.get(("docx", "b"), lambda: compile_docx(GOOD))
    # Over the byte bound only the newest stays: "a" is compiled again when asked for.
    rebuilt = []
    cache.get(("docx", "a"), lambda: rebuilt.append(1) or compile_docx(GOOD))
    assert rebuilt == [1]
