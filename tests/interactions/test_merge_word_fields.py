"""Word field codes merge to exactly the text Word's "Edit individual letters" writes (issue 16, part 1).

The templates are built from the XML Word writes: complex fields with the instruction split over several
runs, nested MERGEFIELDs with their cached «results», w:fldSimple. Microsoft's field-code reference is the
specification the expected texts come from.
"""

from __future__ import annotations

import datetime
import functools
import io
import time
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from docx.oxml.ns import qn
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.benchmarks.merge import field_code_letter_docx
from interactions.letters import compiled_docx, contact_merge_values, entry_document_bytes, store_document
from interactions.merge import LANGUAGE_KEY, MergeTemplateError, compile_docx, iso_key
from interactions.models import InteractionTemplate
from interactions.services import interaction_create
from interactions.validators import validate_template_attachment
from tests.factories import InteractionTemplateFactory, InteractionTemplateLanguageFactory, PersonFactory
from tests.interactions import docx_builders as b
from tests.interactions.factories import word_template

BOLD = "<w:b/>"


def template(*pieces) -> bytes:
    """A one-paragraph letter: plain text (str) and fields."""
    document = b.new_document()
    b.append_runs(document.add_paragraph(), *pieces)
    return b.to_bytes(document)


def merged(data: bytes, values: dict[str, str]) -> str:
    return b.text_of(compile_docx(data).render(values))


def one_field(name: str, switches: str, value: str, **more: str) -> str:
    values = {normalised(name): value, **{normalised(k): v for k, v in more.items()}}
    return merged(template("[", b.mergefield(name, switches), "]"), values)


def normalised(name: str) -> str:
    return name if "." in name or ":" in name or name in ("today", LANGUAGE_KEY) else name.replace("_", ".", 1)


# ------------------------------------------------------------------ text switches


@pytest.mark.parametrize(
    "switches, expected",
    [
        (r"\* Upper", "[JEAN-LUC O'BRIEN-SMITH]"),
        (r"\* Lower", "[jean-luc o'brien-smith]"),
        (r"\* Caps", "[Jean-Luc O'BRIEN-Smith]"),
        (r"\* Lower \* Caps", "[Jean-Luc O'brien-Smith]"),  # the idiom for data in capitals
        (r"\* FirstCap", "[Jean-luc o'BRIEN-smith]"),
        (r"\* Upper \* MERGEFORMAT", "[JEAN-LUC O'BRIEN-SMITH]"),
        (r"\* MERGEFORMAT", "[jean-luc o'BRIEN-smith]"),
        (r"\* CHARFORMAT", "[jean-luc o'BRIEN-smith]"),
        (r"\*upper", "[JEAN-LUC O'BRIEN-SMITH]"),
    ],
)
def test_text_switches_change_the_case_as_word_does(switches, expected):
    assert one_field("contact_name", switches, "jean-luc o'BRIEN-smith") == expected


def test_mergeformat_keeps_the_result_format_and_charformat_the_field_type_format():
    data = template(
        b.field(" MERGEFIELD contact_name \\* MERGEFORMAT ", result="«contact_name»", result_rpr=BOLD),
        " ",
        b.field((" MERGEFIELD contact_city \\* CHARFORMAT ", "<w:i/>"), result="«contact_city»", result_rpr=BOLD),
    )
    paragraph = b.read(compile_docx(data).render({"contact.name": "Ada", "contact.city": "Oslo"})).paragraphs[0]
    runs = {run.text: run for run in paragraph.runs}
    assert runs["Ada"].bold and not runs["Ada"].italic
    assert runs["Oslo"].italic and not runs["Oslo"].bold


@pytest.mark.parametrize(
    "value, expected",
    [("Oslo", "[in Oslo, Norway]"), ("", "[]")],
)
def test_before_and_after_texts_are_written_only_with_a_value(value, expected):
    assert one_field("contact_city", r'\b "in " \f ", Norway" \* MERGEFORMAT', value) == expected


