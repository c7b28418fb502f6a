"""All letters in one .docx, each letter a section of its own, written as a stream.

The first letter is the base: its styles, numbering and page settings serve the whole document. What makes this
more than gluing bodies together:

- Memory. A segment can have 100,000 lines, so the letters are never all held at once: each letter's body is
  parsed, cleaned and written to a temporary file, and the finished body is copied into the zip at the end.
  Only the letter being added and the table of copied parts are in memory.
- Sections. Each letter ends with a section break (as Word's own mail merge does): it starts on a new page, gets
  the first-page header if the template has one, and its page numbers start at 1. The break goes into the
  letter's last paragraph, so a letter that fills its page exactly does not spill a blank page.
- Headers and footers. They are merged too ("Our reference: 1234"): each letter's section points at its own
  header and footer, copied in once per distinct content (a letterhead without fields is the base's, shared).
- References. A body refers to pictures and links through relationship ids ("rId7") that mean something only
  in its own package. Letters from the base's own template share the base's ids and files. A letter from
  another template (a language variant, a line's own template or uploaded letter) has the parts it refers to
  copied in under new names (the same picture only once) and its ids rewritten, so its pictures are its own
  and not whatever the base happens to call "rId7".

Text in a style the base does not have shows as normal text; lists use the base's numbering definitions.
"""

from __future__ import annotations

import hashlib
import io
import posixpath
import shutil
import tempfile
import zipfile
from collections.abc import Iterable
from copy import deepcopy

from lxml import etree

from .docx_engine import STORY_PART_RE

__all__ = ["LetterCombineError", "write_combined_docx", "combine_docx", "template_key"]

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
WP_NS = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
_W, _R, _PR, _CT, _WP = f"{{{W_NS}}}", f"{{{R_NS}}}", f"{{{PKG_REL_NS}}}", f"{{{CT_NS}}}", f"{{{WP_NS}}}"
_SECTION_REFERENCES = (_W + "headerReference", _W + "footerReference")
# The order of a section's settings after its header and footer references (the schema's, which Word enforces).
_SECTION_ORDER = (
    "footnotePr endnotePr type pgSz pgMar paperSrc pgBorders lnNumType pgNumType cols formProt vAlign noEndnote "
    "titlePg textDirection bidi rtlGutter docGrid printerSettings sectPrChange"
).split()

DOCUMENT = "word/document.xml"
DOCUMENT_RELS = "word/_rels/document.xml.rels"
CONTENT_TYPES = "[Content_Types].xml"
_FIXED_DATE = (1980, 1, 1, 0, 0, 0)  # the same letters give the same bytes
_MARK = b"<!--letters-->"
_SECTION_MARK = "combined-docx-section-break"
_LETTER_BOOKMARK_IDS = 900_000_000  # far above the ids Word gives the first letter's own bookmarks
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True)

# A section's headers and footers: (element tag, w:type such as "default" or "first", relationship id).
Section = tuple[tuple[str, str, str], ...]


class LetterCombineError(Exception):
    """One letter could not be put into the combined document; `index` counts letters from 0.

    Not a ValueError: callers treat ValueError as "no letter at all", which this is not."""

    def __init__(self, index: int, cause: BaseException):
        super().__init__(f"letter {index + 1} cannot be combined ({type(cause).__name__}: {cause})")
        self.index = index


def combine_docx(documents: Iterable[bytes], *, bookmark_prefix: str = "") -> bytes:
    """The combined document as bytes (for a handful of letters; write_combined_docx for many)."""
    out = io.BytesIO()
    write_combined_docx(out, documents, bookmark_prefix=bookmark_prefix)
    return out.getvalue()


