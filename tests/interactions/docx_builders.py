"""Build real Word documents for merge-engine tests.

python-docx does runs, tables, headers and footers; raw XML covers what it
cannot: fldSimple, complex fields, proofErr/bookmarks between runs, text boxes.
"""

from __future__ import annotations

import io
import zipfile

import docx
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NS = {"w": W_NS}
# The smallest [Content_Types].xml that says the package is a Word document.
CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Override PartName="/word/document.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
)


def new_document() -> docx.document.Document:
    return docx.Document()


def to_bytes(document) -> bytes:
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def read(data: bytes) -> docx.document.Document:
    return docx.Document(io.BytesIO(data))


def text_of(data: bytes) -> str:
    """The body's paragraphs of a .docx, one per line."""
    return "\n".join(p.text for p in read(data).paragraphs)


def add_runs(paragraph, pieces):
    """``pieces``: (text, {"bold": True, "italic": True, ...}) or plain str."""
    runs = []
    for piece in pieces:
        text, fmt = (piece, {}) if isinstance(piece, str) else piece
        run = paragraph.add_run(text)
        for attr, value in fmt.items():
            setattr(run, attr, value)
        runs.append(run)
    return runs


def insert_before(run, xml: str) -> None:
    """Put raw paragraph-level XML (proofErr, bookmarkStart …) just before ``run``."""
    run._r.addprevious(parse_xml(xml))


def proof_err(kind: str = "spellStart") -> str:
    return f'<w:proofErr {nsdecls("w")} w:type="{kind}"/>'


def bookmark_start(name: str = "_GoBack", id_: int = 0) -> str:
    return f'<w:bookmarkStart {nsdecls("w")} w:id="{id_}" w:name="{name}"/>'


def add_fld_simple(paragraph, field: str, *, bold: bool = False, switches: str = r"\* MERGEFORMAT") -> None:
    bold_xml = "<w:b/>" if bold else ""
    paragraph._p.append(
        parse_xml(
            f'<w:fldSimple {nsdecls("w")} w:instr=" MERGEFIELD {field} {switches} ">'
            f"<w:r><w:rPr>{bold_xml}<w:noProof/></w:rPr><w:t>«{field}»</w:t></w:r></w:fldSimple>"
        )
    )


def add_complex_field(
    paragraph, field: str, *, instr_pieces=None, italic_result: bool = True, switches: str = r"\* MERGEFORMAT"
) -> None:
    """begin / instrText (split over ``instr_pieces`` runs) / separate / result / end."""
    instr = f" MERGEFIELD {field} {switches} "
    pieces = instr_pieces or [instr]
    assert "".join(pieces) == instr
    result_rpr = "<w:rPr><w:i/></w:rPr>" if italic_result else ""
    xml = ['<w:r><w:fldChar w:fldCharType="begin"/></w:r>']
    xml += [f'<w:r><w:instrText xml:space="preserve">{p}</w:instrText></w:r>' for p in pieces]
    xml += [
        '<w:r><w:fldChar w:fldCharType="separate"/></w:r>',
        f"<w:r>{result_rpr}<w:t>«{field}»</w:t></w:r>",
        '<w:r><w:fldChar w:fldCharType="end"/></w:r>',
    ]
    wrapper = parse_xml(f"<w:p {nsdecls('w')}>{''.join(xml)}</w:p>")
    for run in list(wrapper):
        paragraph._p.append(run)


TEXT_BOX_NS = (
    'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
    'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" '
    'xmlns:v="urn:schemas-microsoft-com:vml"'
)


