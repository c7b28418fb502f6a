"""Packaging rendered letters: a zip of .docx files (one combined .docx: combine.py)."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable

from crm.filenames import visible_filename

__all__ = ["zip_letters", "write_zip_letters", "letter_filename"]

_FIXED_DATE = (1980, 1, 1, 0, 0, 0)  # reproducible archives
_UNSAFE_RE = re.compile(r'[/\\:*?"<>|\x00-\x1f\x7f]')
_WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10))}
_MAX_STEM = 150  # leaves room for " (123)" and paths under common OS limits


def _safe_name(name: str) -> str:
    """File-system safe name; keeps the extension apart so truncation spares it. Invisible characters (bidi
    controls from a contact's name) go first (crm/filenames.py)."""
    name = _UNSAFE_RE.sub("_", visible_filename(name)).strip()
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