def test_a_before_text_can_start_a_line_of_its_own():
    data = template(b.mergefield("contact_phone", r'\b "Phone: " \f "." \* Upper'))
    assert merged(data, {"contact.phone": "+47 ext"}) == "Phone: +47 EXT."


# ------------------------------------------------------------------ date pictures

DECEMBER_1 = {"interaction.date": "1 December 2026", iso_key("interaction.date"): "2026-12-01"}


@pytest.mark.parametrize(
    "picture, language, expected",
    [
        (r'\@ "d MMMM yyyy"', "en", "1 December 2026"),
        (r'\@ "dddd, MMMM d, yyyy"', "en", "Tuesday, December 1, 2026"),
        (r'\@ "dd.MM.yy"', "en", "01.12.26"),
        (r"\@ dd/MM/yyyy", "en", "01/12/2026"),
        (r'\@ "ddd d MMM yyyy"', "en", "Tue 1 Dec 2026"),
        ("\\@ \"d 'of' MMMM\"", "en", "1 of December"),
        (r'\@ "yyyy-MM-dd HH:mm:ss"', "en", "2026-12-01 00:00:00"),
        (r'\@ "h:mm am/pm"', "en", "12:00 am"),
        (r'\@ "h:mm AM/PM"', "en", "12:00 AM"),
        (r'\@ "dddd, d. MMMM yyyy"', "de", "Dienstag, 1. Dezember 2026"),
        (r'\@ "d. MMM yyyy"', "de-AT", "1. Dez 2026"),
        (r'\@ "dddd d MMMM yyyy"', "fr", "mardi 1 décembre 2026"),
        (r'\@ "d MMMM yyyy"', "nl", "1 december 2026"),
        ("\\@ \"d 'de' MMMM 'de' yyyy\"", "es", "1 de diciembre de 2026"),
        (r'\@ "d MMMM yyyy"', "it", "1 dicembre 2026"),
        (r'\@ "d. MMMM yyyy"', "da", "1. december 2026"),
        (r'\@ "dddd d MMMM yyyy"', "sv", "tisdag 1 december 2026"),
        (r'\@ "d MMMM yyyy"', "xx", "1 December 2026"),
    ],
)
def test_date_pictures_print_names_in_the_letters_language(picture, language, expected):
    values = {**DECEMBER_1, LANGUAGE_KEY: language}
    assert one_field("interaction_date", picture, "ignored", **values) == f"[{expected}]"


def test_today_takes_a_date_picture_too():
    values = {"today": "24 December 2026", iso_key("today"): "2026-12-24", LANGUAGE_KEY: "de"}
    assert one_field("today", r'\@ "d. MMMM"', "", **values) == "[24. Dezember]"


def test_a_letter_stored_before_iso_dates_reads_its_written_date_back_in_its_language():
    values = {"interaction.date": "1. Dezember 2026"}
    assert one_field("interaction_date", r'\@ "MMMM yyyy"', "1. Dezember 2026", **values) == "[Dezember 2026]"


def test_an_empty_date_prints_nothing_not_even_its_before_text():
    assert one_field("interaction_date", r'\b "Date: " \@ "d.M.yyyy"', "") == "[]"


# ------------------------------------------------------------------ numeric pictures


@pytest.mark.parametrize(
    "picture, value, expected",
    [
        (r'\# "#,##0"', "1234567", "1,234,567"),
        (r'\# "000000"', "42", "000042"),
        (r'\# "0.00"', "42", "42.00"),
        (r'\# "0.0"', "2.25", "2.3"),
        (r'\# "0.0"', "-2.25", "-2.3"),
        (r"\# $###", "15", "$ 15"),
        (r"\# 00.00", "9", "09.00"),
        (r"\# x##", "222492", "492"),
        ("\\# \"#,##0.00 'EUR'\"", "1234.5", "1,234.50 EUR"),
        ("\\# \"0;(0);'none'\"", "-5", "(5)"),
        ("\\# \"0;(0);'none'\"", "0", "none"),
        ("\\# \"0;(0);'none'\"", "7", "7"),
        (r'\# "0%"', "12", "12%"),
        (r'\# "+0"', "3", "+3"),
        ("\\# \"'No.' 0\"", "17", "No. 17"),
        (r'\# "0"', "n/a", "n/a"),  # not a number: Word leaves it as it is
        (r'\# "0.00"', "1" * 40, "1" * 40),  # beyond decimal precision: printed as it is
    ],
)
def test_numeric_pictures(picture, value, expected):
    assert one_field("interaction_entry_no", picture, value) == f"[{expected}]"