def add_text_box(paragraph, text: str, *, runs: str = "") -> None:
    """A text box as Word writes it: mc:AlternateContent, DrawingML Choice + VML Fallback.

    ``runs``: raw run XML (fields) after the text.
    """
    body = f'<w:p><w:r><w:t xml:space="preserve">{text}</w:t></w:r>{runs}</w:p>'
    xml = f"""
<w:r {nsdecls("w", "wp", "a")} {TEXT_BOX_NS}>
  <mc:AlternateContent>
    <mc:Choice Requires="wps">
      <w:drawing>
        <wp:anchor distT="0" distB="0" distL="114300" distR="114300" simplePos="0"
                   relativeHeight="1" behindDoc="0" locked="0" layoutInCell="1" allowOverlap="1">
          <wp:simplePos x="0" y="0"/>
          <wp:positionH relativeFrom="column"><wp:posOffset>0</wp:posOffset></wp:positionH>
          <wp:positionV relativeFrom="paragraph"><wp:posOffset>0</wp:posOffset></wp:positionV>
          <wp:extent cx="2000000" cy="500000"/>
          <wp:effectExtent l="0" t="0" r="0" b="0"/>
          <wp:wrapNone/>
          <wp:docPr id="1" name="Text Box 1"/>
          <wp:cNvGraphicFramePr/>
          <a:graphic>
            <a:graphicData uri="http://schemas.microsoft.com/office/word/2010/wordprocessingShape">
              <wps:wsp>
                <wps:cNvSpPr txBox="1"/>
                <wps:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="2000000" cy="500000"/></a:xfrm>
                  <a:prstGeom prst="rect"><a:avLst/></a:prstGeom></wps:spPr>
                <wps:txbx><w:txbxContent>{body}</w:txbxContent></wps:txbx>
                <wps:bodyPr/>
              </wps:wsp>
            </a:graphicData>
          </a:graphic>
        </wp:anchor>
      </w:drawing>
    </mc:Choice>
    <mc:Fallback>
      <w:pict>
        <v:shape id="Text Box 1" type="#_x0000_t202" style="width:157pt;height:39pt">
          <v:textbox><w:txbxContent>{body}</w:txbxContent></v:textbox>
        </v:shape>
      </w:pict>
    </mc:Fallback>
  </mc:AlternateContent>
</w:r>"""
    paragraph._p.append(parse_xml(xml))


def text_box_texts(document) -> list[str]:
    """Text of every paragraph inside text boxes (Choice and Fallback copies)."""
    out = []
    for p in document.element.body.iter(qn("w:txbxContent")):
        for para in p.iter(qn("w:p")):
            out.append(_xml_text(para))
    return out


def _xml_text(p) -> str:
    parts = []
    for el in p.iter(qn("w:t"), qn("w:br")):
        parts.append("\n" if el.tag == qn("w:br") else (el.text or ""))
    return "".join(parts)


