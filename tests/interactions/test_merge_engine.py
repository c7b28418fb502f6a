"""The .docx merge engine and packaging, on real Word documents read back with python-docx."""

from __future__ import annotations

import functools
import io
import time
import zipfile

import pytest
from docx.enum.section import WD_SECTION
from docx.oxml.ns import qn
from hypothesis import given, settings
from hypothesis import strategies as st

from interactions.merge import (
    KNOWN_FIELDS,
    MergeTemplateError,
    clean_value,
    combine_docx,
    compile_docx,
    docx_fields,
    letter_filename,
    normalise_field_name,
    write_zip_letters,
    zip_letters,
)
from tests.interactions import docx_builders as b

BOLD, ITALIC = {"bold": True}, {"italic": True}


def merge(document, values=None) -> b.docx.document.Document:
    compiled = compile_docx(b.to_bytes(document))
    return b.read(compiled.render(values or {}))


def runs_by_text(paragraph) -> dict[str, object]:
    return {r.text: r for r in paragraph.runs if r.text}


# ------------------------------------------------------------------ catalogue


def test_known_fields_catalogue():
    assert len(KNOWN_FIELDS) == 14 * 2 + 4 + 4 + 2 + 2
    assert {
        "contact.address_block",
        "contact.informal_salutation",
        "company.job_title",
        "salesperson.code",
        "interaction.entry_no",
        "segment.description",
        "personal_note",
        "today",
    } <= KNOWN_FIELDS


@pytest.mark.parametrize(
    "raw, canonical",
    [
        ("contact_name", "contact.name"),
        ("contact_address_block", "contact.address_block"),
        ("company_post_code", "company.post_code"),
        ("personal_note", "personal_note"),
        (" Contact.Name ", "contact.name"),
        ("SALESPERSON_EMAIL", "salesperson.email"),
        ("interaction_entry_no", "interaction.entry_no"),
        (" Foo_Bar ", "Foo_Bar"),  # unknown: trimmed raw name, so errors can name it
    ],
)
def test_normalise_field_name(raw, canonical):
    assert normalise_field_name(raw) == canonical


# ------------------------------------------------------------------ placeholders in text


def test_placeholder_split_across_runs_keeps_surrounding_formatting():
    d = b.new_document()
    p = d.add_paragraph()
    runs = b.add_runs(p, [("Dear ", ITALIC), ("{{ Con", BOLD), ("tact.na", ITALIC), ("me }}", {}), (", welcome", BOLD)])
    b.insert_before(runs[2], b.proof_err("spellStart"))
    b.insert_before(runs[3], b.bookmark_start())
    b.insert_before(runs[3], b.proof_err("spellEnd"))
    out = merge(d, {"contact.name": "Jane Doe"})
    para = out.paragraphs[0]
    assert para.text == "Dear Jane Doe, welcome"
    by_text = runs_by_text(para)
    assert by_text["Dear "].italic and not by_text["Dear "].bold
    assert by_text["Jane Doe"].bold and not by_text["Jane Doe"].italic  # formatting of the start run
    assert by_text[", welcome"].bold and not by_text[", welcome"].italic


def test_placeholder_inside_one_run_preserves_spaces_and_neighbours():
    d = b.new_document()
    d.add_paragraph("  {{contact.name}}  and {{ company.name }}.  ")
    out = merge(d, {"contact.name": "A", "company.name": "B"})
    assert out.paragraphs[0].text == "  A  and B.  "


def test_two_placeholders_in_split_runs_and_placeholder_ending_where_next_starts():
    d = b.new_document()
    p = d.add_paragraph()
    b.add_runs(p, [("{{ contact.", BOLD), ("city }}{{ con", ITALIC), ("tact.post_code }} x", {})])
    out = merge(d, {"contact.city": "Oslo", "contact.post_code": "0150"})
    para = out.paragraphs[0]
    assert para.text == "Oslo0150 x"
    by_text = runs_by_text(para)
    assert by_text["Oslo"].bold
    assert by_text["0150"].italic


def test_missing_values_render_empty():
    d = b.new_document()
    d.add_paragraph("[{{ contact.name }}][{{ today }}]")
    assert merge(d, {}).paragraphs[0].text == "[][]"


