"""Packaging rendered letters: a zip of .docx files, or one combined .docx."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from copy import deepcopy

from lxml import etree

__all__ = ["zip_letters", "write_zip_letters", "letter_filename", "combine_docx"]

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_W = f"{{{W_NS}}}"
_FIXED_DATE = (1980, 1, 1, 0, 0, 0)  # reproducible archives
_UNSAFE_RE = re.compile(r'[/\\:*?"<>|\x00-\x1f\x7f]')
_WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10))}
_MAX_STEM = 150  # leaves room for " (123)" and paths under common OS limits


def _safe_name(name: str) -> str:
    """File-system safe name; keeps the extension apart so truncation spares it."""
    name = _UNSAFE_RE.sub("_", name).strip()
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem:
        stem, ext = name, ""
    stem = stem.strip(" .")[:_MAX_STEM].strip(" .")  # Windows drops trailing dots/spaces
    if not stem:
        stem = "letter"
    if stem.split(".")[0].lower() in _WINDOWS_RESERVED:
        stem = "_" + stem
    return f"{stem}.{ext}" if ext else stem


def letter_filename(company_name: str, name: str) -> str:
    """'<Company> - <Name>.docx', or '<Name>.docx' without a (distinct) company."""
    company, name = (company_name or "").strip(), (name or "").strip()
    if company and name and company.casefold() != name.casefold():
        base = f"{company} - {name}"
    else:
        base = name or company or "letter"
    return _safe_name(base + ".docx")


def write_zip_letters(fileobj, letters: Iterable[tuple[str, bytes]]) -> None:
    """Stream letters into a zip on ``fileobj`` (need not be seekable)."""
    seen: set[str] = set()
    # .docx files are already deflated: storing them is faster and as small.
    with zipfile.ZipFile(fileobj, "w", zipfile.ZIP_STORED) as zf:
        for name, data in letters:
            info = zipfile.ZipInfo(_unique(_safe_name(name), seen), date_time=_FIXED_DATE)
            info.compress_type = zipfile.ZIP_STORED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)


def _unique(name: str, seen: set[str]) -> str:
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    candidate, n = name, 1
    while candidate.casefold() in seen:  # case-insensitive file systems
        n += 1
        candidate = f"{stem} ({n}).{ext}" if ext else f"{stem} ({n})"
    seen.add(candidate.casefold())
    return candidate


def zip_letters(letters: Iterable[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    write_zip_letters(buf, letters)
    return buf.getvalue()


_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def _body(docx: bytes) -> tuple[zipfile.ZipFile, etree._Element, etree._Element]:
    zf = zipfile.ZipFile(io.BytesIO(docx))
    root = etree.fromstring(zf.read("word/document.xml"), _PARSER)
    return zf, root, root.find(_W + "body")


def combine_docx(documents: Sequence[bytes]) -> bytes:
    """One .docx: the letters one after another, a page break between them.

    The first document is the base (styles, headers, section settings). The
    letters come from the same template, so relationship ids (images, links)
    in later bodies resolve against the base's relationships.
    """
    if not documents:
        raise ValueError("combine_docx needs at least one document")
    base_zip, root, body = _body(documents[0])
    final_sect = body[-1] if len(body) and body[-1].tag == _W + "sectPr" else None
    for doc in documents[1:]:
        _, _, other = _body(doc)
        page_break = etree.fromstring(f'<w:p xmlns:w="{W_NS}"><w:r><w:br w:type="page"/></w:r></w:p>')
        _insert(body, final_sect, page_break)
        for child in other:
            if child.tag == _W + "sectPr" and child is other[-1]:
                continue
            copy = deepcopy(child)
            # Bookmark names must be unique in a document (e.g. Word's _GoBack).
            for bm in copy.xpath(".//w:bookmarkStart | .//w:bookmarkEnd", namespaces={"w": W_NS}):
                bm.getparent().remove(bm)
            _insert(body, final_sect, copy)
    xml = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    out = io.BytesIO()
    with base_zip, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in base_zip.infolist():
            data = xml if info.filename == "word/document.xml" else base_zip.read(info)
            member = zipfile.ZipInfo(info.filename, date_time=_FIXED_DATE)
            member.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(member, data)
    return out.getvalue()


def _insert(body: etree._Element, final_sect, element: etree._Element) -> None:
    if final_sect is not None:
        final_sect.addprevious(element)
    else:
        body.append(element)