# ------------------------------------------------------------------ IF fields


def salutation_if(false_switch: str = "") -> b.FieldRuns:
    """IF «country» = "DE" "Sehr geehrte(r) «name»" "Dear «name»", the German text partly bold."""
    return b.field(
        " IF ",
        b.mergefield("contact_country_code"),
        ' = "DE" "',
        ("Sehr geehrte(r) ", BOLD),
        b.mergefield("contact_name"),
        '" "Dear ',
        b.mergefield("contact_name", false_switch or r"\* MERGEFORMAT"),
        '" \\* MERGEFORMAT ',
        result="Dear «contact_name»",
    )


def test_if_chooses_the_text_with_nested_fields_merged_and_its_formatting_kept():
    data = template(salutation_if(), ",")
    compiled = compile_docx(data)
    german = b.read(compiled.render({"contact.country_code": "DE", "contact.name": "Frau Weber"}))
    assert german.paragraphs[0].text == "Sehr geehrte(r) Frau Weber,"
    runs = {run.text: run for run in german.paragraphs[0].runs}
    assert runs["Sehr geehrte(r) "].bold and not runs["Frau Weber"].bold
    english = compiled.render({"contact.country_code": "GB", "contact.name": "Ms Lovelace"})
    assert b.text_of(english) == "Dear Ms Lovelace,"
    assert b.all_instructions(english) == []  # no stale «result» next to the value: the field is gone


def test_a_switch_inside_the_chosen_text_applies_to_its_field():
    data = template(salutation_if(r"\* Upper"))
    assert merged(data, {"contact.country_code": "US", "contact.name": "Lovelace"}) == "Dear LOVELACE"


@pytest.mark.parametrize(
    "operator, right, value, expected",
    [
        ("=", '"Berlin"', "Berlin", "yes"),
        ("=", '"berlin"', "Berlin", "no"),  # Word compares text case-sensitively
        ("<>", '"Berlin"', "Bonn", "yes"),
        ("=", '"B*n"', "Berlin", "yes"),
        ("=", '"B*n"', "Bern", "yes"),
        ("=", '"B*n"', "Berlin West", "no"),
        ("=", '"B?nn"', "Bonn", "yes"),
        ("=", '"B?nn"', "Boonn", "no"),
        ("<>", '"B*"', "Oslo", "yes"),
        ("<>", '"B*"', "Bonn", "no"),
        ("=", '""', "", "yes"),
        ("<", '"M"', "Berlin", "yes"),
        (">=", '"M"', "Oslo", "yes"),
    ],
)
def test_if_compares_text_with_wildcards(operator, right, value, expected):
    data = template(b.field(" IF ", b.mergefield("contact_city"), f' {operator} {right} "yes" "no" '))
    assert merged(data, {"contact.city": value}) == expected


@pytest.mark.parametrize(
    "operator, right, value, expected",
    [
        (">", "9", "10", "yes"),  # as text "10" < "9": Word compares numbers as numbers
        ("<", "9", "10", "no"),
        ("=", '"10.0"', "10", "yes"),
        ("<=", "10", "10", "yes"),
        ("<>", "10", "11", "yes"),
        (">", "9", "abc", "yes"),  # not both numbers: text comparison
    ],
)
def test_if_compares_numbers_when_both_sides_are_numbers(operator, right, value, expected):
    data = template(b.field(" IF ", b.mergefield("interaction_entry_no"), f' {operator} {right} "yes" "no" '))
    assert merged(data, {"interaction.entry_no": value}) == expected


