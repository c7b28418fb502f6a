"""Compile a Word .docx template once, render it many times, fast.

Compiling parses every story part (body, headers, footers, foot/endnotes)
with lxml, rewrites ``{{ field }}`` placeholders and MERGEFIELDs into single
runs holding a slot, and serialises each part into literal byte chunks
interleaved with field names.  Rendering only joins bytes and writes a zip,
so no XML is parsed per letter.
"""

from __future__ import annotations

import dataclasses
import functools
import io
import re
import struct
import zipfile
import zlib
from collections.abc import Mapping
from copy import deepcopy
from dataclasses import dataclass

from lxml import etree

from .docx_safety import PartBudget, check_member, check_members
from .fields import (
    KNOWN_FIELDS,
    MergeTemplateError,
    clean_value,
    normalise_field_name,
    scan_placeholders,
    unknown_fields_error,
)
from .wordfields import FieldProgram, MergeFieldProgram, Nested, compile_instruction, field_keyword

__all__ = ["MergeTemplateError", "CompiledDocx", "compile_docx", "docx_fields"]

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
W_P, W_R, W_T, W_RPR = (f"{{{W_NS}}}{t}" for t in ("p", "r", "t", "rPr"))
W_FLDSIMPLE, W_FLDCHAR, W_INSTRTEXT = (f"{{{W_NS}}}{t}" for t in ("fldSimple", "fldChar", "instrText"))
W_INSTR, W_FLDCHARTYPE = f"{{{W_NS}}}instr", f"{{{W_NS}}}fldCharType"
# Run children that are invisible, so text on either side still joins up.
_TRANSPARENT_RUN_CHILDREN = {W_RPR, f"{{{W_NS}}}lastRenderedPageBreak"}

STORY_PART_RE = re.compile(r"^word/(document|header\d*|footer\d*|footnotes|endnotes)\.xml$")
_SLOT_PI = "crm-merge-slot"  # processing instructions cannot occur in escaped text
_SLOT_SPLIT_RE = re.compile(rb"<\?" + _SLOT_PI.encode() + rb" (\d+)\?>")
_GUILLEMET_RE = re.compile(r"«\s*([A-Za-z][\w.]*)\s*»")  # Word's result text «contact_name»

_MAX_RATIO = 200  # deflated XML rarely exceeds 50:1; zip bombs reach 1000:1
_RATIO_MIN_SIZE = 1 << 20  # tiny members may legitimately compress very well
_DEFLATE_LEVEL = 6
_MB = 1024 * 1024


# --------------------------------------------------------------------------- zip

# Fixed timestamp 1980-01-01 00:00 so output is byte-for-byte reproducible.
_DOS_TIME, _DOS_DATE = 0, (1 << 5) | 1


