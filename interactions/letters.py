"""Glue between the ORM and the pure merge engine (`interactions.merge`).

Everything here that touches the database is a read (or the content-addressed `store_document`); the merge
engine itself never sees a model. Segment logging and the Create Interaction page use the same functions, so a
letter merged from a worksheet and one merged from a contact are built from the same values.
"""

import datetime
import os
import threading
from collections import OrderedDict

from django.conf import settings
from django.utils import timezone

from crm.salutations import INFORMAL, SalutationFormulas

from .merge import LANGUAGE_KEY, CompiledDocx, CompiledHtml, compile_docx, compile_html, iso_key, letter_filename
from .models import InteractionLogEntry, InteractionTemplate, StoredDocument
from .storage import store_document

__all__ = [
    "DOCX_CONTENT_TYPE",
    "HTML_CONTENT_TYPE",
    "NO_CORRESPONDENCE_TYPE",
    "attachment_kind",
    "compiled_docx",
    "compiled_html",
    "contact_merge_values",
    "entry_document_bytes",
    "format_letter_date",
    "render_letter",
    "salutation_formulas_for",
    "resolve_correspondence_type",
    "resolve_language",
    "store_document",
    "template_attachment",
    "template_attachment_kind",
    "template_has_letter",
]

DOCX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
HTML_CONTENT_TYPE = "text/html; charset=utf-8"

_PARTY_FIELDS = (
    "no",
    "name",
    "salutation",
    "address",
    "address_2",
    "city",
    "post_code",
    "country_code",
    "email",
    "phone",
    "mobile",
    "job_title",
)
# When a contact has no salutation the letter still needs one; the contact's language picks it.
_DEFAULT_SALUTATION = {"de": "Sehr geehrte Damen und Herren", "fr": "Madame, Monsieur"}
_MONTHS = {
    "de": (
        "Januar",
        "Februar",
        "März",
        "April",
        "Mai",
        "Juni",
        "Juli",
        "August",
        "September",
        "Oktober",
        "November",
        "Dezember",
    ),
}
_EN_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def format_letter_date(value: datetime.date | None, language_code: str = "") -> str:
    """'12 March 2025' (or '12. März 2025'): fixed names, never the server locale, so re-renders match."""
    if value is None:
        return ""
    language = (language_code or "").split("-")[0].lower()
    if language in _MONTHS:
        return f"{value.day}. {_MONTHS[language][value.month - 1]} {value.year}"
    return f"{value.day} {_EN_MONTHS[value.month - 1]} {value.year}"


def _party_values(prefix: str, party, values: dict[str, str]) -> None:
    for name in _PARTY_FIELDS:
        values[f"{prefix}.{name}"] = "" if party is None else str(getattr(party, name) or "")
    values[f"{prefix}.address_block"] = "" if party is None else "\n".join(party.address_lines)


def salutation_formulas_for(contacts) -> SalutationFormulas:
    """The salutation formulas `contact_merge_values` needs for these contacts (companies loaded), in one query."""
    return SalutationFormulas.for_contacts(contacts)


def _salutations(prefix: str, party, language: str, formulas: SalutationFormulas, values: dict[str, str]) -> None:
    """docs/BEHAVIOUR.md §1, "Salutations": the formal salutation is the code's formula in the letter's language,
    else the contact's own text, else the language's default; the informal one is its informal formula, else the
    formal salutation."""
    formal = formulas.salutation(party, language)
    if formal:
        values[f"{prefix}.salutation"] = formal
    elif not values[f"{prefix}.salutation"]:
        values[f"{prefix}.salutation"] = _DEFAULT_SALUTATION.get(language.split("-")[0], "Dear Sir or Madam")
    values[f"{prefix}.informal_salutation"] = (
        formulas.salutation(party, language, INFORMAL) or values[f"{prefix}.salutation"]
    )


_NO_FORMULAS = SalutationFormulas()