def test_nested_if_fields_and_a_field_in_both_operands():
    inner = b.field(" IF ", b.mergefield("contact_city"), ' = "Paris" "Bonjour" "Hello" ')
    outer = b.field(
        " IF ",
        b.mergefield("contact_country_code"),
        " = ",
        b.mergefield("company_country_code"),
        ' "',
        inner,
        ' again" "Welcome" \\* Upper ',
    )
    data = template(outer, "!")
    same = {"contact.country_code": "FR", "company.country_code": "FR"}
    assert merged(data, {**same, "contact.city": "Paris"}) == "BONJOUR AGAIN!"
    assert merged(data, {**same, "contact.city": "Lyon"}) == "HELLO AGAIN!"
    assert merged(data, {"contact.country_code": "FR", "company.country_code": "DE"}) == "WELCOME!"


def test_if_without_a_false_text_writes_nothing_when_false_and_a_quoted_operand_may_hold_spaces():
    data = template("A", b.field(' IF "', b.mergefield("contact_city"), '" = "New York" " (NYC)" '), ".")
    assert merged(data, {"contact.city": "New York"}) == "A (NYC)."
    assert merged(data, {"contact.city": "Boston"}) == "A."


def test_a_quotation_mark_inside_a_text_is_escaped_with_a_backslash():
    data = template(b.field(' IF 1 = 1 "say \\"hi\\"" "no" '))
    assert merged(data, {}) == 'say "hi"'


def test_simple_fields_with_switches_and_a_simple_if_field():
    document = b.new_document()
    paragraph = document.add_paragraph("To ")
    b.add_fld_simple(paragraph, "contact_name", switches=r"\* Upper \f &quot;!&quot;")
    paragraph._p.append(
        b.parse_xml(
            f'<w:fldSimple {b.nsdecls("w")} w:instr=\' IF 2 &gt; 10 "bigger" "smaller" \'>'
            "<w:r><w:t>x</w:t></w:r></w:fldSimple>"
        )
    )
    out = compile_docx(b.to_bytes(document)).render({"contact.name": "Ada"})
    assert b.text_of(out) == "To ADA!smaller"
    assert b.all_instructions(out) == []


# ------------------------------------------------------------------ everywhere in the letter


def test_fields_merge_in_body_table_header_footer_text_box_footnote_and_endnote_and_page_fields_stay():
    document = b.new_document()
    section = document.sections[0]
    b.append_runs(section.header.paragraphs[0], "Page ", b.field(" PAGE ", result="1"), " of ", b.field(" NUMPAGES "))
    b.append_runs(section.header.add_paragraph(), b.mergefield("company_name", r"\* Upper"))
    b.append_runs(section.header.add_paragraph(), "Printed ", b.field(' DATE \\@ "d.M.yyyy" ', result="1.1.2020"))
    b.append_runs(section.footer.paragraphs[0], salutation_if())
    b.append_runs(document.add_paragraph(), "Body ", b.mergefield("interaction_entry_no", r'\# "00000"'))
    cell = document.add_table(rows=1, cols=1).cell(0, 0)
    b.append_runs(cell.paragraphs[0], b.mergefield("contact_city", r'\b "City: "'))
    b.add_text_box(document.add_paragraph(), "Box ", runs=salutation_if(r"\* Upper"))
    data = b.with_notes(
        b.to_bytes(document),
        footnote=b.mergefield("contact_name", r"\* Lower"),
        endnote=b.field(" IF ", b.mergefield("contact_country_code"), ' = "DE" "Deutschland" "abroad" '),
    )
    values = {"company.name": "Acme", "contact.country_code": "DE", "contact.name": "Weber"}
    out = compile_docx(data).render({**values, "interaction.entry_no": "42", "contact.city": "Köln"})

    letter = b.read(out)
    header = [p.text for p in letter.sections[0].header.paragraphs]
    assert header == ["Page 1 of ", "ACME", "Printed 1.1.2020"]
    assert letter.sections[0].footer.paragraphs[0].text == "Sehr geehrte(r) Weber"
    assert letter.paragraphs[0].text == "Body 00042"
    assert letter.tables[0].cell(0, 0).text == "City: Köln"
    assert b.text_box_texts(letter) == ["Box Sehr geehrte(r) Weber"] * 2
    with zipfile.ZipFile(io.BytesIO(out)) as zf:
        assert ">weber<" in zf.read("word/footnotes.xml").decode()
        assert ">Deutschland<" in zf.read("word/endnotes.xml").decode()
    instructions = " ".join(b.all_instructions(out))
    assert "MERGEFIELD" not in instructions and "IF" not in instructions.split()
    assert instructions.split() == ["PAGE", "NUMPAGES", "DATE", "\\@", '"d.M.yyyy"']


