"""What an uploaded Word letter may contain, checked before it is compiled (docs/SECURITY.md, "Template uploads").

A template is merged into every letter of a segment, so whatever it carries reaches every recipient: a macro
project, a relationship that makes Word fetch a file from another server (an attached template, a linked
picture or OLE object, a UNC path), a DOCTYPE with entity declarations. And whatever it costs to compile, every
worker pays on upload and again after each restart. These checks refuse all of that with a message that
names the problem (`check_members` before unpacking, `check_member` for each unpacked part); `PartBudget`
caps what the compile step may be asked to do.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from urllib.parse import urlsplit

from lxml import etree

from .fields import MergeTemplateError

__all__ = [
    "MAX_PARAGRAPHS",
    "MAX_SLOTS",
    "MAX_XML_PART_BYTES",
    "MAX_XML_TOTAL_BYTES",
    "PartBudget",
    "check_member",
    "check_members",
]

_MB = 1024 * 1024
# A long letter is a few hundred kilobytes of XML; these limits leave room for ten times that while keeping a
# template's validation well under a second and its parsed trees far below 100 MB (docs/PERFORMANCE.md,
# "Template uploads").
MAX_XML_PART_BYTES = 4 * _MB
MAX_XML_TOTAL_BYTES = 8 * _MB
MAX_PARAGRAPHS = 20_000
MAX_SLOTS = 2_000

MAIN_PART = "word/document.xml"
_DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
_MACRO_MAIN = "application/vnd.ms-word.document.macroEnabled.main+xml"
_CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_W_BODY = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}body"
# Links a reader clicks are fine in a letter; anything else external is fetched by Word when the letter opens.
_SAFE_LINK_SCHEMES = {"http", "https", "mailto"}
_DRIVE_RE = re.compile(r"^[A-Za-z]:")
_DECLARATIONS = tuple(
    marker.encode(encoding) for marker in ("<!DOCTYPE", "<!ENTITY") for encoding in ("utf-8", "utf-16-le", "utf-16-be")
)
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def _refuse(problem: str) -> MergeTemplateError:
    return MergeTemplateError(f"This Word file cannot be used as a letter: {problem}")


def _is_xml(name: str) -> bool:
    return name.endswith((".xml", ".rels"))  # [Content_Types].xml included


def _check_name(name: str) -> None:
    parts = name.split("/")
    if name.startswith("/") or "\\" in name or _DRIVE_RE.match(name) or ".." in parts or "\x00" in name:
        raise _refuse(f'it holds a file with an unsafe name ("{name}"). Save it again from Word as a .docx.')


def _parse(name: str, data: bytes) -> etree._Element:
    try:
        return etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError:
        raise _refuse(f"its part {name} is damaged (not valid XML). Save it again from Word as a .docx.") from None


def _main_content_type(root: etree._Element) -> str | None:
    for override in root.iter(f"{{{_CT_NS}}}Override"):
        if override.get("PartName", "").lstrip("/") == MAIN_PART:
            return override.get("ContentType", "")
    for default in root.iter(f"{{{_CT_NS}}}Default"):  # a package may type the part by its extension alone
        if default.get("Extension", "").lower() == "xml":
            return default.get("ContentType", "")
    return None


def _check_content_types(data: bytes) -> None:
    content_type = _main_content_type(_parse("[Content_Types].xml", data))
    if content_type is not None:
        if content_type == _MACRO_MAIN:
            raise _refuse("it is a macro-enabled document (.docm). Save it as a Word Document (.docx) without macros.")
        if content_type != _DOCX_MAIN:
            raise _refuse(f"its main part is not a Word document ({content_type or 'no type'}). Save it as a .docx.")
        return
    raise _refuse("it has no Word document part. Save it as a Word Document (.docx).")


def _check_relationships(name: str, data: bytes) -> None:
    for rel in _parse(name, data).iter(f"{{{_REL_NS}}}Relationship"):
        if rel.get("TargetMode") != "External":
            continue
        kind = rel.get("Type", "").rsplit("/", 1)[-1] or "unknown"
        target = rel.get("Target", "")
        scheme = urlsplit(target).scheme.lower()
        if kind == "hyperlink" and scheme in _SAFE_LINK_SCHEMES and not target.startswith("\\\\"):
            continue
        raise _refuse(
            f'it makes Word fetch "{target}" ({kind}) from outside the letter whenever a recipient opens it. '
            "Remove the linked file (insert pictures and objects into the document instead of linking them; "
            "detach the attached template)."
        )


def check_members(infos: list[zipfile.ZipInfo]) -> None:
    """Names and sizes, before anything is unpacked: unsafe names, a macro project, XML past the limits."""
    xml_total = 0
    for info in infos:
        name = info.filename
        _check_name(name)
        if posixpath.basename(name).lower() == "vbaproject.bin":
            raise _refuse("it contains a macro project. Save it as a Word Document (.docx) without macros.")
        if not _is_xml(name):
            continue
        if info.file_size > MAX_XML_PART_BYTES:
            raise _refuse(
                f"its part {name} is {info.file_size / _MB:.1f} MB of XML when unpacked, and the limit is "
                f"{MAX_XML_PART_BYTES // _MB} MB per part. Make the letter shorter or split it into several templates."
            )
        xml_total += info.file_size
        if xml_total > MAX_XML_TOTAL_BYTES:
            raise _refuse(
                f"it holds more than {MAX_XML_TOTAL_BYTES // _MB} MB of XML when unpacked. Make the letter shorter, "
                "or remove unused styles and embedded content."
            )


def check_member(name: str, data: bytes) -> None:
    """One unpacked member: no DOCTYPE or entities; the content types say .docx; no external fetches; a body."""
    if not _is_xml(name):
        return
    if any(marker in data for marker in _DECLARATIONS):
        raise _refuse(f"its part {name} declares a DOCTYPE or entities, which Word never writes.")
    if name == "[Content_Types].xml":
        _check_content_types(data)
    elif name.endswith(".rels"):
        _check_relationships(name, data)
    elif name == MAIN_PART and _parse(name, data).find(_W_BODY) is None:
        raise _refuse("its document part has no body. Save it again from Word as a .docx.")


class PartBudget:
    """Counts what compiling a template asks for, refusing it past MAX_PARAGRAPHS or MAX_SLOTS."""

    def __init__(self) -> None:
        self.paragraphs = 0
        self.slots = 0

    def add_paragraphs(self, count: int) -> None:
        self.paragraphs += count
        if self.paragraphs > MAX_PARAGRAPHS:
            raise _refuse(
                f"it has more than {MAX_PARAGRAPHS:,} paragraphs. Make the letter shorter or split it into "
                "several templates."
            )

    def add_slots(self, count: int) -> None:
        self.slots += count
        if self.slots > MAX_SLOTS:
            raise _refuse(f"it has more than {MAX_SLOTS:,} merge fields. Use fewer fields in one letter.")
