"""All letters in one .docx, a page break between them, written as a stream.

The first letter is the base: its styles, headers, footers and final section settings serve the whole document.
Each later letter contributes its body. Two things make this more than gluing bodies together:

- Memory. A segment can have 100,000 lines, so the letters are never all held at once: each letter's body is
  parsed, cleaned and written to a temporary file, and the finished body is copied into the zip at the end.
  Only the letter being added and the table of copied parts are in memory.
- References. A body refers to images and links through relationship ids ("rId7") that mean something only in
  its own package. Letters from the base's own template share the base's ids and files and are copied as they
  are. A letter from another template (a language variant, a line's own template or uploaded letter) has its
  referenced parts copied in under new names (the same picture only once) and its ids rewritten, so its
  pictures are its own and not whatever the base happens to call "rId7".

Styles and list numbering come from the base: text in a style the base does not have shows as normal text.
"""

from __future__ import annotations

import hashlib
import io
import posixpath
import shutil
import tempfile
import zipfile
from collections.abc import Iterable

from lxml import etree

from .docx_engine import STORY_PART_RE

__all__ = ["write_combined_docx", "combine_docx"]

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
WP_NS = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
_W, _R, _PR, _CT, _WP = f"{{{W_NS}}}", f"{{{R_NS}}}", f"{{{PKG_REL_NS}}}", f"{{{CT_NS}}}", f"{{{WP_NS}}}"

DOCUMENT = "word/document.xml"
DOCUMENT_RELS = "word/_rels/document.xml.rels"
CONTENT_TYPES = "[Content_Types].xml"
_FIXED_DATE = (1980, 1, 1, 0, 0, 0)  # the same letters give the same bytes
_MARK = b"<!--letters-->"
_PAGE_BREAK = f'<w:p xmlns:w="{W_NS}"><w:r><w:br w:type="page"/></w:r></w:p>'.encode()
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True)


def combine_docx(documents: Iterable[bytes]) -> bytes:
    """The combined document as bytes (for a handful of letters; write_combined_docx for many)."""
    out = io.BytesIO()
    write_combined_docx(out, documents)
    return out.getvalue()


def write_combined_docx(fileobj, documents: Iterable[bytes]) -> None:
    """Write the letters of `documents` (each a .docx, consumed one at a time) as one .docx to `fileobj`."""
    letters = iter(documents)
    first = next(letters, None)
    if first is None:
        raise ValueError("combine_docx needs at least one document")
    with zipfile.ZipFile(io.BytesIO(first)) as base, tempfile.TemporaryFile() as body:
        combined = _Combined(base)
        with zipfile.ZipFile(fileobj, "w", zipfile.ZIP_DEFLATED) as out:
            for name in base.namelist():
                if name not in (DOCUMENT, DOCUMENT_RELS, CONTENT_TYPES):
                    _write(out, name, base.read(name))
            body.write(combined.base_body)
            for letter in letters:
                body.write(_PAGE_BREAK)
                combined.add(letter, body, out)
            combined.finish(body, out)


