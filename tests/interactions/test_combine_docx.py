"""One combined .docx of many letters: each letter a section with its own merged header and footer, every
letter keeping its own pictures and links whatever template it came from, and the letters streamed, not all
held in memory. Read back with python-docx."""

from __future__ import annotations

import io
import os
import struct
import tempfile
import tracemalloc
import zipfile
import zlib

from docx.enum.section import WD_SECTION
from docx.oxml.ns import qn
from docx.shared import Cm

from interactions.merge import combine_docx, compile_docx, write_combined_docx
from tests.interactions import docx_builders as b

R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
R_EMBED = qn("r:embed")


def png(red: int, green: int, blue: int) -> bytes:
    """A 2x2 PNG of one colour (a different colour gives different bytes: a different picture)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes([red, green, blue]) * 2 for _ in range(2))
    header = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


RED, BLUE = png(255, 0, 0), png(0, 0, 255)


def template_with_picture(picture: bytes, greeting: str) -> bytes:
    document = b.new_document()
    document.add_paragraph(f"{greeting} {{{{ contact.name }}}},")
    document.add_picture(io.BytesIO(picture), width=Cm(1))
    return b.to_bytes(document)


def pictures_in_order(data: bytes) -> list[bytes]:
    """The bytes of each picture of the combined document's body, in reading order, through its relationships."""
    document = b.read(data)
    part = document.part
    return [part.related_parts[blip.get(R_EMBED)].blob for blip in document.element.body.iter(qn("a:blip"))]


def test_letters_of_one_template_share_its_parts_and_keep_their_own_text():
    compiled = compile_docx(template_with_picture(RED, "Dear"))
    letters = [compiled.render({"contact.name": name}) for name in ("Ada", "Grace", "Alan")]
    combined = combine_docx(letters)
    texts = [p.text for p in b.read(combined).paragraphs if p.text]
    assert texts == ["Dear Ada,", "Dear Grace,", "Dear Alan,"]
    assert pictures_in_order(combined) == [RED, RED, RED]
    with zipfile.ZipFile(io.BytesIO(combined)) as out, zipfile.ZipFile(io.BytesIO(letters[0])) as first:
        assert sorted(out.namelist()) == sorted(first.namelist()), "nothing copied: the base's parts serve all"
        assert out.read("word/_rels/document.xml.rels") == first.read("word/_rels/document.xml.rels")


def test_a_letter_from_another_template_keeps_its_own_picture():
    # Both templates call their picture word/media/image1.png under the same relationship id: resolved against
    # the first letter's package, the German letter would show the English letterhead.
    english = compile_docx(template_with_picture(RED, "Dear"))
    german = compile_docx(template_with_picture(BLUE, "Sehr geehrte"))
    letters = [
        english.render({"contact.name": "Ada"}),
        german.render({"contact.name": "Greta"}),
        english.render({"contact.name": "Alan"}),
        german.render({"contact.name": "Hans"}),
    ]
    combined = combine_docx(letters)
    assert [p.text for p in b.read(combined).paragraphs if p.text] == [
        "Dear Ada,",
        "Sehr geehrte Greta,",
        "Dear Alan,",
        "Sehr geehrte Hans,",
    ]
    assert pictures_in_order(combined) == [RED, BLUE, RED, BLUE]
    with zipfile.ZipFile(io.BytesIO(combined)) as out:
        copied = [name for name in out.namelist() if name.startswith("word/media/merged")]
        assert copied == ["word/media/merged1-image1.png"], "the German picture is copied once, not per letter"
        assert b'PartName="/word/media/merged1-image1.png" ContentType="image/png"' in out.read("[Content_Types].xml")


def test_drawing_ids_are_unique_and_only_the_first_letter_keeps_its_bookmarks():
    document = b.new_document()
    paragraph = document.add_paragraph("Dear {{ contact.name }},")
    b.insert_before(paragraph.runs[0], b.bookmark_start("_GoBack", 0))
    document.add_picture(io.BytesIO(RED), width=Cm(1))
    compiled = compile_docx(b.to_bytes(document))
    combined = combine_docx([compiled.render({"contact.name": n}) for n in ("A", "B", "C")])
    body = b.read(combined).element.body
    ids = [d.get("id") for d in body.iter(qn("wp:docPr"))]
    assert ids == ["1", "2", "3"]
    assert [m.get(qn("w:name")) for m in body.iter(qn("w:bookmarkStart"))] == ["_GoBack"]