def write_combined_docx(fileobj, documents: Iterable[bytes], *, bookmark_prefix: str = "") -> None:
    """Write the letters of `documents` (each a .docx, consumed one at a time) as one .docx to `fileobj`.

    With a `bookmark_prefix`, letter n (from 0) starts with a bookmark named prefix + n, so a rendering of the
    document (a PDF) can tell where each letter begins.
    """
    letters = iter(documents)
    first = next(letters, None)
    if first is None:
        raise ValueError("combine_docx needs at least one document")
    index = 0
    try:
        with zipfile.ZipFile(io.BytesIO(first)) as base, tempfile.TemporaryFile() as body:
            with zipfile.ZipFile(fileobj, "w", zipfile.ZIP_DEFLATED) as out:
                combined = _Combined(base, body, out, bookmark_prefix=bookmark_prefix)
                for index, letter in enumerate(letters, start=1):  # noqa: B007 - read by the handler below
                    combined.add(letter)
                combined.finish()
    except (zipfile.BadZipFile, etree.XMLSyntaxError, KeyError, ValueError, AttributeError, TypeError) as error:
        # A letter that is not the package the combiner expects (a line's own uploaded letter can be any valid
        # .docx): the caller says which one, instead of answering the download with a server error.
        raise LetterCombineError(index, error) from error


