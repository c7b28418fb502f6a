"""``{{ field }}`` merge for HTML e-mail bodies (same syntax and errors as .docx)."""

from __future__ import annotations

import html
from collections.abc import Mapping

from .fields import (
    KNOWN_FIELDS,
    clean_value,
    normalise_field_name,
    scan_placeholders,
    unknown_fields_error,
)

__all__ = ["CompiledHtml", "compile_html", "html_fields"]


class CompiledHtml:
    """Literal chunks interleaved with canonical field names."""

    def __init__(self, chunks: list[str], fields: list[str]):
        self._chunks = tuple(chunks)
        self._slots = tuple(fields)
        self.fields: frozenset[str] = frozenset(fields)
        self.nbytes = sum(len(chunk.encode("utf-8")) for chunk in self._chunks)

    def render(self, values: Mapping[str, str]) -> str:
        # Every value is escaped: contact data is user input and must never
        # become markup in an e-mail.
        escaped = {f: html.escape(clean_value(values.get(f)), quote=True).replace("\n", "<br>") for f in self.fields}
        pieces = [self._chunks[0]]
        for field, chunk in zip(self._slots, self._chunks[1:], strict=False):
            pieces.append(escaped[field])
            pieces.append(chunk)
        return "".join(pieces)


def compile_html(text: str, *, known_fields: frozenset[str] = KNOWN_FIELDS) -> CompiledHtml:
    """Raises MergeTemplateError for unknown fields or malformed placeholders."""
    known = frozenset(known_fields)
    chunks, fields, unknown = [], [], set()
    last = 0
    for start, end, raw in scan_placeholders(text):
        name = normalise_field_name(raw, known)
        if name not in known:
            unknown.add(raw)
        chunks.append(text[last:start])
        fields.append(name)
        last = end
    chunks.append(text[last:])
    if unknown:
        raise unknown_fields_error(unknown, known)
    return CompiledHtml(chunks, fields)


def html_fields(text: str, *, known_fields: frozenset[str] = KNOWN_FIELDS) -> frozenset[str]:
    return compile_html(text, known_fields=known_fields).fields