def test_guillemet_result_text_is_a_field_but_french_quotes_stay():
    d = b.new_document()
    d.add_paragraph("Bonjour «contact_name», «Merci» et « au revoir »")
    out = merge(d, {"contact.name": "Zoé"})
    assert out.paragraphs[0].text == "Bonjour Zoé, «Merci» et « au revoir »"


# ------------------------------------------------------------------ Word MERGEFIELDs


def test_fld_simple_mergefield():
    d = b.new_document()
    p = d.add_paragraph("Hello ")
    b.add_fld_simple(p, "contact_name", bold=True)
    p.add_run("!")
    out = merge(d, {"contact.name": "Jane"})
    para = out.paragraphs[0]
    assert para.text == "Hello Jane!"
    assert runs_by_text(para)["Jane"].bold
    assert not para._p.findall(qn("w:fldSimple"))


def test_non_merge_fld_simple_is_left_alone():
    d = b.new_document()
    p = d.add_paragraph()
    p._p.append(b.parse_xml(f'<w:fldSimple {b.nsdecls("w")} w:instr=" PAGE "><w:r><w:t>1</w:t></w:r></w:fldSimple>'))
    out = merge(d)
    assert out.paragraphs[0]._p.findall(qn("w:fldSimple"))


@pytest.mark.parametrize(
    "pieces, switches, expected",
    [
        ([" MERGEFIELD company", "_name \\* MERGEFORMAT "], r"\* MERGEFORMAT", "To: Acme Ltd"),
        (
            [" MERGE", "FIELD ", "company_name", ' \\b "Co: " \\f "!" \\* MERGEFORMAT '],
            r'\b "Co: " \f "!" \* MERGEFORMAT',
            "To: Co: Acme! Ltd",
        ),
    ],
)
def test_complex_mergefield_with_split_instruction(pieces, switches, expected):
    d = b.new_document()
    p = d.add_paragraph("To: ")
    b.add_complex_field(p, "company_name", instr_pieces=pieces, switches=switches)
    p.add_run(" Ltd")
    out = merge(d, {"company.name": "Acme"})
    para = out.paragraphs[0]
    assert para.text == expected
    assert runs_by_text(para)[expected[4:-4]].italic  # formatting of the result run
    assert not para._p.findall(qn("w:r") + "/" + qn("w:instrText"))
    assert not para._p.findall(qn("w:r") + "/" + qn("w:fldChar"))


def test_complex_field_quoted_name_and_page_field_untouched():
    d = b.new_document()
    p = d.add_paragraph()
    b.add_complex_field(p, '"contact_email"', instr_pieces=[' MERGEFIELD "contact_email" \\* MERGEFORMAT '])
    p.add_run(" page ")
    wrapper = b.parse_xml(
        f'<w:p {b.nsdecls("w")}><w:r><w:fldChar w:fldCharType="begin"/></w:r>'
        '<w:r><w:instrText> PAGE </w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r>'
        '<w:r><w:t>1</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>'
    )
    for r in list(wrapper):
        p._p.append(r)
    out = merge(d, {"contact.email": "a@b.c"})
    para = out.paragraphs[0]
    assert para.text == "a@b.c page 1"
    assert len(para._p.findall(qn("w:r") + "/" + qn("w:fldChar"))) == 3  # PAGE kept


# ------------------------------------------------------------------ where slots can live


def test_table_cell_and_nested_table():
    d = b.new_document()
    table = d.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "{{ contact.name }}"
    inner = table.cell(0, 1).add_table(rows=1, cols=1)
    p = inner.cell(0, 0).paragraphs[0]
    b.add_runs(p, [("{{ company", BOLD), (".name }}", {})])
    out = merge(d, {"contact.name": "Jane", "company.name": "Acme"})
    outer = out.tables[0]
    assert outer.cell(0, 0).text == "Jane"
    assert outer.cell(0, 1).tables[0].cell(0, 0).text == "Acme"