def test_the_compiled_template_names_every_field_it_uses_nested_ones_included():
    compiled = compile_docx(template(salutation_if(), b.mergefield("today", r'\@ "yyyy"')))
    assert compiled.fields == {"contact.country_code", "contact.name", "today"}


def test_templates_without_switches_render_to_the_same_bytes_as_before():
    """Stored letters re-render from template and values; plain fields keep the plain slot."""
    data = template("Dear ", b.mergefield("contact_name"), " {{ contact.city }}")
    out = compile_docx(data).render({"contact.name": "Ada", "contact.city": "Oslo"})
    with zipfile.ZipFile(io.BytesIO(out)) as zf:
        body = zf.read("word/document.xml").decode()
    assert '<w:r><w:t xml:space="preserve">Ada</w:t></w:r>' in body


# ------------------------------------------------------------------ refused at upload, naming the field code


@pytest.mark.parametrize(
    "pieces, message",
    [
        (
            [b.mergefield("contact_name", r"\* Roman")],
            r"{ MERGEFIELD contact_name \* Roman } cannot be merged: the switch \* Roman is not supported",
        ),
        ([b.mergefield("contact_name", r"\* Ordinal")], r"\* Ordinal is not supported"),
        ([b.mergefield("contact_name", r"\m")], r"{ MERGEFIELD contact_name \m } cannot be merged"),
        (
            [b.mergefield("contact_name", r'\@ "d MMMM"')],
            "the date picture \\@ applies to date fields (such as interaction.date), not contact.name",
        ),
        ([b.mergefield("contact_name", r"\b")], r"the switch \b has no argument"),
        (
            [b.field(" IF ", b.mergefield("contact_city"), ' "Berlin" "yes" "no" ')],
            '{ IF { MERGEFIELD contact_city \\* MERGEFORMAT } "Berlin" "yes" "no" } cannot be merged',
        ),
        (
            [b.field(" IF ", b.mergefield("contact_city"), ' == "Berlin" "yes" "no" ')],
            '"==" is not a comparison',
        ),
        ([b.field(' IF 1 = 1 "yes" "no" "maybe" "more" ')], "too many words"),
        ([b.field(' IF 1 = 1 "yes ')], "a quotation mark is not closed"),
        (
            [b.field(" IF ", b.field(" PAGE "), ' > 1 "more" "" ')],
            '{ IF { PAGE } > 1 "more" "" } cannot be merged: the nested field { PAGE } is not a MERGEFIELD',
        ),
        (
            [b.field(' HYPERLINK "mailto:', b.mergefield("contact_email"), '" ')],
            "only MERGEFIELD and IF fields may hold merge fields",
        ),
        ([b.field(' IF 1 = 1 "yes" "no" \\@ "d" ')], r"the switch \@ is not supported on IF"),
    ],
)
def test_what_cannot_be_evaluated_is_refused_naming_the_field_code(pieces, message):
    with pytest.raises(MergeTemplateError) as error:
        compile_docx(template(*pieces))
    assert message in str(error.value)