def _deflate(data: bytes) -> bytes:
    c = zlib.compressobj(_DEFLATE_LEVEL, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


@dataclass(frozen=True)
class _Member:
    """A zip member whose local header and payload are ready-made bytes."""

    name: bytes
    flags: int
    method: int
    crc: int
    csize: int
    usize: int
    local: bytes  # local header + compressed payload


def _member(name: str, data: bytes) -> _Member:
    crc = zlib.crc32(data)
    packed = _deflate(data)
    method = zipfile.ZIP_DEFLATED
    if len(packed) >= len(data):
        packed, method = data, zipfile.ZIP_STORED
    raw_name = name.encode("utf-8")
    flags = 0 if raw_name.isascii() else 0x800  # 0x800: name is UTF-8
    header = struct.pack(
        "<4s2B4HL2L2H",
        b"PK\x03\x04",
        20,
        0,
        flags,
        method,
        _DOS_TIME,
        _DOS_DATE,
        crc,
        len(packed),
        len(data),
        len(raw_name),
        0,
    )
    return _Member(raw_name, flags, method, crc, len(packed), len(data), header + raw_name + packed)


def _write_zip(members: list[_Member]) -> bytes:
    out, central, offset = [], [], 0
    for m in members:
        out.append(m.local)
        central.append(
            struct.pack(
                "<4s4B4HL2L5H2L",
                b"PK\x01\x02",
                20,
                0,
                20,
                0,
                m.flags,
                m.method,
                _DOS_TIME,
                _DOS_DATE,
                m.crc,
                m.csize,
                m.usize,
                len(m.name),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
            + m.name
        )
        offset += len(m.local)
    cd = b"".join(central)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(members), len(members), len(cd), offset, 0)
    return b"".join(out) + cd + end


# ---------------------------------------------------------------------- compile


@dataclass(frozen=True, eq=False)
class _RunSlot:
    """An IF field's result: whole runs (each piece keeps its formatting), placed between runs."""

    program: FieldProgram


_Slot = str | MergeFieldProgram | _RunSlot  # a plain field name | a formatted MERGEFIELD | an IF field


class _Slots:
    """The slots of one part, the run formats their pieces use, and the unknown field names met."""

    def __init__(self, known: frozenset[str], unknown: set[str], strict: bool = True) -> None:
        self.known = known
        self.unknown = unknown
        self.strict = strict
        self.slots: list[_Slot] = []
        self.pis: list[etree._ProcessingInstruction] = []
        self.formats: list[etree._Element | None] = []
        self._format_index: dict[bytes, int] = {}

    def add(self, slot: _Slot) -> etree._ProcessingInstruction:
        self.slots.append(slot)
        self.pis.append(etree.ProcessingInstruction(_SLOT_PI, str(len(self.slots) - 1)))
        return self.pis[-1]

    def resolve(self, raw: str) -> str:
        name = normalise_field_name(raw, self.known)
        if name not in self.known:
            self.unknown.add(raw.strip())
        return name

    def fmt(self, rpr: etree._Element | None) -> int:
        """The index of a run format (a w:rPr, or None for none) in this part's table."""
        key = b"" if rpr is None else etree.tostring(rpr)
        if key not in self._format_index:
            self._format_index[key] = len(self.formats)
            self.formats.append(None if rpr is None else deepcopy(rpr))
        return self._format_index[key]


def _slot_run(anchor: etree._Element, rpr: etree._Element | None, pi) -> etree._Element:
    """A new run before ``anchor`` holding only the slot, formatted like ``rpr``."""
    run = etree.SubElement(anchor.getparent(), W_R)  # created in place: reuses the w: prefix
    anchor.addprevious(run)
    if rpr is not None:
        run.append(deepcopy(rpr))
    t = etree.SubElement(run, W_T)
    t.set(XML_SPACE, "preserve")
    t.append(pi)
    return run


def _place_program(anchor: etree._Element, rpr: etree._Element | None, program: FieldProgram, slots: _Slots) -> None:
    """Put a compiled field where ``anchor`` is: text in a run like ``rpr``, or (IF) runs of its own."""
    if isinstance(program, MergeFieldProgram):
        # A field without switches keeps the plain slot, so letters of templates that never used switches
        # render to the same bytes as before (stored letters re-render from template and values).
        _slot_run(anchor, rpr, slots.add(program.name if program.plain else program))
    else:
        anchor.addprevious(slots.add(_RunSlot(program)))


def _nearest_paragraph(el: etree._Element) -> etree._Element | None:
    el = el.getparent()
    while el is not None and el.tag != W_P:
        el = el.getparent()
    return el


def _paragraph_runs(p: etree._Element) -> list[etree._Element]:
    # Runs may sit in hyperlinks, smart tags, w:ins …; runs of nested text
    # boxes belong to their own paragraphs.
    return [r for r in p.iter(W_R) if _nearest_paragraph(r) is p]


_MERGE_KEYWORDS = {"MERGEFIELD", "IF"}
_LEGACY_MERGEFIELD_RE = re.compile(r'^\s*MERGEFIELD\s+(?:"([^"]*)"|([^\s\\]+))', re.IGNORECASE)


def _compile_field(instr: str, rpr, slots: _Slots, compile_program) -> FieldProgram | None:
    """The field's program; for a stored template (not strict), what the engine did before it evaluated field
    codes: a MERGEFIELD it cannot evaluate prints its plain value, any other field is left to Word (None)."""
    try:
        return compile_program()
    except MergeTemplateError:
        if slots.strict:
            raise
    m = _LEGACY_MERGEFIELD_RE.match(instr)
    if not m:
        return None
    return MergeFieldProgram(name=slots.resolve(m.group(1) or m.group(2)), fmt=slots.fmt(rpr))


def _replace_simple_fields(root: etree._Element, slots: _Slots) -> None:
    for fld in list(root.iter(W_FLDSIMPLE)):
        instr = fld.get(W_INSTR) or ""
        rpr = next((r.find(W_RPR) for r in fld.iter(W_R) if r.find(W_RPR) is not None), None)
        items = [(instr, slots.fmt(rpr))]
        if field_keyword(items) not in _MERGE_KEYWORDS:
            continue  # PAGE, DATE …: not ours
        program = _compile_field(
            instr,
            rpr,
            slots,
            functools.partial(compile_instruction, items, fmt=slots.fmt(rpr), resolve_name=slots.resolve),
        )
        if program is None:
            continue
        _place_program(fld, rpr, program, slots)
        fld.getparent().remove(fld)


class _ComplexField:
    """fldChar begin … end: its instruction (text with the run format of each piece, and nested fields)."""

    def __init__(self) -> None:
        self.runs: list[etree._Element] = []  # every run of a top-level field, nested fields' included
        self.begin_run: etree._Element | None = None
        self.items: list[tuple[str, etree._Element | None] | _ComplexField] = []
        self.result_runs: list[etree._Element] = []
        self.separated = False

    def keyword(self) -> str:
        return field_keyword([Nested("", None) if isinstance(item, _ComplexField) else item for item in self.items])

    def code(self) -> str:
        text = "".join(item.code() if isinstance(item, _ComplexField) else item[0] for item in self.items)
        return "{ " + " ".join(text.split()) + " }"

    def merges(self) -> bool:
        """Is it, or does its instruction hold, a MERGEFIELD or IF field?"""
        return self.keyword() in _MERGE_KEYWORDS or any(
            isinstance(item, _ComplexField) and item.merges() for item in self.items
        )

    def keyword_rpr(self) -> etree._Element | None:
        return next((item[1] for item in self.items if not isinstance(item, _ComplexField) and item[0].strip()), None)

    def result_rpr(self) -> etree._Element | None:
        r"""Word's rule: ``\* CHARFORMAT`` takes the format of the field type's first letter, otherwise the
        previous result's (``\* MERGEFORMAT``, what Word inserts) or the field's own."""
        if "charformat" in self.code().lower():
            return self.keyword_rpr()
        return (self.result_runs[0] if self.result_runs else self.begin_run).find(W_RPR)

    def program(self, slots: _Slots) -> FieldProgram:
        items: list = []
        for item in self.items:
            if isinstance(item, _ComplexField):
                if item.keyword() not in _MERGE_KEYWORDS:
                    raise MergeTemplateError(
                        f"The Word field {self.code()} cannot be merged: the nested field {item.code()} is not a "
                        "MERGEFIELD or IF field."
                    )
                items.append(Nested(item.code(), item.program(slots)))
            else:
                items.append((item[0], slots.fmt(item[1])))
        return compile_instruction(items, fmt=slots.fmt(self.result_rpr()), resolve_name=slots.resolve)


def _replace_complex_fields(runs: list[etree._Element], slots: _Slots) -> None:
    """fldChar begin / instrText… / separate / result… / end, inside one paragraph; nested fields included."""
    stack: list[_ComplexField] = []
    done: list[_ComplexField] = []
    for r in runs:
        top = stack[0] if stack else None
        rpr = r.find(W_RPR)
        for child in r:
            if child.tag == W_FLDCHAR:
                kind = child.get(W_FLDCHARTYPE)
                if kind == "begin":
                    field = _ComplexField()
                    field.begin_run = r
                    if stack and not stack[-1].separated:
                        stack[-1].items.append(field)
                    stack.append(field)
                    top = top or field
                elif kind == "separate" and stack:
                    stack[-1].separated = True
                elif kind == "end" and stack:
                    field = stack.pop()
                    if not stack:
                        done.append(field)
            elif child.tag == W_INSTRTEXT and stack and not stack[-1].separated:
                stack[-1].items.append((child.text or "", rpr))
            elif child.tag == W_T and stack and stack[-1].separated:
                if not stack[-1].result_runs or stack[-1].result_runs[-1] is not r:
                    stack[-1].result_runs.append(r)
        if top is not None:
            top.runs.append(r)
    for field in stack:
        if field.merges() and slots.strict:
            raise MergeTemplateError(
                f"The Word field {field.code()} cannot be merged: it runs over several paragraphs. Keep each "
                "MERGEFIELD and IF field, with its texts, inside one paragraph."
            )
    for field in done:
        if not field.merges():
            continue  # PAGE, NUMPAGES, DATE …: Word's to update
        if field.keyword() not in _MERGE_KEYWORDS:
            if not slots.strict:
                continue
            raise MergeTemplateError(
                f"The Word field {field.code()} cannot be merged: only MERGEFIELD and IF fields may hold merge fields."
            )
        instr = "".join(item[0] for item in field.items if not isinstance(item, _ComplexField))
        program = _compile_field(instr, field.result_rpr(), slots, functools.partial(field.program, slots))
        if program is None:
            continue
        _place_program(field.runs[0], field.result_rpr(), program, slots)
        for r in field.runs:
            r.getparent().remove(r)


def _replace_placeholders(runs: list[etree._Element], slots: _Slots, known) -> None:
    """Rewrite ``{{ x }}`` in the paragraph's text, even when Word split it over runs.

    The placeholder text moves into the w:t where it starts (keeping that
    run's formatting) and is trimmed from the following w:t elements.
    """
    segs: list[tuple[etree._Element, int, int]] = []
    buf: list[str] = []
    pos = 0
    for r in runs:
        for child in r:
            if child.tag == W_T and len(child) == 0:
                text = child.text or ""
                segs.append((child, pos, pos + len(text)))
                buf.append(text)
                pos += len(text)
            elif child.tag not in _TRANSPARENT_RUN_CHILDREN:
                buf.append("\x00")  # tab, break, field char, slot …: placeholders stop here
                pos += 1
    text = "".join(buf)
    if "{{" not in text and "«" not in text:
        return
    matches = scan_placeholders(text)
    braces = list(matches)
    # «name» counts only for known names: French quotes must stay text.
    matches += [
        (m.start(), m.end(), m.group(1))
        for m in _GUILLEMET_RE.finditer(text)
        if normalise_field_name(m.group(1), known) in known
        and not any(s < m.end() and m.start() < e for s, e, _ in braces)
    ]
    if not matches:
        return
    matches.sort()
    for t, start, end in segs:
        pieces: list = []  # str or slot PI
        cursor = start
        touched = False
        for m_start, m_end, raw in matches:
            if m_end <= start or m_start >= end:
                continue
            touched = True
            if m_start >= start:
                pieces.append(text[cursor:m_start])
                pieces.append(slots.add(slots.resolve(raw)))
            cursor = max(cursor, min(m_end, end))
        if not touched:
            continue
        pieces.append(text[cursor:end])
        if any(not isinstance(piece, str) or piece for piece in pieces):
            _set_pieces(t, pieces)
        else:
            _remove_emptied(t)


def _remove_emptied(t: etree._Element) -> None:
    """Drop a w:t whose text all moved away, and its run if nothing else is left."""
    run = t.getparent()
    run.remove(t)
    if all(child.tag == W_RPR for child in run):
        run.getparent().remove(run)


def _set_pieces(t: etree._Element, pieces: list) -> None:
    t.text = None
    prev = None
    for piece in pieces:
        if isinstance(piece, str):
            if prev is None:
                t.text = (t.text or "") + piece
            else:
                prev.tail = (prev.tail or "") + piece
        else:
            t.append(piece)
            prev = piece
    t.set(XML_SPACE, "preserve")  # leading/trailing spaces next to slots must survive


_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, remove_pis=False, huge_tree=False)