def test_header_and_footer():
    d = b.new_document()
    d.add_paragraph("body")
    section = d.sections[0]
    section.header.paragraphs[0].text = "Header {{ company.name }}"
    b.add_fld_simple(section.footer.paragraphs[0], "salesperson_phone")
    compiled = compile_docx(b.to_bytes(d))
    assert compiled.fields == {"company.name", "salesperson.phone"}
    out = b.read(compiled.render({"company.name": "Acme", "salesperson.phone": "+1 555"}))
    assert out.sections[0].header.paragraphs[0].text == "Header Acme"
    assert out.sections[0].footer.paragraphs[0].text == "+1 555"


def test_text_box_choice_and_fallback_are_both_merged():
    d = b.new_document()
    b.add_text_box(d.add_paragraph(), "Box: {{ contact.city }}")
    out = merge(d, {"contact.city": "Bergen"})
    assert b.text_box_texts(out) == ["Box: Bergen", "Box: Bergen"]


# ------------------------------------------------------------------ values


def test_address_block_prints_one_line_per_row():
    d = b.new_document()
    p = d.add_paragraph()
    b.add_runs(p, [("{{ contact.address", BOLD), ("_block }}", {})])
    out = merge(d, {"contact.address_block": "Jane Doe\nMain St 1\r\n0150 Oslo"})
    para = out.paragraphs[0]
    assert para.text == "Jane Doe\nMain St 1\n0150 Oslo"
    assert len(para._p.findall(".//" + qn("w:br"))) == 2
    assert all(r.bold for r in para.runs)  # the breaks live inside the one bold run


def test_xml_special_characters_rtl_and_control_characters():
    d = b.new_document()
    d.add_paragraph("{{ contact.name }}|{{ company.name }}|{{ personal_note }}|{{ contact.city }}")
    values = {
        "contact.name": "<b>Tom & \"Jerry\"</b> 'x' ]]>",
        "company.name": "شركة المثال",
        "personal_note": "שלום עולם 😀",
        "contact.city": "a\x00b\x07c\x1fd\ufffe",
    }
    out = merge(d, values)
    assert out.paragraphs[0].text == ("<b>Tom & \"Jerry\"</b> 'x' ]]>|شركة المثال|שלום עולם 😀|abcd")


def test_template_text_with_special_characters_and_rtl_survives():
    d = b.new_document()
    d.add_paragraph('Préfix <&> "q" مرحبا {{ contact.name }} שלום')
    out = merge(d, {"contact.name": "X"})
    assert out.paragraphs[0].text == 'Préfix <&> "q" مرحبا X שלום'


# ------------------------------------------------------------------ template errors


def test_unknown_fields_are_all_named_sorted_and_deduplicated():
    d = b.new_document()
    d.add_paragraph("{{ contact.nmae }} {{ foo }} {{ contact.name }} {{ foo }}")
    b.add_fld_simple(d.add_paragraph(), "zz_top")
    d.sections[0].header.paragraphs[0].text = "{{ Bar }}"
    with pytest.raises(MergeTemplateError) as exc:
        compile_docx(b.to_bytes(d))
    assert exc.value.unknown_fields == ["Bar", "contact.nmae", "foo", "zz_top"]
    message = str(exc.value)
    assert message.startswith("The template uses unknown merge fields: Bar, contact.nmae, foo, zz_top.")
    assert "Known fields: " in message and "contact.name" in message


@pytest.mark.parametrize("text", ["Dear {{ contact.name", "Dear {{ }}", "{{ a{b }}"])
def test_malformed_placeholder(text):
    d = b.new_document()
    d.add_paragraph(text)
    with pytest.raises(MergeTemplateError, match="Malformed placeholder") as exc:
        compile_docx(b.to_bytes(d))
    assert "{{" in str(exc.value)
    assert exc.value.unknown_fields == []


def test_placeholder_may_not_span_a_tab():
    d = b.new_document()
    p = d.add_paragraph("{{ contact.name")
    p.add_run().add_tab()
    p.add_run("}}")
    with pytest.raises(MergeTemplateError, match="Malformed placeholder"):
        compile_docx(b.to_bytes(d))


def test_not_a_zip():
    with pytest.raises(MergeTemplateError, match="not a Word .docx document"):
        compile_docx(b"%PDF-1.4 definitely not a zip")