class _Combined:
    def __init__(self, base: zipfile.ZipFile, body, out: zipfile.ZipFile, *, bookmark_prefix: str = ""):
        self.body, self.out = body, out
        self.bookmark_prefix = bookmark_prefix
        self.letters = 0  # letters taken so far
        self.root = etree.fromstring(base.read(DOCUMENT), _PARSER)
        xml_body = self.root.find(_W + "body")
        if len(xml_body) and xml_body[-1].tag == _W + "sectPr":
            self.final_sect = xml_body[-1]
        else:
            self.final_sect = etree.SubElement(xml_body, _W + "sectPr")
        _restart_page_numbers(self.final_sect)
        self.namespaces = dict(self.root.nsmap)
        self.rels = _Relationships(base.read(DOCUMENT_RELS) if DOCUMENT_RELS in base.namelist() else None)
        self.content_types = etree.fromstring(base.read(CONTENT_TYPES), _PARSER)
        self.names = set(base.namelist())  # every part name the output has or will have
        self.base = base
        self.base_family = _family_key(base)
        self.base_package = _Package(base)
        self.families: dict[bytes, _Package] = {}
        self.copied: dict[tuple[str, str], str] = {}  # (digest, content type) -> part name in the output
        self.copied_stories: dict[tuple[str, bytes], str] = {}  # (digest, family) -> relationship id
        self.open_section: Section = _section(self.final_sect)  # the headers of the letter written last
        # The rest of the last letter's last paragraph, written once it is known whether a section break goes
        # before it (another letter follows) or not; None when the letter did not end in a paragraph.
        self.pending_tail: bytes | None = None
        self.next_drawing_id = 1
        self.new_parts = 0  # parts copied in so far: merged1-…, merged2-…

        for name in base.namelist():
            if name not in (DOCUMENT, DOCUMENT_RELS, CONTENT_TYPES):
                _write(out, name, base.read(name))
        # The base letter's body is written like the others; the document keeps what is around it.
        xml_body.remove(self.final_sect)
        self._take(self.root, xml_body, first=True)
        for child in list(xml_body):
            xml_body.remove(child)
        xml_body.append(etree.Comment("letters"))
        xml_body.append(self.final_sect)

    def add(self, letter: bytes) -> None:
        with zipfile.ZipFile(io.BytesIO(letter)) as package:
            root = etree.fromstring(package.read(DOCUMENT), _PARSER)
            xml_body = root.find(_W + "body")
            sect = xml_body[-1] if len(xml_body) and xml_body[-1].tag == _W + "sectPr" else None
            if sect is not None:
                xml_body.remove(sect)
            family_key = _family_key(package)
            if family_key == self.base_family:
                family = self.base_package
            else:
                family = self.families.get(family_key)
                if family is None:
                    family = self.families[family_key] = _Package(package)
                self._adopt(xml_body, family, package)
            section = self._section_of(sect, family, family_key, package)
        self._end_section()
        self.open_section = section
        self._take(root, xml_body)

    def finish(self) -> None:
        if self.pending_tail is not None:
            self.body.write(self.pending_tail)
        _set_section(self.final_sect, self.open_section)
        prefix, suffix = _xml(self.root).split(_MARK)
        size = self.body.tell() + len(prefix) + len(suffix)
        self.body.seek(0)
        info = zipfile.ZipInfo(DOCUMENT, date_time=_FIXED_DATE)
        info.compress_type = zipfile.ZIP_DEFLATED
        with self.out.open(info, "w", force_zip64=size > 2**31) as document:
            document.write(prefix)
            shutil.copyfileobj(self.body, document, 64 * 1024)
            document.write(suffix)
        if self.rels.root is not None:
            _write(self.out, DOCUMENT_RELS, self.rels.to_bytes())
        _write(self.out, CONTENT_TYPES, _xml(self.content_types))

    # --- a letter's body ----------------------------------------------------------------------------------------

    def _take(self, root, xml_body, *, first: bool = False) -> None:
        """Write a letter's body (its final section settings removed) up to where its section break would go.

        Bookmark names must be unique in a document (Word's own _GoBack is in every letter), so later letters
        lose theirs; drawing ids must be unique too, so they are numbered 1, 2, 3, … throughout. The break goes
        in the letter's last paragraph (_end_section); a marker holds its place while the body is serialised once,
        in place (moving the elements elsewhere would cost a namespace fix-up per element).
        """
        if not first:
            for bookmark in list(xml_body.iter(_W + "bookmarkStart", _W + "bookmarkEnd")):
                bookmark.getparent().remove(bookmark)
        for drawing in xml_body.iter(_WP + "docPr"):
            drawing.set("id", str(self.next_drawing_id))
            self.next_drawing_id += 1
        if self.bookmark_prefix:
            _start_with_bookmark(xml_body, f"{self.bookmark_prefix}{self.letters}", _LETTER_BOOKMARK_IDS + self.letters)
        self.letters += 1
        last = xml_body[-1] if len(xml_body) else None
        if last is not None and last.tag == _W + "p":
            _put_section(last, etree.Comment(_SECTION_MARK))
        xml = self._serialise(root, xml_body)
        if last is not None and last.tag == _W + "p":
            head, self.pending_tail = xml.rsplit(b"<!--" + _SECTION_MARK.encode() + b"-->", 1)
        else:
            head, self.pending_tail = xml, None
        self.body.write(head)

    def _end_section(self) -> None:
        """End the letter written last with a section break carrying its headers, in its last paragraph."""
        if self.pending_tail is not None:
            self.body.write(self._section_xml(self.open_section) + self.pending_tail)
        else:  # a letter ending in a table (or empty): the break gets a paragraph of its own
            self.body.write(self._section_xml(self.open_section, paragraph=True))
        self.pending_tail = None

    def _section_xml(self, section: Section, *, paragraph: bool = False) -> bytes:
        """The document's page settings with `section`'s headers and footers (in an empty paragraph of their
        own if asked), written with the base's prefixes."""
        holder = etree.Element(_W + "body", nsmap=self.namespaces)
        sect = deepcopy(self.final_sect)
        _set_section(sect, section)
        if paragraph:
            _put_section(etree.SubElement(holder, _W + "p"), sect)
        else:
            holder.append(sect)
        return _inner(etree.tostring(holder))

    def _serialise(self, root, xml_body) -> bytes:
        """The body's children as XML that reads right inside the base document: when every prefix of the letter
        means what it means in the base, they rely on the base's namespace declarations; otherwise each carries
        its own."""
        if all(self.namespaces.get(prefix) == uri for prefix, uri in root.nsmap.items()):
            return _inner(etree.tostring(xml_body))
        return b"".join(etree.tostring(child) for child in xml_body)

    def _adopt(self, xml_body, family: _Package, package: zipfile.ZipFile) -> None:
        """Make a letter from another package refer to parts of the output: copy what its body uses, rewrite ids.

        An inline section break keeps its layout but not its own headers and footers.
        """
        for reference in list(xml_body.iter(*_SECTION_REFERENCES)):
            reference.getparent().remove(reference)
        for element in xml_body.iter():
            for name, value in element.attrib.items():
                if name.startswith(_R) and value in family.rels:
                    element.set(name, self._adopted_id(family, value, package))

    def _adopted_id(self, family: _Package, rel_id: str, package: zipfile.ZipFile) -> str:
        if rel_id not in family.ids:
            rel_type, target, external = family.rels[rel_id]
            if external:
                family.ids[rel_id] = self.rels.add(rel_type, target, external=True)
            else:
                part = _part_name("word", target)
                new_part = self._copy_part(family, package, part) if part in package.namelist() else None
                # A dangling reference stays dangling, as it was in the letter.
                family.ids[rel_id] = self.rels.add(rel_type, _relative("word", new_part) if new_part else target)
        return family.ids[rel_id]

    def _copy_part(self, family: _Package, package: zipfile.ZipFile, part: str) -> str:
        """Copy a part of a letter's package into the output once (by content); its name in the output."""
        data = package.read(part)
        content_type = family.content_type(part)
        key = (hashlib.sha256(data).hexdigest(), content_type)
        if key not in self.copied:
            self.copied[key] = self._new_part(part, data, content_type)
        return self.copied[key]

    def _new_part(self, part: str, data: bytes, content_type: str) -> str:
        directory, filename = posixpath.split(part)
        self.new_parts += 1
        while (new_part := f"{directory}/merged{self.new_parts}-{filename}") in self.names:
            self.new_parts += 1
        _write(self.out, new_part, data)
        override = {"PartName": "/" + new_part, "ContentType": content_type}
        etree.SubElement(self.content_types, _CT + "Override", override)
        self.names.add(new_part)
        return new_part

    # --- a letter's headers and footers -------------------------------------------------------------------------

    def _section_of(self, sect, family: _Package, family_key: bytes, package: zipfile.ZipFile) -> Section:
        """The headers and footers this letter needs, as relationship ids of the output.

        A letter of the base's template whose header is byte for byte the base's uses the base's; any other
        header or footer is copied in (once per distinct content), with what it refers to.
        """
        if sect is None:
            return ()
        section = []
        for tag, kind, rel_id in _section(sect):
            if rel_id not in family.rels or family.rels[rel_id][2]:
                continue
            rel_type, target, _ = family.rels[rel_id]
            part = _part_name("word", target)
            if part not in package.namelist():
                continue
            if family is self.base_package and _same_bytes(package, self.base, part):
                section.append((tag, kind, rel_id))
                continue
            data = package.read(part)
            key = (hashlib.sha256(data).hexdigest(), family_key)
            if key not in self.copied_stories:
                self.copied_stories[key] = self._copy_story(family, package, part, data, rel_type)
            section.append((tag, kind, self.copied_stories[key]))
        return tuple(section)

    def _copy_story(self, family: _Package, package: zipfile.ZipFile, part: str, data: bytes, rel_type: str) -> str:
        """Copy a header or footer with its own relationships; the output's relationship id for it."""
        new_part = self._new_part(part, data, family.content_type(part))
        rels_name = _rels_name(part)
        if rels_name in package.namelist():
            rels = etree.fromstring(package.read(rels_name), _PARSER)
            if family is not self.base_package:  # its targets are in its own package: copy them in too
                directory = posixpath.dirname(part)
                for rel in rels.iter(_PR + "Relationship"):
                    target = _part_name(directory, rel.get("Target", ""))
                    if rel.get("TargetMode") != "External" and target in package.namelist():
                        rel.set("Target", _relative(directory, self._copy_part(family, package, target)))
            _write(self.out, _rels_name(new_part), _xml(rels))
        return self.rels.add(rel_type, _relative("word", new_part))