def test_a_link_in_a_letter_from_another_template_still_points_where_it_did():
    plain = compile_docx(template_with_picture(RED, "Dear"))
    linked = b.new_document()
    paragraph = linked.add_paragraph("See ")
    rel_id = linked.part.relate_to("https://example.com/offer", b.docx.opc.constants.RELATIONSHIP_TYPE.HYPERLINK, True)
    b.insert_before(
        paragraph.add_run("x"),
        f'<w:hyperlink xmlns:w="{b.W_NS}" xmlns:r="{R_NS}" r:id="{rel_id}"><w:r><w:t>our offer</w:t></w:r>'
        "</w:hyperlink>",
    )
    letters = [plain.render({"contact.name": "Ada"}), compile_docx(b.to_bytes(linked)).render({})]
    document = b.read(combine_docx(letters))
    (link,) = document.element.body.iter(qn("w:hyperlink"))
    assert document.part.rels[link.get(qn("r:id"))].target_ref == "https://example.com/offer"


def test_a_letter_whose_prefixes_differ_from_the_first_keeps_its_namespaces():
    first = compile_docx(template_with_picture(RED, "Dear")).render({"contact.name": "Ada"})
    other = b.to_bytes(b.new_document())
    with zipfile.ZipFile(io.BytesIO(other)) as package:
        members = {name: package.read(name) for name in package.namelist()}
    members["word/document.xml"] = (
        members["word/document.xml"]
        .replace(b"<w:document ", b'<w:document xmlns:x9="urn:example:x9" ', 1)
        .replace(b"<w:body>", b'<w:body><w:p x9:mark="kept"><w:r><w:t>Hello Greta</w:t></w:r></w:p>', 1)
    )
    document = b.read(combine_docx([first, b.make_zip(members)]))
    marked = [p for p in document.element.body.iter(qn("w:p")) if p.get("{urn:example:x9}mark") == "kept"]
    assert len(marked) == 1 and "Hello Greta" in "".join(marked[0].itertext())


def test_the_letters_are_streamed_not_held_in_memory():
    """Combining 200 letters of about 60 KB each (12 MB in all) never holds more than a few of them."""
    document = b.new_document()
    document.add_paragraph("Dear {{ contact.name }},")
    document.add_paragraph("{{ personal_note }}")
    compiled = compile_docx(b.to_bytes(document))
    rendered = []

    def letters():
        for i in range(200):
            # Random text does not compress, so each letter is as big in the zip as in memory.
            letter = compiled.render({"contact.name": f"Contact {i}", "personal_note": os.urandom(45_000).hex()})
            rendered.append(len(letter))
            yield letter

    with tempfile.TemporaryFile() as out:
        tracemalloc.start()
        try:
            write_combined_docx(out, letters())
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        out.seek(0)
        with zipfile.ZipFile(out) as package:
            xml = package.read("word/document.xml")
    assert sum(rendered) > 12_000_000
    assert peak < 4_000_000, f"peak {peak:,} bytes of Python memory"
    assert xml.count(b"Dear Contact ") == 200 and xml.count(b"<w:sectPr") == 200


def test_the_same_letters_give_the_same_bytes():
    english = compile_docx(template_with_picture(RED, "Dear"))
    german = compile_docx(template_with_picture(BLUE, "Sehr geehrte"))
    letters = [english.render({"contact.name": "Ada"}), german.render({"contact.name": "Greta"})]
    assert combine_docx(letters) == combine_docx(iter(letters))