def test_an_if_field_over_several_paragraphs_is_refused():
    document = b.new_document()
    begin = '<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText> IF 1 = 1 "one</w:instrText></w:r>'
    end = '<w:r><w:instrText>two" "no" </w:instrText></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r>'
    b.append_runs(document.add_paragraph(), b.FieldRuns(begin))
    b.append_runs(document.add_paragraph(), b.FieldRuns(end))
    with pytest.raises(MergeTemplateError, match=r"{ IF 1 = 1 \"one } cannot be merged: it runs over several"):
        compile_docx(b.to_bytes(document))


def test_unknown_fields_inside_an_if_are_named_like_any_other():
    data = template(b.field(" IF ", b.mergefield("shoe_size"), ' > 42 "big" "" '))
    with pytest.raises(MergeTemplateError) as error:
        compile_docx(data)
    assert error.value.unknown_fields == ["shoe_size"]


def test_page_fields_alone_leave_the_part_untouched():
    document = b.new_document()
    b.append_runs(document.sections[0].footer.paragraphs[0], b.field(" PAGE ", result="1"))
    document.add_paragraph("{{ contact.name }}")
    data = b.to_bytes(document)
    out = compile_docx(data).render({"contact.name": "Ada"})
    with zipfile.ZipFile(io.BytesIO(data)) as before, zipfile.ZipFile(io.BytesIO(out)) as after:
        footer = next(n for n in before.namelist() if n.startswith("word/footer"))
        assert before.read(footer) == after.read(footer)
    assert len(b.read(out).sections[0].footer.paragraphs[0]._p.findall(qn("w:r") + "/" + qn("w:fldChar"))) == 3


def test_a_date_value_that_is_not_a_date_is_left_as_it_is():
    assert one_field("interaction_date", r'\@ "d MMMM"', "next week") == "[next week]"


def test_iso_dates_in_values_win_over_the_written_date():
    values = {iso_key("interaction.date"): datetime.date(2027, 2, 3).isoformat(), LANGUAGE_KEY: "fr"}
    assert one_field("interaction_date", r'\@ "d MMMM yyyy"', "3 February 2027", **values) == "[3 février 2027]"


# ------------------------------------------------------------------ logged letters and upload validation


def date_letter() -> bytes:
    return template(
        b.mergefield("interaction_date", r'\@ "dddd, d. MMMM yyyy"'),
        " / ",
        b.mergefield("today", r'\@ "MMMM"'),
        " / ",
        b.field(' IF "', b.mergefield("contact_city"), '" = "K*" "Köln" "anderswo" '),
    )


@pytest.mark.django_db
def test_a_german_letter_logged_for_a_german_contact_says_dezember(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda: datetime.date(2026, 12, 24))
    person = PersonFactory(name="Anna Weber", language_code="de", city="Köln")
    template = word_template()
    variant = InteractionTemplateLanguageFactory(template=template, language_code="de", subject="Willkommen")
    variant.attachment.save("brief.docx", ContentFile(date_letter()), save=True)

    entry = interaction_create(
        contact=person, template=template, description="Besuch", user=None, date=datetime.date(2026, 12, 1)
    )

    assert entry.language_code == "de"
    data = entry_document_bytes(entry)[0]
    assert b.text_of(data) == "Dienstag, 1. Dezember 2026 / Dezember / Köln"
    assert entry_document_bytes(type(entry).objects.get(pk=entry.pk))[0] == data  # re-rendered byte for byte


@pytest.mark.django_db
def test_the_letters_language_is_the_entrys_not_the_contacts():
    person = PersonFactory(language_code="fr")
    values = contact_merge_values(person, date=datetime.date(2026, 12, 1), language_code="de")
    out = compile_docx(date_letter()).render(values)
    assert b.text_of(out).startswith("Dienstag, 1. Dezember 2026 / ")


@pytest.mark.django_db
def test_an_unknown_switch_is_refused_at_upload_naming_the_field_code_and_nothing_is_saved():
    template = InteractionTemplateFactory.build(code="UPLOAD", group=InteractionTemplateFactory().group)
    data = template_bytes_with(b.mergefield("contact_name", r"\* Ordinal"))
    template.attachment = SimpleUploadedFile("letter.docx", data)
    with pytest.raises(ValidationError) as error:
        template.full_clean()
    message = " ".join(error.value.message_dict["attachment"])
    assert r"{ MERGEFIELD contact_name \* Ordinal }" in message
    assert not InteractionTemplate.objects.filter(code="UPLOAD").exists()