def _compile_part(
    xml: bytes, known: frozenset[str], unknown: set[str], strict: bool, budget: PartBudget | None = None
) -> _MergedPart | None:
    """The part as literal chunks around its slots; None when there is nothing to merge. With a `budget`
    (uploads), a part past its paragraph or merge-field limit is refused before the work is done."""
    root = etree.fromstring(xml, _PARSER)
    for stray in root.xpath("//processing-instruction()"):
        if stray.target == _SLOT_PI and stray.getparent() is not None:
            stray.getparent().remove(stray)
    slots = _Slots(known, unknown, strict)
    paragraphs = list(root.iter(W_P))
    if budget is not None:
        budget.add_paragraphs(len(paragraphs))
    _replace_simple_fields(root, slots)
    for p in paragraphs:
        runs = _paragraph_runs(p)
        _replace_complex_fields(runs, slots)
        _replace_placeholders(_paragraph_runs(p), slots, known)
    if not slots.slots:
        return None
    if budget is not None:
        budget.add_slots(len(slots.slots))
    # Values with newlines close and reopen the w:t, so the markup must use
    # the prefix this part gives the WordprocessingML namespace.
    prefix = root.prefix
    for pi in slots.pis:
        parent = pi.getparent()
        if parent is not None and parent.tag == W_T:
            prefix = parent.prefix
            break
    q = f"{prefix}:" if prefix else ""
    line_break = f'</{q}t><{q}br/><{q}t xml:space="preserve">'.encode()
    out = etree.tostring(root.getroottree(), xml_declaration=True, encoding="UTF-8", standalone=True)
    split = _SLOT_SPLIT_RE.split(out)
    return _MergedPart(
        name="",
        chunks=tuple(split[0::2]),
        fields=tuple(slots.slots[int(i)] for i in split[1::2]),
        line_break=line_break,
        run_formats=_run_formats(root, slots.formats),
    )


