"""The HTML e-mail body merge: same syntax and errors as .docx, values always escaped."""

from __future__ import annotations

import pytest

from interactions.merge import MergeTemplateError, compile_html, html_fields


def test_render_escapes_every_value_and_keeps_template_markup():
    compiled = compile_html('<p>Dear {{ contact.name }},</p><a href="{{ company.email }}">x</a>')
    out = compiled.render(
        {"contact.name": "<script>alert('x')</script> & co", "company.email": '"><img src=x onerror=1>'}
    )
    assert out == (
        "<p>Dear &lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; co,</p>"
        '<a href="&quot;&gt;&lt;img src=x onerror=1&gt;">x</a>'
    )


def test_newlines_become_br_and_control_characters_are_stripped():
    compiled = compile_html("<p>{{ contact.address_block }}</p>")
    out = compiled.render({"contact.address_block": "Jane\r\nMain St 1\n0150 Oslo\x00\x07"})
    assert out == "<p>Jane<br>Main St 1<br>0150 Oslo</p>"


def test_names_are_normalised_and_missing_values_are_empty():
    compiled = compile_html("{{Contact_Name}}|{{ PERSONAL_NOTE }}|{{ today }}")
    assert compiled.fields == {"contact.name", "personal_note", "today"}
    assert compiled.render({"contact.name": "Zoé", "today": None}) == "Zoé||"


def test_unicode_and_rtl_round_trip():
    compiled = compile_html("<p dir='auto'>{{ company.name }} – שלום</p>")
    assert compiled.render({"company.name": "شركة"}) == "<p dir='auto'>شركة – שלום</p>"


def test_unknown_fields_listed_together():
    with pytest.raises(MergeTemplateError) as exc:
        compile_html("{{ contact.nmae }} {{ foo }} {{ foo }} {{ contact.name }}")
    assert exc.value.unknown_fields == ["contact.nmae", "foo"]
    assert str(exc.value).startswith("The template uses unknown merge fields: contact.nmae, foo.")


@pytest.mark.parametrize("text", ["Hi {{ contact.name", "{{ }}", "{{ a {{ contact.name }}"])
def test_malformed_placeholders(text):
    with pytest.raises(MergeTemplateError, match="Malformed placeholder"):
        compile_html(text)


def test_text_without_fields_and_html_fields():
    assert compile_html("<p>plain } { text</p>").render({}) == "<p>plain } { text</p>"
    assert html_fields("{{ today }} {{ segment_no }}") == {"today", "segment.no"}