def template_bytes_with(*pieces) -> bytes:
    return template("Dear ", *pieces)


def test_validating_a_template_full_of_field_codes_takes_under_a_second():
    document = b.new_document()
    for n in range(100):
        b.append_runs(document.add_paragraph(), f"Paragraph {n}: ", salutation_if(r"\* Caps"), " ")
        b.append_runs(document.add_paragraph(), b.mergefield("interaction_date", r'\@ "d. MMMM yyyy"'))
    upload = SimpleUploadedFile("letter.docx", b.to_bytes(document))
    started = time.perf_counter()
    validate_template_attachment(upload)
    assert time.perf_counter() - started < 1.0


def test_the_benchmarks_field_code_letter_merges_every_field_code_it_holds():
    values = {
        "contact.country_code": "GB",
        "contact.city": "London",
        "contact.name": "ada lovelace",
        "contact.post_code": "EC1",
        "interaction.entry_no": "12345",
        iso_key("interaction.date"): "2026-12-01",
        iso_key("today"): "2026-12-24",
        "interaction.date": "1 December 2026",
        "today": "24 December 2026",
        LANGUAGE_KEY: "de",
    }
    out = compile_docx(field_code_letter_docx()).render(values)
    letter = b.read(out)
    assert [p.text for p in letter.paragraphs[-3:]] == [
        "Dear Londoners Ada Lovelace",
        "Dienstag, 1. Dezember 2026 – Nr. 12,345, EC1 LONDON",
        "STAMMKUNDE",
    ]
    assert letter.sections[0].footer.paragraphs[-1].text == "24.12.2026"
    assert not any("MERGEFIELD" in i or "IF" in i.split() for i in b.all_instructions(out))


def test_a_template_stored_before_field_codes_were_evaluated_still_merges_as_it_did():
    data = template(
        b.mergefield("contact_name", r"\* Roman"),
        " ",
        b.field(" IF ", b.field(" PAGE ", result="1"), ' > 1 "more" "" ', result="x"),
        " ",
        b.mergefield("contact_city", r"\* Upper"),
    )
    with pytest.raises(MergeTemplateError):
        compile_docx(data)
    out = compile_docx(data, strict=False).render({"contact.name": "Ada", "contact.city": "Oslo"})
    # The IF around PAGE is left to Word as it was: the text read holds both cached results ("1", "x").
    assert b.text_of(out) == "Ada 1x OSLO"
    assert [i.strip() for i in b.all_instructions(out)] == ["IF", "PAGE", '> 1 "more" ""']


@pytest.mark.django_db
def test_a_stored_snapshot_is_compiled_leniently_for_its_letters():
    data = template("Dear ", b.mergefield("contact_name", r"\* Ordinal"))
    snapshot = store_document(data, filename="old.docx", content_type="application/octet-stream")
    assert b.text_of(compiled_docx(snapshot).render({"contact.name": "Ada"})) == "Dear Ada"


@pytest.mark.parametrize(
    "switches, value, expected",
    [
        (r"\* FirstCap", "RICHARD", "[RICHARD]"),  # FirstCap only raises the first letter, as in Word
        (r"\*lower \*firstcap", "RICHARD", "[Richard]"),
        (r"\* Caps", "van der BERG", "[Van Der BERG]"),
        (r"\* Upper \* Lower", "Ada", "[ada]"),
    ],
)
def test_several_case_switches_apply_in_the_order_written(switches, value, expected):
    assert one_field("contact_name", switches, value) == expected