def contact_merge_values(
    contact,
    *,
    salesperson=None,
    date: datetime.date | None = None,
    description: str = "",
    subject: str = "",
    entry_no: int | None = None,
    segment_no: str = "",
    segment_description: str = "",
    personal_note: str = "",
    language_code: str = "",
    salutations: SalutationFormulas | None = None,
) -> dict[str, str]:
    """Every merge field (interactions.merge.KNOWN_FIELDS) for one contact, as plain strings.

    `contact` must come with `company` and `salesperson` loaded (select_related) or this costs queries per
    contact. `salutations`: the formulas of the contacts being merged (`salutation_formulas_for`), read once for
    many letters; without it a contact with a salutation code costs one query. `salesperson` defaults to the
    contact's own, `language_code` (the letter's language: the entry's) to the contact's. Besides the fields, the
    values hold the letter's language and the dates as ISO dates, which Word date pictures (`\\@ "d. MMMM yyyy"`)
    format in that language.
    """
    language = language_code or contact.language_code or ""
    values: dict[str, str] = {}
    _party_values("contact", contact, values)
    company = contact.company_or_self
    _party_values("company", company, values)
    if salutations is None:
        codes = contact.salutation_code_id or (company is not None and company.salutation_code_id)
        salutations = salutation_formulas_for([contact]) if codes else _NO_FORMULAS
    _salutations("contact", contact, language, salutations, values)
    if company is not None:
        _salutations("company", company, language, salutations, values)
    else:
        values["company.informal_salutation"] = ""
    salesperson = salesperson if salesperson is not None else contact.salesperson
    for name in ("code", "name", "email", "phone"):
        values[f"salesperson.{name}"] = "" if salesperson is None else str(getattr(salesperson, name) or "")
    values["interaction.date"] = format_letter_date(date, language)
    values["interaction.description"] = description or ""
    values["interaction.subject"] = subject or description or ""
    values["interaction.entry_no"] = "" if entry_no is None else str(entry_no)
    values["segment.no"] = segment_no or ""
    values["segment.description"] = segment_description or ""
    values["personal_note"] = personal_note or ""
    today = timezone.localdate()
    values["today"] = format_letter_date(today, language)
    values[LANGUAGE_KEY] = language
    values[iso_key("interaction.date")] = date.isoformat() if date else ""
    values[iso_key("today")] = today.isoformat()
    return values


def entry_merge_values(
    entry,
    *,
    entry_no: int | None,
    personal_note: str = "",
    segment_description: str = "",
    salutations: SalutationFormulas | None = None,
) -> dict[str, str]:
    """The merge values of a log entry's letter, from the entry's own fields (contact, salesperson, date,
    description, subject, segment no. and language); `entry_no` is None while the entry is not saved (a preview),
    the personal note and the logged segment's description are not kept on the entry itself. `salutations` as
    for `contact_merge_values`."""
    return contact_merge_values(
        entry.contact,
        salesperson=entry.salesperson,
        date=entry.date,
        description=entry.description,
        subject=entry.subject,
        entry_no=entry_no,
        segment_no=entry.segment_no,
        segment_description=segment_description,
        personal_note=personal_note,
        language_code=entry.language_code,
        salutations=salutations,
    )


# A segment line's own type "none": no correspondence type on purpose, whatever the rules would give.
NO_CORRESPONDENCE_TYPE = "none"


def resolve_correspondence_type(
    *,
    template_type: str,
    has_letter: bool,
    template_ignores_contact: bool = False,
    contact_type: str = "",
    segment_type: str = "",
    segment_ignores_contact: bool = False,
    line_type: str = "",
) -> str:
    """docs/BEHAVIOUR.md §3 Correspondence type: the one place the rule is written in Python.

    A single interaction (Create interaction) passes only the template's type and whether there is a letter: it
    takes the template's default type whatever the contact prefers, as the reference's wizard does. A segment
    line passes the rest, and the first rule that applies wins:

    0. The line's own type ("none": blank on purpose).
    1. The segment ignores the contact's type and has a default -> the segment's.
    2. The template ignores the contact's type, or the contact has none and the template has one -> template's.
    3. The contact's own preference.
    4. Otherwise the previous value, which on a segment line is the header default copied first.

    Then, whatever the source: without a letter (no attachment on the template or on the language variant used,
    no letter of the line's own) nothing can be sent or printed, so the type is blank.

    The segments app mirrors these rules in SQL (CASE WHEN …) for set-based logging; keep the two in step.
    The e-mail address check (a contact without an address gets blank) is applied by the caller, which knows
    whether the user chose to send.
    """
    if line_type:
        resolved = "" if line_type == NO_CORRESPONDENCE_TYPE else line_type
    elif segment_ignores_contact and segment_type:
        resolved = segment_type
    elif template_ignores_contact or (not contact_type and template_type):
        resolved = template_type
    elif contact_type:
        resolved = contact_type
    else:
        resolved = segment_type
    return resolved if has_letter else ""


def _template_languages(template: InteractionTemplate) -> list:
    # Use a prefetch when the caller made one (segment logging), else one query.
    cache = getattr(template, "_prefetched_objects_cache", {})
    if "languages" in cache:
        return list(cache["languages"])
    return list(template.languages.all())


def resolve_language(template: InteractionTemplate, contact_language: str) -> str:
    """docs/BEHAVIOUR.md §4: the contact's language if the template has a variant for it, else the default."""
    if contact_language and contact_language != template.language_code:
        if any(row.language_code == contact_language for row in _template_languages(template)):
            return contact_language
    return template.language_code


def template_has_letter(template: InteractionTemplate, language_code: str) -> bool:
    """Whether `template_attachment` finds a letter for that language, without opening a file: the variant's
    attachment, else the template's own (docs/BEHAVIOUR.md §4)."""
    if template.attachment:
        return True
    return any(row.language_code == language_code and row.attachment for row in _template_languages(template))