def test_zip_without_document_xml():
    data = b.make_zip({"[Content_Types].xml": b"<Types/>", "word/styles.xml": b"<x/>"})
    with pytest.raises(MergeTemplateError, match="not a Word .docx document"):
        compile_docx(data)


def _zip_with_zeros(size: int) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", b"<Types/>")
        zf.writestr("word/document.xml", b"<w:document/>")
        with zf.open("word/media/bomb.bin", "w") as f:
            chunk = bytes(1 << 20)
            for _ in range(size >> 20):
                f.write(chunk)
    return buf.getvalue()


def test_zip_bomb_over_total_unpacked_limit():
    data = _zip_with_zeros(200 << 20)
    assert len(data) < 1 << 20
    with pytest.raises(MergeTemplateError, match="damaged or too large when unpacked"):
        compile_docx(data)


def test_zip_bomb_caught_by_compression_ratio():
    data = _zip_with_zeros(20 << 20)  # under the 100 MB total, but 1000:1
    with pytest.raises(MergeTemplateError, match="damaged or too large when unpacked"):
        compile_docx(data)


def test_too_large_file():
    with pytest.raises(MergeTemplateError, match=r"too large \(11 MB; the limit is 10 MB\)"):
        compile_docx(bytes(11 * 1024 * 1024))
    with pytest.raises(MergeTemplateError, match=r"\(0.6 MB; the limit is 0.5 MB\)"):
        compile_docx(bytes(600 * 1024), max_bytes=512 * 1024)


def test_damaged_xml_part():
    data = b.make_zip({"[Content_Types].xml": b.CONTENT_TYPES, "word/document.xml": b"<w:document"})
    with pytest.raises(MergeTemplateError, match="damaged"):
        compile_docx(data)