class _Combined:
    def __init__(self, base: zipfile.ZipFile):
        root = etree.fromstring(base.read(DOCUMENT), _PARSER)
        xml_body = root.find(_W + "body")
        children = list(xml_body)
        final_sect = children.pop() if children and children[-1].tag == _W + "sectPr" else None
        self.next_drawing_id = 1
        for child in children:
            self._renumber_drawings(child)
        self.base_body = b"".join(etree.tostring(child) for child in children)
        # The document around the bodies: everything up to <w:body>, and the final section settings onwards.
        for child in children:
            xml_body.remove(child)
        if final_sect is not None:
            final_sect.addprevious(etree.Comment("letters"))
        else:
            xml_body.append(etree.Comment("letters"))
        self.prefix, self.suffix = _xml(root).split(_MARK)
        self.namespaces = dict(root.nsmap)

        self.rels = _Relationships(base.read(DOCUMENT_RELS) if DOCUMENT_RELS in base.namelist() else None)
        self.content_types = etree.fromstring(base.read(CONTENT_TYPES), _PARSER)
        self.names = set(base.namelist())  # every part name the output has or will have
        self.base_family = _family_key(base)
        self.families: dict[bytes, _Family] = {}
        self.copied: dict[tuple[str, str], str] = {}  # (digest, content type) -> part name in the output

    def add(self, letter: bytes, body, out: zipfile.ZipFile) -> None:
        with zipfile.ZipFile(io.BytesIO(letter)) as package:
            root = etree.fromstring(package.read(DOCUMENT), _PARSER)
            xml_body = root.find(_W + "body")
            if len(xml_body) and xml_body[-1].tag == _W + "sectPr":
                xml_body.remove(xml_body[-1])
            family_key = _family_key(package)
            if family_key != self.base_family:
                self._adopt(xml_body, package, family_key, out)
        # Bookmark names must be unique in a document (Word's own _GoBack is in every letter).
        for bookmark in list(xml_body.iter(_W + "bookmarkStart", _W + "bookmarkEnd")):
            bookmark.getparent().remove(bookmark)
        self._renumber_drawings(xml_body)
        body.write(self._serialise(root, xml_body))

    def _adopt(self, xml_body, package: zipfile.ZipFile, family_key: bytes, out: zipfile.ZipFile) -> None:
        """Make a letter from another package refer to parts of the output: copy what its body uses, rewrite ids.

        An inline section break keeps its layout but not its own headers and footers (the base's apply).
        """
        for reference in list(xml_body.iter(_W + "headerReference", _W + "footerReference")):
            reference.getparent().remove(reference)
        family = self.families.get(family_key)
        if family is None:
            family = self.families[family_key] = _Family(package)
        for element in xml_body.iter():
            for name, value in element.attrib.items():
                if name.startswith(_R) and value in family.rels:
                    if value not in family.ids:
                        family.ids[value] = self._copy_reference(family, value, package, out)
                    element.set(name, family.ids[value])

    def _copy_reference(self, family: _Family, rel_id: str, package: zipfile.ZipFile, out: zipfile.ZipFile) -> str:
        rel_type, target, external = family.rels[rel_id]
        if external:
            return self.rels.add(rel_type, target, external=True)
        part = _part_name(target)
        if part not in package.namelist():
            return self.rels.add(rel_type, target)  # a dangling reference stays dangling, as in the letter
        data = package.read(part)
        content_type = family.content_type(part)
        key = (hashlib.sha256(data).hexdigest(), content_type)
        if key not in self.copied:
            directory, filename = posixpath.split(part)
            number = len(self.copied) + 1
            while (new_part := f"{directory}/merged{number}-{filename}") in self.names:
                number += 1
            _write(out, new_part, data)
            etree.SubElement(
                self.content_types, _CT + "Override", {"PartName": "/" + new_part, "ContentType": content_type}
            )
            self.names.add(new_part)
            self.copied[key] = new_part
        return self.rels.add(rel_type, posixpath.relpath(self.copied[key], "word"))

    def _renumber_drawings(self, element) -> None:
        """Drawing object ids (wp:docPr/@id) must be unique in a document: 1, 2, 3, … throughout."""
        for drawing in element.iter(_WP + "docPr"):
            drawing.set("id", str(self.next_drawing_id))
            self.next_drawing_id += 1

    def _serialise(self, root, xml_body) -> bytes:
        """The body's children as XML that reads right inside the base document.

        When every prefix of the letter means what it means in the base, the body is written once and its
        start and end tags cut off (its children rely on the base's declarations). Otherwise each child is
        written on its own, carrying its own namespace declarations.
        """
        if all(self.namespaces.get(prefix) == uri for prefix, uri in root.nsmap.items()):
            xml = etree.tostring(xml_body)
            if xml.endswith(b"/>"):
                return b""
            return xml[xml.index(b">") + 1 : xml.rindex(b"</")]
        return b"".join(etree.tostring(child) for child in xml_body)

    def finish(self, body, out: zipfile.ZipFile) -> None:
        size = body.tell() + len(self.prefix) + len(self.suffix)
        body.seek(0)
        info = zipfile.ZipInfo(DOCUMENT, date_time=_FIXED_DATE)
        info.compress_type = zipfile.ZIP_DEFLATED
        with out.open(info, "w", force_zip64=size > 2**31) as document:
            document.write(self.prefix)
            shutil.copyfileobj(body, document, 64 * 1024)
            document.write(self.suffix)
        if self.rels.root is not None:
            _write(out, DOCUMENT_RELS, self.rels.to_bytes())
        _write(out, CONTENT_TYPES, _xml(self.content_types))