def test_each_letter_is_a_section_with_its_own_merged_footer_and_the_shared_letterhead():
    document = b.new_document()
    document.sections[0].header.paragraphs[0].text = "Northwind Traders Ltd"
    document.sections[0].footer.paragraphs[0].text = "Our reference: {{ interaction.entry_no }}"
    document.add_paragraph("Dear {{ contact.name }},")
    document.add_paragraph("Kind regards")
    compiled = compile_docx(b.to_bytes(document))
    letters = [compiled.render({"contact.name": n, "interaction.entry_no": str(i)}) for i, n in enumerate("ABC", 1)]
    combined = combine_docx(letters)
    sections = b.read(combined).sections
    assert [s.footer.paragraphs[0].text for s in sections] == [f"Our reference: {i}" for i in (1, 2, 3)]
    assert [s.header.paragraphs[0].text for s in sections] == ["Northwind Traders Ltd"] * 3
    assert all(s.start_type == WD_SECTION.NEW_PAGE for s in sections)
    with zipfile.ZipFile(io.BytesIO(combined)) as out:
        names = out.namelist()
        xml = out.read("word/document.xml")
    assert [n for n in names if n.startswith("word/merged")] == ["word/merged1-footer1.xml", "word/merged2-footer1.xml"]
    assert not any("header" in n for n in names if "merged" in n), "the unmerged letterhead is shared, not copied"
    assert xml.count(b'<w:pgNumType w:start="1"/>') == 3, "every letter counts its pages from 1"


def test_the_section_break_goes_into_the_letters_last_paragraph():
    """No extra empty paragraph per letter: a letter that fills its page exactly must not spill a blank page."""
    document = b.new_document()
    document.add_paragraph("Dear {{ contact.name }},")
    document.add_paragraph("Kind regards")
    compiled = compile_docx(b.to_bytes(document))
    combined = b.read(combine_docx([compiled.render({"contact.name": n}) for n in "ABC"]))
    paragraphs = combined.paragraphs
    assert [p.text for p in paragraphs] == [
        "Dear A,",
        "Kind regards",
        "Dear B,",
        "Kind regards",
        "Dear C,",
        "Kind regards",
    ]
    ends = [p.text for p in paragraphs if p._p.pPr is not None and p._p.pPr.find(qn("w:sectPr")) is not None]
    assert ends == ["Kind regards", "Kind regards"], "the last letter's section is the document's final one"


def test_a_letter_ending_in_a_table_gets_a_paragraph_for_its_section_break():
    document = b.new_document()
    document.add_paragraph("Dear {{ contact.name }},")
    document.add_table(rows=1, cols=1).cell(0, 0).text = "Price list"
    compiled = compile_docx(b.to_bytes(document))
    combined = b.read(combine_docx([compiled.render({"contact.name": n}) for n in "AB"]))
    children = [child.tag for child in combined.element.body]
    assert children == [qn("w:p"), qn("w:tbl"), qn("w:p"), qn("w:p"), qn("w:tbl"), qn("w:sectPr")]
    assert len(combined.sections) == 2


def test_a_letter_from_another_template_brings_its_own_letterhead_picture():
    def with_letterhead(picture: bytes) -> bytes:
        document = b.new_document()
        document.sections[0].header.paragraphs[0].add_run().add_picture(io.BytesIO(picture), width=Cm(1))
        document.add_paragraph("Dear {{ contact.name }},")
        return b.to_bytes(document)

    english, german = compile_docx(with_letterhead(RED)), compile_docx(with_letterhead(BLUE))
    letters = [english.render({"contact.name": "Ada"}), german.render({"contact.name": "Greta"})]
    document = b.read(combine_docx(letters))
    letterheads = []
    for section in document.sections:
        (blip,) = section.header._element.iter(qn("a:blip"))
        letterheads.append(section.header.part.related_parts[blip.get(R_EMBED)].blob)
    assert letterheads == [RED, BLUE]


def test_every_letter_gets_the_first_page_letterhead_of_its_template():
    document = b.new_document()
    section = document.sections[0]
    section.different_first_page_header_footer = True
    section.first_page_header.paragraphs[0].text = "Northwind Traders Ltd · letterhead"
    section.header.paragraphs[0].text = "Page 2 and on: {{ contact.name }}"
    document.add_paragraph("Dear {{ contact.name }},")
    compiled = compile_docx(b.to_bytes(document))
    sections = b.read(combine_docx([compiled.render({"contact.name": n}) for n in ("Ada", "Grace")])).sections
    assert [s.different_first_page_header_footer for s in sections] == [True, True]
    assert [s.first_page_header.paragraphs[0].text for s in sections] == ["Northwind Traders Ltd · letterhead"] * 2
    assert [s.header.paragraphs[0].text for s in sections] == ["Page 2 and on: Ada", "Page 2 and on: Grace"]