@settings(max_examples=200, deadline=None)
@given(
    value=st.one_of(st.text(max_size=40), st.decimals(allow_nan=False, allow_infinity=False).map(str)),
    switches=st.sampled_from(
        [r'\# "#,##0.00;(#,##0.00);-"', r"\# x##.0x", r'\@ "dddd d MMMM yy"', r"\* Caps \* FirstCap", r'\b "a" \f "b"']
    ),
)
def test_any_value_through_any_switch_merges_without_error(value, switches):
    field = "interaction.date" if "@" in switches else "interaction.entry_no"
    compiled = _switch_templates(switches)
    assert isinstance(compiled.render({field: value}), bytes)


@functools.cache
def _switch_templates(switches: str):
    name = "interaction_date" if "@" in switches else "interaction_entry_no"
    return compile_docx(template(b.mergefield(name, switches)))


WORD_2016_PARAGRAPH = """
<w:p w:rsidR="00A1" w:rsidRDefault="00A1">
  <w:r><w:t xml:space="preserve">Hello </w:t></w:r>
  <w:r w:rsidR="00B2"><w:fldChar w:fldCharType="begin"/></w:r>
  <w:r w:rsidR="00B2"><w:instrText xml:space="preserve"> IF </w:instrText></w:r>
  <w:r w:rsidR="00B2"><w:fldChar w:fldCharType="begin"/></w:r>
  <w:r w:rsidR="00B2"><w:instrText xml:space="preserve"> MERGEFIELD </w:instrText></w:r>
  <w:r w:rsidR="00B2"><w:instrText>contact_city</w:instrText></w:r>
  <w:r w:rsidR="00B2"><w:instrText xml:space="preserve"> </w:instrText></w:r>
  <w:r w:rsidR="00B2"><w:fldChar w:fldCharType="separate"/></w:r>
  <w:r w:rsidR="00C3"><w:rPr><w:noProof/></w:rPr><w:t>«contact_city»</w:t></w:r>
  <w:r w:rsidR="00B2"><w:fldChar w:fldCharType="end"/></w:r>
  <w:r w:rsidR="00B2"><w:instrText xml:space="preserve"> = "</w:instrText></w:r>
  <w:proofErr w:type="spellStart"/>
  <w:r w:rsidR="00B2"><w:instrText>K</w:instrText></w:r>
  <w:r w:rsidR="00B2"><w:instrText>ö</w:instrText></w:r>
  <w:r w:rsidR="00B2"><w:instrText>ln</w:instrText></w:r>
  <w:proofErr w:type="spellEnd"/>
  <w:r w:rsidR="00B2"><w:instrText xml:space="preserve">" "</w:instrText></w:r>
  <w:bookmarkStart w:id="0" w:name="_GoBack"/><w:bookmarkEnd w:id="0"/>
  <w:r w:rsidR="00B2"><w:rPr><w:i/></w:rPr><w:instrText>neighbour</w:instrText></w:r>
  <w:r w:rsidR="00B2"><w:instrText xml:space="preserve">" "</w:instrText></w:r>
  <w:r w:rsidR="00B2"><w:instrText>guest</w:instrText></w:r>
  <w:r w:rsidR="00B2"><w:instrText xml:space="preserve">" </w:instrText></w:r>
  <w:r w:rsidR="00B2"><w:fldChar w:fldCharType="separate"/></w:r>
  <w:r w:rsidR="00C3"><w:rPr><w:noProof/></w:rPr><w:t>guest</w:t></w:r>
  <w:r w:rsidR="00B2"><w:fldChar w:fldCharType="end"/></w:r>
  <w:r><w:t>!</w:t></w:r>
</w:p>"""


def test_an_if_field_exactly_as_word_2016_saves_it_with_proofing_marks_and_a_bookmark_inside():
    document = b.new_document()
    document.element.body.insert(0, b.parse_xml(WORD_2016_PARAGRAPH.replace("<w:p ", f"<w:p {b.nsdecls('w')} ", 1)))
    compiled = compile_docx(b.to_bytes(document))
    local = b.read(compiled.render({"contact.city": "Köln"})).paragraphs[0]
    assert local.text == "Hello neighbour!"
    assert [run.text for run in local.runs if run.italic] == ["neighbour"]
    assert b.text_of(compiled.render({"contact.city": "Bonn"})).startswith("Hello guest!")