def test_a_doctype_is_refused_and_a_stored_one_never_resolves_external_entities(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    doc = (
        f'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file://{secret}">]>'
        f'<w:document xmlns:w="{b.W_NS}"><w:body><w:p><w:r><w:t>&x; {{{{ today }}}}</w:t>'
        "</w:r></w:p></w:body></w:document>"
    ).encode()
    data = b.make_zip({"[Content_Types].xml": b.CONTENT_TYPES, "word/document.xml": doc})
    with pytest.raises(MergeTemplateError, match="declares a DOCTYPE or entities"):
        compile_docx(data)
    out = compile_docx(data, strict=False).render({"today": "T"})
    assert b"TOP-SECRET" not in zipfile.ZipFile(io.BytesIO(out)).read("word/document.xml")


# ------------------------------------------------------------------ output


def test_output_is_deterministic_and_a_valid_zip():
    template = b.letter_template()
    values = {"contact.name": "Jane", "contact.address_block": "A\nB", "today": "2024-05-01"}
    first = compile_docx(template).render(values)
    assert compile_docx(template).render(values) == first
    compiled = compile_docx(template)
    assert compiled.render(values) == compiled.render(dict(values)) == first
    assert compiled.render({**values, "contact.name": "John"}) != first
    with zipfile.ZipFile(io.BytesIO(first)) as zf:
        assert zf.testzip() is None
        assert zf.namelist() == zipfile.ZipFile(io.BytesIO(template)).namelist()
        assert {i.date_time for i in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_docx_fields_and_custom_catalogue():
    template = b.letter_template()
    assert "contact.address_block" in docx_fields(template)
    d = b.new_document()
    d.add_paragraph("{{ order_no }} {{ order_total }}")
    data = b.to_bytes(d)
    known = frozenset({"order.no", "order.total"})
    compiled = compile_docx(data, known_fields=known)
    assert compiled.fields == known
    assert b.read(compiled.render({"order.no": "7", "order.total": "9"})).paragraphs[0].text == "7 9"
    with pytest.raises(MergeTemplateError):
        compile_docx(data)


def test_render_rate():
    compiled = compile_docx(b.letter_template())
    values = {f: f"value of {f}" for f in compiled.fields}
    values["contact.address_block"] = "Jane Doe\nMain Street 1\n0150 Oslo\nNorway"
    assert len(compiled.fields) >= 10
    compiled.render(values)
    n, start = 300, time.perf_counter()
    for i in range(n):
        values["contact.name"] = f"Contact {i}"
        compiled.render(values)
    rate = n / (time.perf_counter() - start)
    print(f"\nrender rate: {rate:.0f} letters/s")
    assert rate >= 300


# ------------------------------------------------------------------ property


@functools.cache
def _note_template():
    d = b.new_document()
    p = d.add_paragraph()
    b.add_runs(p, [("Note: ", ITALIC), ("{{ perso", BOLD), ("nal_no", ITALIC), ("te }}", {}), (" end", BOLD)])
    return compile_docx(b.to_bytes(d))


@settings(max_examples=150, deadline=None)
@given(st.text())
def test_any_text_round_trips_through_personal_note(note):
    out = b.read(_note_template().render({"personal_note": note}))
    assert out.paragraphs[0].text == "Note: " + clean_value(note) + " end"


# ------------------------------------------------------------------ package


def test_letter_filename():
    assert letter_filename("Acme Ltd", "Jane Doe") == "Acme Ltd - Jane Doe.docx"
    assert letter_filename("", "Jane Doe") == "Jane Doe.docx"
    assert letter_filename("Acme", "acme") == "acme.docx"
    assert letter_filename("A/B: C", 'J*"D"?') == "A_B_ C - J__D__.docx"


def test_zip_letters_sanitises_and_deduplicates_names():
    letters = [
        ("Jane Doe.docx", b"1"),
        ("Jane Doe.docx", b"2"),
        ("jane doe.docx", b"3"),
        ('a/b\\c:d*e?f"g<h>i|j.docx', b"4"),
        ("CON.docx", b"5"),
        ("", b"6"),
    ]
    data = zip_letters(letters)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.namelist() == [
            "Jane Doe.docx",
            "Jane Doe (2).docx",
            "jane doe (3).docx",
            "a_b_c_d_e_f_g_h_i_j.docx",
            "_CON.docx",
            "letter",
        ]
        assert [zf.read(n) for n in zf.namelist()] == [b"1", b"2", b"3", b"4", b"5", b"6"]
        assert {i.compress_type for i in zf.infolist()} == {zipfile.ZIP_STORED}
    assert zip_letters(letters) == data  # reproducible


def test_write_zip_letters_streams_to_unseekable_file():
    class Sink(io.RawIOBase):
        def __init__(self):
            self.data = bytearray()

        def writable(self):
            return True

        def write(self, chunk):
            self.data += chunk
            return len(chunk)

    sink = Sink()
    write_zip_letters(sink, ((f"L{i}.docx", b"x" * i) for i in range(3)))
    with zipfile.ZipFile(io.BytesIO(bytes(sink.data))) as zf:
        assert zf.namelist() == ["L0.docx", "L1.docx", "L2.docx"]
        assert zf.read("L2.docx") == b"xx"


def test_combine_docx():
    d = b.new_document()
    d.sections[0].header.paragraphs[0].text = "{{ company.name }}"
    d.add_paragraph("Dear {{ contact.name }},")
    d.add_paragraph("Second paragraph.")
    compiled = compile_docx(b.to_bytes(d))
    letters = [compiled.render({"contact.name": n, "company.name": "Acme"}) for n in "ABC"]
    combined = b.read(combine_docx(letters))
    texts = [p.text for p in combined.paragraphs]
    assert [t for t in texts if t] == [
        "Dear A,",
        "Second paragraph.",
        "Dear B,",
        "Second paragraph.",
        "Dear C,",
        "Second paragraph.",
    ]
    # Each letter is a section of its own, starting on a new page, with its own copy of the merged header.
    assert len(combined.element.body.findall(qn("w:sectPr"))) == 1, "one final section; the others end a letter"
    assert [section.start_type for section in combined.sections] == [WD_SECTION.NEW_PAGE] * 3
    assert [section.header.paragraphs[0].text for section in combined.sections] == ["Acme"] * 3
    assert combine_docx(letters) == combine_docx(letters)
    assert b.read(combine_docx(letters[:1])).paragraphs[0].text == "Dear A,"