def _run_formats(root: etree._Element, formats: list) -> tuple[tuple[bytes, bytes], ...]:
    """(opening, closing) markup of a run with each format, around its text: ``<w:r><w:rPr>…</w:rPr><w:t …>``."""
    out = []
    for rpr in formats:
        # Serialised inside an element declaring the part's namespaces, so the run needs no declarations.
        container = etree.Element(root.tag, nsmap=root.nsmap)
        run = etree.SubElement(container, W_R)
        if rpr is not None:
            run.append(deepcopy(rpr))
        t = etree.SubElement(run, W_T)
        t.set(XML_SPACE, "preserve")
        t.append(etree.ProcessingInstruction(_SLOT_PI, "0"))
        etree.cleanup_namespaces(container)
        xml = etree.tostring(container, encoding="UTF-8")
        xml = xml[xml.index(b">", xml.index(b"<", 1 if xml.startswith(b"<?") else 0)) + 1 : xml.rindex(b"</")]
        opening, closing = _SLOT_SPLIT_RE.split(xml)[0::2]
        out.append((opening, closing))
    return tuple(out)


@dataclass(frozen=True)
class _MergedPart:
    name: str
    chunks: tuple[bytes, ...]
    fields: tuple[_Slot, ...]  # one slot per gap between chunks
    line_break: bytes
    run_formats: tuple[tuple[bytes, bytes], ...] = ()

    def runs(self, pieces: list[tuple[str, int]]) -> bytes:
        """Pieces of an IF field's result as runs, one per stretch of the same format."""
        out = []
        merged: list[list] = []
        for text, fmt in pieces:
            if merged and merged[-1][1] == fmt:
                merged[-1][0] += text
            elif text:
                merged.append([text, fmt])
        for text, fmt in merged:
            opening, closing = self.run_formats[fmt]
            value = _escape(text)
            if b"\n" in value:
                value = value.replace(b"\n", self.line_break)
            out += (opening, value, closing)
        return b"".join(out)