class _Package:
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
        self.ids: dict[str, str] = {}  # this package's relationship id -> the output's (body references)

    def content_type(self, part: str) -> str:
        extension = posixpath.splitext(part)[1].lstrip(".").lower()
        return self.overrides.get("/" + part) or self.defaults.get(extension) or "application/octet-stream"


class _Relationships:
    """The combined document's relationships: the base's, plus those the copied parts need."""

    def __init__(self, xml: bytes | None):
        self.original = xml
        self.root = etree.fromstring(xml, _PARSER) if xml else None
        self.added: dict[tuple[str, str, bool], str] = {}

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

    def to_bytes(self) -> bytes:
        return _xml(self.root) if self.added or self.original is None else self.original


def template_key(document: bytes) -> bytes:
    """The same for letters merged from the same template (their styles, pictures and settings are alike)."""
    with zipfile.ZipFile(io.BytesIO(document)) as package:
        return _family_key(package)


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


def _section(sect) -> Section:
    return tuple(
        (ref.tag, ref.get(_W + "type", "default"), ref.get(_R + "id")) for ref in sect.iter(*_SECTION_REFERENCES)
    )


def _set_section(sect, section: Section) -> None:
    """Point the section settings `sect` at the headers and footers of `section` (they come first in it)."""
    for reference in list(sect.iter(*_SECTION_REFERENCES)):
        sect.remove(reference)
    for index, (tag, kind, rel_id) in enumerate(section):
        sect.insert(index, etree.Element(tag, {_W + "type": kind, _R + "id": rel_id}))