class _Family:
    """What the letters of one package (one template letter, or one uploaded letter) have in common."""

    def __init__(self, package: zipfile.ZipFile):
        self.rels: dict[str, tuple[str, str, bool]] = {}
        if DOCUMENT_RELS in package.namelist():
            for rel in etree.fromstring(package.read(DOCUMENT_RELS), _PARSER).iter(_PR + "Relationship"):
                external = rel.get("TargetMode") == "External"
                self.rels[rel.get("Id")] = (rel.get("Type"), rel.get("Target", ""), external)
        types = etree.fromstring(package.read(CONTENT_TYPES), _PARSER)
        self.defaults = {d.get("Extension", "").lower(): d.get("ContentType") for d in types.iter(_CT + "Default")}
        self.overrides = {o.get("PartName"): o.get("ContentType") for o in types.iter(_CT + "Override")}
        self.ids: dict[str, str] = {}  # this package's relationship id -> the output's

    def content_type(self, part: str) -> str:
        extension = posixpath.splitext(part)[1].lstrip(".").lower()
        return self.overrides.get("/" + part) or self.defaults.get(extension) or "application/octet-stream"


def _family_key(package: zipfile.ZipFile) -> bytes:
    """Tells packages apart cheaply: the letters merged from one template share their relationships and every
    part but the merged text, so the relationships and each part's checksum and size (from the zip's directory,
    nothing decompressed) identify the template."""
    rels = package.read(DOCUMENT_RELS) if DOCUMENT_RELS in package.namelist() else b""
    parts = sorted(
        (info.filename, info.CRC, info.file_size)
        for info in package.infolist()
        if info.filename.startswith("word/")
        and not info.filename.startswith("word/_rels/")
        and not STORY_PART_RE.match(info.filename)  # rewritten by the merge
    )
    return hashlib.sha256(rels + repr(parts).encode()).digest()


class _Relationships:
    """The combined document's relationships: the base's, plus those the copied letters need."""

    def __init__(self, xml: bytes | None):
        self.original = xml
        self.root = etree.fromstring(xml, _PARSER) if xml else None
        self.added: dict[tuple[str, str, bool], str] = {}

    def to_bytes(self) -> bytes:
        return _xml(self.root) if self.added or self.original is None else self.original

    def add(self, rel_type: str, target: str, *, external: bool = False) -> str:
        key = (rel_type, target, external)
        if key not in self.added:
            if self.root is None:
                self.root = etree.Element(_PR + "Relationships", nsmap={None: PKG_REL_NS})
            rel_id = f"rIdMerged{len(self.added) + 1}"
            attributes = {"Id": rel_id, "Type": rel_type, "Target": target}
            if external:
                attributes["TargetMode"] = "External"
            etree.SubElement(self.root, _PR + "Relationship", attributes)
            self.added[key] = rel_id
        return self.added[key]


def _part_name(target: str) -> str:
    """A relationship target of word/document.xml as a name in the zip ("media/a.png" -> "word/media/a.png")."""
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join("word", target))


def _write(out: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=_FIXED_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    out.writestr(info, data)


def _xml(root) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
