"""The merge field catalogue, field-name normalisation and placeholder scanning.

Shared by the .docx and the HTML engine so both accept exactly the same
``{{ field }}`` syntax and report the same errors.  Pure Python: no Django.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_PARTY_FIELDS = (
    "no",
    "name",
    "salutation",
    "informal_salutation",
    "address",
    "address_2",
    "address_block",
    "city",
    "post_code",
    "country_code",
    "email",
    "phone",
    "mobile",
    "job_title",
)

KNOWN_FIELDS: frozenset[str] = frozenset(
    [f"contact.{f}" for f in _PARTY_FIELDS]
    + [f"company.{f}" for f in _PARTY_FIELDS]
    + ["salesperson.code", "salesperson.name", "salesperson.email", "salesperson.phone"]
    + ["interaction.date", "interaction.description", "interaction.subject", "interaction.entry_no"]
    + ["segment.no", "segment.description"]
    + ["personal_note", "today"]
)


# Extra keys of a letter's values, next to the fields: the letter's language and each date field as an ISO
# date, so date pictures (``\@ "d. MMMM yyyy"``) can print month names in the letter's language and a stored
# letter re-renders from its stored values alone.
LANGUAGE_KEY = "language"


def iso_key(field: str) -> str:
    """The values key holding ``field``'s date as YYYY-MM-DD."""
    return f"{field}:iso"


def is_date_field(field: str) -> bool:
    """Fields whose value is a date, so a Word date picture may format them."""
    return field == "today" or field.endswith(".date")


class MergeTemplateError(ValueError):
    """A template the user must fix; ``str(e)`` says what to do.

    ``unknown_fields`` lists the raw names (as typed) that are not merge fields.
    """

    def __init__(self, message: str, unknown_fields: Iterable[str] = ()):
        super().__init__(message)
        self.unknown_fields: list[str] = sorted(set(unknown_fields))


def normalise_field_name(raw: str, known_fields: frozenset[str] = KNOWN_FIELDS) -> str:
    """Canonical dotted name for ``raw``, or the trimmed raw name if unknown.

    Word MERGEFIELD names cannot hold dots, so an underscore may stand for the
    dot: the first underscore whose replacement gives a known name wins
    (``contact_address_block`` -> ``contact.address_block``).
    """
    cleaned = raw.strip()
    name = cleaned.lower()
    if name in known_fields:
        return name
    for i, ch in enumerate(name):
        if ch == "_":
            candidate = name[:i] + "." + name[i + 1 :]
            if candidate in known_fields:
                return candidate
    return cleaned


def unknown_fields_error(raw_names: Iterable[str], known_fields: frozenset[str]) -> MergeTemplateError:
    names = sorted(set(raw_names))
    message = f"The template uses unknown merge fields: {', '.join(names)}. "
    message += f"Known fields: {', '.join(sorted(known_fields))}."
    return MergeTemplateError(message, names)


# A placeholder is "{{ name }}" with no brace and no boundary (NUL, used by the
# docx engine for tabs/breaks/fields between text) inside it.
_PLACEHOLDER_RE = re.compile(r"\{\{([^{}\x00]*)\}\}")


def scan_placeholders(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, raw_name)`` of each ``{{ … }}`` in ``text``.

    Raises MergeTemplateError for a ``{{`` that is not closed or an empty
    ``{{ }}``: silently printing them in hundreds of letters is worse than
    refusing the template.
    """
    found = []
    last = 0
    for m in _PLACEHOLDER_RE.finditer(text):
        _check_no_open_brace(text, last, m.start())
        raw = m.group(1).strip()
        if not raw:
            _malformed(text, m.start())
        found.append((m.start(), m.end(), raw))
        last = m.end()
    _check_no_open_brace(text, last, len(text))
    return found


def _check_no_open_brace(text: str, start: int, end: int) -> None:
    pos = text.find("{{", start, end)
    if pos >= 0:
        _malformed(text, pos)


def _malformed(text: str, pos: int) -> None:
    snippet = text[pos : pos + 40].replace("\x00", " ")
    raise MergeTemplateError(
        f'Malformed placeholder "{snippet}": write merge fields as {{{{ field.name }}}} with both braces, on one line.'
    )


# Characters XML 1.0 cannot carry (and lone surrogates, which cannot be
# encoded as UTF-8); everything else, including RTL scripts, passes through.
_ILLEGAL_CHARS_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def clean_value(value: object) -> str:
    """A value as text: None -> "", illegal characters stripped, newlines as \\n."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _ILLEGAL_CHARS_RE.sub("", text)