def _restart_page_numbers(sect) -> None:
    """Each letter starts on a new page (whatever the template's section said) and counts its pages from 1."""
    for start in sect.findall(_W + "type"):
        if start.get(_W + "val") not in ("nextPage", "oddPage", "evenPage"):
            start.set(_W + "val", "nextPage")
    numbering = sect.find(_W + "pgNumType")
    if numbering is None:
        numbering = etree.Element(_W + "pgNumType")
        later = [child for child in sect if _local(child) in _SECTION_ORDER[_SECTION_ORDER.index("cols") :]]
        if later:
            later[0].addprevious(numbering)
        else:
            sect.append(numbering)
    numbering.set(_W + "start", "1")


def _start_with_bookmark(xml_body, name: str, bookmark_id: int) -> None:
    """An empty bookmark at the start of the body: in its first paragraph when it begins with one (a
    bookmark there marks the paragraph's page), else before whatever comes first."""
    start = etree.Element(_W + "bookmarkStart")
    start.set(_W + "id", str(bookmark_id))
    start.set(_W + "name", name)
    end = etree.Element(_W + "bookmarkEnd")
    end.set(_W + "id", str(bookmark_id))
    first = xml_body[0] if len(xml_body) else None
    if first is not None and first.tag == _W + "p":
        properties = first.find(_W + "pPr")
        position = 0 if properties is None else first.index(properties) + 1
        first.insert(position, start)
        first.insert(position + 1, end)
    else:
        xml_body.insert(0, end)
        xml_body.insert(0, start)


def _put_section(paragraph, sect) -> None:
    """Make `paragraph` the last of a section: its properties (w:pPr, its first child) hold the section's."""
    properties = paragraph.find(_W + "pPr")
    if properties is None:
        properties = etree.Element(_W + "pPr")
        paragraph.insert(0, properties)
    for old in properties.findall(_W + "sectPr"):
        properties.remove(old)
    change = properties.find(_W + "pPrChange")  # the only setting after sectPr
    if change is not None:
        change.addprevious(sect)
    else:
        properties.append(sect)


def _inner(xml: bytes) -> bytes:
    """What is between an element's start and end tags (nothing for an empty element)."""
    if xml.endswith(b"/>"):
        return b""
    return xml[xml.index(b">") + 1 : xml.rindex(b"</")]


def _local(element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _same_bytes(package: zipfile.ZipFile, other: zipfile.ZipFile, part: str) -> bool:
    """Whether a part is the same in two packages, by the checksum and size in their zip directories."""
    mine, theirs = package.getinfo(part), other.getinfo(part)
    return (mine.CRC, mine.file_size) == (theirs.CRC, theirs.file_size)


def _part_name(directory: str, target: str) -> str:
    """A relationship target, relative to the directory of the part that has it, as a name in the zip."""
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(directory, target))


def _relative(directory: str, part: str) -> str:
    return posixpath.relpath(part, directory)


def _rels_name(part: str) -> str:
    directory, filename = posixpath.split(part)
    return f"{directory}/_rels/{filename}.rels"


def _write(out: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=_FIXED_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    out.writestr(info, data)


def _xml(root) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
