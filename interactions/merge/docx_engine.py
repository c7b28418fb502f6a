"""Compile a Word .docx template once, render it many times, fast.

Compiling parses every story part (body, headers, footers, foot/endnotes)
with lxml, rewrites ``{{ field }}`` placeholders and MERGEFIELDs into single
runs holding a slot, and serialises each part into literal byte chunks
interleaved with field names.  Rendering only joins bytes and writes a zip,
so no XML is parsed per letter.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from collections.abc import Mapping
from copy import deepcopy
from dataclasses import dataclass

from lxml import etree

from .fields import (
    KNOWN_FIELDS,
    MergeTemplateError,
    clean_value,
    normalise_field_name,
    scan_placeholders,
    unknown_fields_error,
)

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
_MERGEFIELD_RE = re.compile(r'^\s*MERGEFIELD\s+(?:"([^"]*)"|([^\s\\]+))', re.IGNORECASE)
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


class _Slots:
    """Slot numbers of one part, plus the raw names for error messages."""

    def __init__(self) -> None:
        self.raw: list[str] = []
        self.pis: list[etree._ProcessingInstruction] = []

    def add(self, raw: str) -> etree._ProcessingInstruction:
        self.raw.append(raw)
        self.pis.append(etree.ProcessingInstruction(_SLOT_PI, str(len(self.raw) - 1)))
        return self.pis[-1]


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


def _nearest_paragraph(el: etree._Element) -> etree._Element | None:
    el = el.getparent()
    while el is not None and el.tag != W_P:
        el = el.getparent()
    return el


def _paragraph_runs(p: etree._Element) -> list[etree._Element]:
    # Runs may sit in hyperlinks, smart tags, w:ins …; runs of nested text
    # boxes belong to their own paragraphs.
    return [r for r in p.iter(W_R) if _nearest_paragraph(r) is p]


def _replace_simple_fields(root: etree._Element, slots: _Slots) -> None:
    for fld in list(root.iter(W_FLDSIMPLE)):
        m = _MERGEFIELD_RE.match(fld.get(W_INSTR) or "")
        if not m:
            continue  # PAGE, DATE …: not ours
        rpr = next((r.find(W_RPR) for r in fld.iter(W_R) if r.find(W_RPR) is not None), None)
        _slot_run(fld, rpr, slots.add(m.group(1) or m.group(2)))
        fld.getparent().remove(fld)


class _ComplexField:
    def __init__(self) -> None:
        self.runs: list[etree._Element] = []
        self.instr: list[str] = []
        self.result_runs: list[etree._Element] = []
        self.separated = False


def _replace_complex_fields(runs: list[etree._Element], slots: _Slots) -> None:
    """fldChar begin / instrText… / separate / result… / end, inside one paragraph."""
    stack: list[_ComplexField] = []
    done: list[_ComplexField] = []
    for r in runs:
        fc = r.find(W_FLDCHAR)
        kind = fc.get(W_FLDCHARTYPE) if fc is not None else None
        if kind == "begin":
            stack.append(_ComplexField())
        for f in stack:
            f.runs.append(r)
        if stack:
            top = stack[-1]
            if not top.separated:
                top.instr.extend(t.text or "" for t in r.iter(W_INSTRTEXT))
            elif r.find(W_T) is not None:
                top.result_runs.append(r)
        if kind == "separate" and stack:
            stack[-1].separated = True
        elif kind == "end" and stack:
            f = stack.pop()
            if not stack:  # MERGEFIELDs nested in IF etc. stay Word's business
                done.append(f)
    for f in done:
        m = _MERGEFIELD_RE.match("".join(f.instr))
        if not m:
            continue
        source = (f.result_runs or f.runs)[0]
        _slot_run(f.runs[0], source.find(W_RPR), slots.add(m.group(1) or m.group(2)))
        for r in f.runs:
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
                pieces.append(slots.add(raw))
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


def _compile_part(xml: bytes, known) -> tuple[list[bytes], list[str], bytes] | None:
    """Literal chunks, raw slot names and line-break markup; None when nothing to merge."""
    root = etree.fromstring(xml, _PARSER)
    for stray in root.xpath("//processing-instruction()"):
        if stray.target == _SLOT_PI and stray.getparent() is not None:
            stray.getparent().remove(stray)
    slots = _Slots()
    _replace_simple_fields(root, slots)
    for p in list(root.iter(W_P)):
        runs = _paragraph_runs(p)
        _replace_complex_fields(runs, slots)
        _replace_placeholders(_paragraph_runs(p), slots, known)
    if not slots.raw:
        return None
    # Values with newlines close and reopen the w:t, so the markup must use
    # the prefix this part gives the WordprocessingML namespace.
    holders = [pi.getparent() for pi in slots.pis if pi.getparent() is not None]
    prefix = holders[0].prefix if holders else "w"
    q = f"{prefix}:" if prefix else ""
    line_break = f'</{q}t><{q}br/><{q}t xml:space="preserve">'.encode()
    out = etree.tostring(root.getroottree(), xml_declaration=True, encoding="UTF-8", standalone=True)
    split = _SLOT_SPLIT_RE.split(out)
    chunks = split[0::2]
    raw_names = [slots.raw[int(i)] for i in split[1::2]]
    return chunks, raw_names, line_break


@dataclass(frozen=True)
class _MergedPart:
    name: str
    chunks: tuple[bytes, ...]
    fields: tuple[str, ...]  # canonical name per slot, len(chunks) - 1
    line_break: bytes


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
        self.fields: frozenset[str] = frozenset(f for m in members if isinstance(m, _MergedPart) for f in m.fields)

    def render(self, values: Mapping[str, str]) -> bytes:
        """A complete .docx with ``values`` (canonical name -> text) filled in."""
        escaped = {f: _escape(values.get(f)) for f in self.fields}
        members = []
        for m in self._members:
            if isinstance(m, _Member):
                members.append(m)
                continue
            pieces = [m.chunks[0]]
            for field, chunk in zip(m.fields, m.chunks[1:], strict=False):
                value = escaped[field]
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
) -> CompiledDocx:
    """Validate and compile a .docx template; raises MergeTemplateError."""
    known = frozenset(known_fields)
    zf = _open_zip(data, max_bytes, max_unpacked_bytes)
    members: list[_Member | _MergedPart] = []
    unknown: set[str] = set()
    with zf:
        for info in zf.infolist():
            try:
                content = _read_member(zf, info)
            except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, ValueError, OSError):
                raise _damaged() from None
            compiled = None
            if STORY_PART_RE.match(info.filename):
                try:
                    compiled = _compile_part(content, known)
                except etree.XMLSyntaxError:
                    raise _damaged() from None
            if compiled is None:
                members.append(_member(info.filename, content))
                continue
            chunks, raw_names, line_break = compiled
            canonical = []
            for raw in raw_names:
                name = normalise_field_name(raw, known)
                if name not in known:
                    unknown.add(raw.strip())
                canonical.append(name)
            members.append(_MergedPart(info.filename, tuple(chunks), tuple(canonical), line_break))
    if unknown:
        raise unknown_fields_error(unknown, known)
    return CompiledDocx(members)


def docx_fields(data: bytes, *, known_fields: frozenset[str] = KNOWN_FIELDS) -> frozenset[str]:
    """Canonical names of the merge fields a template uses (validates it too)."""
    return compile_docx(data, known_fields=known_fields).fields