def make_zip(members: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def letter_template() -> bytes:
    """A one-page letter with ~10 fields, some split across runs, one MERGEFIELD."""
    d = new_document()
    d.sections[0].header.paragraphs[0].text = "{{ company.name }} - {{ today }}"
    d.add_paragraph("{{ contact.address_block }}")
    d.add_paragraph("")
    p = d.add_paragraph()
    add_runs(p, ["Our ref: ", ("{{ inter", {"bold": True}), "action.entry_no }}"])
    d.add_paragraph("Dear {{ contact.salutation }} {{ contact.name }},")
    for _ in range(6):
        d.add_paragraph(
            "Thank you for your interest in our products. This paragraph is filler text "
            "that stands for the body of a real one-page letter, about so long."
        )
    d.add_paragraph("Regarding: {{ interaction.subject }}")
    d.add_paragraph("{{ personal_note }}")
    p = d.add_paragraph("Kind regards, ")
    add_fld_simple(p, "salesperson_name")
    d.add_paragraph("{{ salesperson.email }} / {{ salesperson.phone }}")
    return to_bytes(d)


# ------------------------------------------------------------------ Word field codes as Word writes them


class FieldRuns(str):
    """The runs of one complex field (XML without a namespace declaration), to append or nest."""


def _instr_run(text: str, rpr: str = "") -> str:
    rpr_xml = f"<w:rPr>{rpr}</w:rPr>" if rpr else ""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f'<w:r>{rpr_xml}<w:instrText xml:space="preserve">{escaped}</w:instrText></w:r>'


def field(*parts, result: str = "", result_rpr: str = "") -> FieldRuns:
    """A complex field: begin, the instruction, separate, the cached result, end.

    ``parts``: instruction text (str, one w:instrText run each, as Word splits them), (text, rPr XML) for
    formatted instruction text (the texts of an IF field), or nested fields (FieldRuns).
    """
    xml = ['<w:r><w:fldChar w:fldCharType="begin"/></w:r>']
    for part in parts:
        if isinstance(part, FieldRuns):
            xml.append(part)
        elif isinstance(part, tuple):
            xml.append(_instr_run(*part))
        else:
            xml.append(_instr_run(part))
    xml.append('<w:r><w:fldChar w:fldCharType="separate"/></w:r>')
    if result:
        rpr_xml = f"<w:rPr>{result_rpr}</w:rPr>" if result_rpr else ""
        xml.append(f'<w:r>{rpr_xml}<w:t xml:space="preserve">{result}</w:t></w:r>')
    xml.append('<w:r><w:fldChar w:fldCharType="end"/></w:r>')
    return FieldRuns("".join(xml))


def mergefield(name: str, switches: str = r"\* MERGEFORMAT", result_rpr: str = "") -> FieldRuns:
    """A MERGEFIELD as Word inserts it: the instruction split over runs, «name» as the cached result."""
    return field(" MERGEFIELD ", name, f" {switches} " if switches else " ", result=f"«{name}»", result_rpr=result_rpr)


def append_runs(paragraph, *pieces) -> None:
    """Append plain text (str) and fields (FieldRuns) to a python-docx paragraph."""
    for piece in pieces:
        if isinstance(piece, FieldRuns):
            wrapper = parse_xml(f"<w:p {nsdecls('w')}>{piece}</w:p>")
            for run in list(wrapper):
                paragraph._p.append(run)
        else:
            paragraph.add_run(piece)


def all_instructions(data: bytes) -> list[str]:
    """Every field instruction left in any story part of a .docx (complex and simple fields)."""
    out = []
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for name in zf.namelist():
            if name.startswith("word/") and name.endswith(".xml"):
                root = parse_xml(zf.read(name))
                out += [t.text or "" for t in root.iter(qn("w:instrText"))]
                out += [f.get(qn("w:instr")) for f in root.iter(qn("w:fldSimple"))]
    return out


_NOTES = {
    "footnotes": (
        "footnote",
        "footnoteReference",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml",
    ),
    "endnotes": (
        "endnote",
        "endnoteReference",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.endnotes+xml",
    ),
}


def with_notes(data: bytes, *, footnote: str, endnote: str) -> bytes:
    """Add a footnote and an endnote (paragraph content as run XML) to the body's first paragraph, as Word
    stores them: word/footnotes.xml and word/endnotes.xml with separators, relationships, content types."""
    members = {}
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for name in zf.namelist():
            members[name] = zf.read(name).decode("utf-8") if name.endswith((".xml", ".rels")) else zf.read(name)
    references = ""
    for part, runs in (("footnotes", footnote), ("endnotes", endnote)):
        tag, reference, content_type = _NOTES[part]
        separators = "".join(
            f'<w:{tag} w:type="{kind}" w:id="{n}"><w:p><w:r><w:{kind}/></w:r></w:p></w:{tag}>'
            for n, kind in ((-1, "separator"), (0, "continuationSeparator"))
        )
        members[f"word/{part}.xml"] = (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            f'<w:{part} xmlns:w="{W_NS}">{separators}'
            f'<w:{tag} w:id="1"><w:p><w:r><w:t xml:space="preserve"> </w:t></w:r>{runs}</w:p></w:{tag}></w:{part}>'
        )
        members["[Content_Types].xml"] = members["[Content_Types].xml"].replace(
            "</Types>", f'<Override PartName="/word/{part}.xml" ContentType="{content_type}"/></Types>'
        )
        members["word/_rels/document.xml.rels"] = members["word/_rels/document.xml.rels"].replace(
            "</Relationships>",
            f'<Relationship Id="rIdNotes{part}" '
            f'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/{part}" '
            f'Target="{part}.xml"/></Relationships>',
        )
        references += f'<w:r><w:rPr><w:vertAlign w:val="superscript"/></w:rPr><w:{reference} w:id="1"/></w:r>'
    document = members["word/document.xml"]
    end = document.index("</w:p>")
    members["word/document.xml"] = document[:end] + references + document[end:]
    return make_zip(
        {name: value.encode("utf-8") if isinstance(value, str) else value for name, value in members.items()}
    )