def _not_docx() -> MergeTemplateError:
    return MergeTemplateError("The file is not a Word .docx document.")


def _damaged() -> MergeTemplateError:
    return MergeTemplateError("The .docx file is damaged or too large when unpacked.")


def _mb(n: float) -> str:
    return f"{n / _MB:.1f}".removesuffix(".0")


def _open_zip(data: bytes, max_bytes: int, max_unpacked_bytes: int) -> zipfile.ZipFile:
    if len(data) > max_bytes:
        raise MergeTemplateError(f"The file is too large ({_mb(len(data))} MB; the limit is {_mb(max_bytes)} MB).")
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError):
        raise _not_docx() from None
    infos = zf.infolist()
    names = [i.filename for i in infos]
    if "[Content_Types].xml" not in names or "word/document.xml" not in names:
        raise _not_docx()
    if len(set(names)) != len(names) or len(infos) > 0xFFFF:
        raise _damaged()
    # Declared sizes are enforced by zipfile when reading, so they can be trusted here.
    if sum(i.file_size for i in infos) > max_unpacked_bytes:
        raise _damaged()
    for i in infos:
        if i.file_size > _RATIO_MIN_SIZE and i.file_size > _MAX_RATIO * max(i.compress_size, 1):
            raise _damaged()
    return zf


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    # zf.read() may inflate a whole lying member in one call before cutting it
    # to the declared size; bounded reads keep memory at the declared size.
    parts = []
    with zf.open(info) as f:
        while chunk := f.read(1 << 20):
            parts.append(chunk)
    return b"".join(parts)