def attachment_kind(name: str) -> str:
    extension = os.path.splitext(name or "")[1].lower()
    return {".docx": "docx", ".html": "html", ".htm": "html"}.get(extension, "")


def _attachment_field(template: InteractionTemplate, language_code: str):
    """The attachment field for that language variant, else the template default (may be empty)."""
    field = template.attachment
    if language_code and language_code != template.language_code:
        variant = next((row for row in _template_languages(template) if row.language_code == language_code), None)
        if variant is not None and variant.attachment:
            field = variant.attachment
    elif language_code:
        # A variant row for the default language itself may carry the letter too.
        variant = next((row for row in _template_languages(template) if row.language_code == language_code), None)
        if variant is not None and variant.attachment and not field:
            field = variant.attachment
    return field


def template_attachment_kind(template: InteractionTemplate, language_code: str) -> str:
    """What template_attachment would give for that language ("docx", "html" or "" for none), without reading or
    storing the file: a job counts its letters with it before merging them."""
    field = _attachment_field(template, language_code)
    return attachment_kind(field.name) if field else ""


def template_attachment(template: InteractionTemplate, language_code: str) -> tuple[StoredDocument | None, str]:
    """The snapshot of the attachment for that language variant, else the template default: (document, kind).

    The snapshot is content-addressed, so logging a thousand entries with the same template stores the file
    once, and later edits of the template in the admin never change a letter already logged. Call it outside
    transactions that hold locks: it reads (and may write) a file.
    """
    field = _attachment_field(template, language_code)
    kind = attachment_kind(field.name) if field else ""
    if not kind:
        return None, ""
    with field.open("rb") as handle:
        data = handle.read()
    content_type = DOCX_CONTENT_TYPE if kind == "docx" else HTML_CONTENT_TYPE
    return store_document(data, filename=os.path.basename(field.name), content_type=content_type), kind


class _CompiledCache:
    """A small in-process LRU of compiled templates, keyed by the content hash (which never changes meaning).

    Bounded by count and by the bytes the templates hold (`nbytes`): a few large letterheads must not pin
    hundreds of megabytes in every worker (docs/SECURITY.md, "Template uploads")."""

    def __init__(self, size: int = 32, max_bytes: int = 64 * 1024 * 1024) -> None:
        self.size = size
        self.max_bytes = max_bytes
        self._items: OrderedDict[tuple[str, str], CompiledDocx | CompiledHtml] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str], build):
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = build()  # compiling happens outside the lock; a rare duplicate compile is harmless
        with self._lock:
            if key not in self._items:
                self._items[key] = value
                self._bytes += value.nbytes
            self._items.move_to_end(key)
            # The newest stays even when it alone is over the byte bound: it is in use right now.
            while len(self._items) > 1 and (len(self._items) > self.size or self._bytes > self.max_bytes):
                _key, evicted = self._items.popitem(last=False)
                self._bytes -= evicted.nbytes
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0


_compiled = _CompiledCache()


def compiled_docx(stored_document: StoredDocument) -> CompiledDocx:
    """The compiled Word template for a snapshot, compiled once per process and content hash."""
    return _compiled.get(
        ("docx", stored_document.sha256),
        # Not strict: a snapshot stored before field codes were evaluated still merges (docs/BEHAVIOUR.md §11);
        # uploads are validated strictly.
        lambda: compile_docx(stored_document.read(), max_bytes=settings.MAX_TEMPLATE_BYTES, strict=False),
    )


def compiled_html(stored_document: StoredDocument) -> CompiledHtml:
    return _compiled.get(("html", stored_document.sha256), lambda: compile_html(stored_document.read().decode("utf-8")))


def render_letter(stored_document: StoredDocument, values: dict[str, str]) -> tuple[bytes, str, str]:
    """Merge a template snapshot with values: (bytes, filename, content type). Deterministic."""
    company, name = values.get("company.name", ""), values.get("contact.name", "")
    filename = letter_filename(company, name)
    if stored_document.content_type.startswith("text/html"):
        html = compiled_html(stored_document).render(values)
        return html.encode("utf-8"), filename[: -len(".docx")] + ".html", HTML_CONTENT_TYPE
    return compiled_docx(stored_document).render(values), filename, DOCX_CONTENT_TYPE


def entry_document_bytes(entry: InteractionLogEntry) -> tuple[bytes, str, str] | None:
    """The entry's document as the contact got it: (bytes, filename, content type), or None.

    Either the stored bytes (a printed PDF, an uploaded letter) or the re-render of the template snapshot with
    the values stored on the entry, which the deterministic engine turns into the same bytes every time.
    """
    if entry.document_id:
        document = entry.document
        return document.read(), document.filename, document.content_type
    if entry.merge_template_id and entry.merge_values is not None:
        return render_letter(entry.merge_template, entry.merge_values)
    return None