class CompiledDocx:
    """A template ready to render; immutable, so safe to share between threads."""

    def __init__(self, members: list[_Member | _MergedPart]):
        self._members = tuple(members)
        # What the compiled template holds in memory, so a cache of them can be bounded by size.
        self.nbytes = sum(len(m.local) if isinstance(m, _Member) else sum(map(len, m.chunks)) for m in self._members)
        plain: set[str] = set()
        names: set[str] = set()
        for m in members:
            if isinstance(m, _MergedPart):
                for slot in m.fields:
                    if isinstance(slot, str):
                        plain.add(slot)
                        names.add(slot)
                    elif isinstance(slot, _RunSlot):
                        names |= slot.program.names
                    else:
                        names |= slot.names
        self._plain = frozenset(plain)
        self.fields: frozenset[str] = frozenset(names)

    def render(self, values: Mapping[str, str]) -> bytes:
        """A complete .docx with ``values`` (canonical name -> text) filled in."""
        escaped = {f: _escape(values.get(f)) for f in self._plain}
        members = []
        for m in self._members:
            if isinstance(m, _Member):
                members.append(m)
                continue
            pieces = [m.chunks[0]]
            for slot, chunk in zip(m.fields, m.chunks[1:], strict=False):
                if type(slot) is str:
                    value = escaped[slot]
                elif type(slot) is _RunSlot:
                    pieces.append(m.runs(slot.program.pieces(values)))
                    pieces.append(chunk)
                    continue
                else:
                    value = _escape(slot.value(values))
                if b"\n" in value:
                    value = value.replace(b"\n", m.line_break)
                pieces.append(value)
                pieces.append(chunk)
            members.append(_member(m.name, b"".join(pieces)))
        return _write_zip(members)


def _escape(value) -> bytes:
    text = clean_value(value)
    if text:
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    return text.encode("utf-8")


def compile_docx(
    data: bytes,
    *,
    max_bytes: int = 10 * _MB,
    max_unpacked_bytes: int = 100 * _MB,
    known_fields: frozenset[str] = KNOWN_FIELDS,
    strict: bool = True,
) -> CompiledDocx:
    """Validate and compile a .docx template; raises MergeTemplateError.

    ``strict=False`` is for templates stored before field codes were evaluated (docs/BEHAVIOUR.md §11): a field
    code the engine cannot evaluate is merged as it was then instead of refusing the stored letter.
    """
    known = frozenset(known_fields)
    zf = _open_zip(data, max_bytes, max_unpacked_bytes)
    members: list[_Member | _MergedPart] = []
    unknown: set[str] = set()
    # Uploads are held to docs/SECURITY.md's package rules and cost limits; stored snapshots were accepted once
    # and merge as they did then.
    budget = PartBudget() if strict else None
    with zf:
        if strict:
            check_members(zf.infolist())
        for info in zf.infolist():
            try:
                content = _read_member(zf, info)
            except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, ValueError, OSError):
                raise _damaged() from None
            if strict:
                check_member(info.filename, content)
            compiled = None
            if STORY_PART_RE.match(info.filename):
                try:
                    compiled = _compile_part(content, known, unknown, strict, budget)
                except etree.XMLSyntaxError:
                    raise _damaged() from None
            if compiled is None:
                members.append(_member(info.filename, content))
            else:
                members.append(dataclasses.replace(compiled, name=info.filename))
    if unknown:
        raise unknown_fields_error(unknown, known)
    return CompiledDocx(members)


def docx_fields(data: bytes, *, known_fields: frozenset[str] = KNOWN_FIELDS) -> frozenset[str]:
    """Canonical names of the merge fields a template uses (validates it too)."""
    return compile_docx(data, known_fields=known_fields).fields
