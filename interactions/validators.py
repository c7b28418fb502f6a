"""Model-level validation of uploaded template attachments (docs/BEHAVIOUR.md §11).

Hooked into the models with `validators=[validate_template_attachment]`, so the admin, every ModelForm and
`full_clean()` refuse a bad file alike, before anything is saved.
"""

import os

from django.conf import settings
from django.core.exceptions import ValidationError

from .merge import MergeTemplateError, compile_docx, compile_html

ALLOWED_EXTENSIONS = (".docx", ".html", ".htm")
# A personal note is a paragraph or two in one contact's letter, not a second letter (that is an uploaded
# replacement letter); the limit keeps a pasted document from being stored with every entry.
PERSONAL_NOTE_MAX_LENGTH = 2000


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".removesuffix(".0")


def _read(value, limit: int) -> bytes:
    """Read at most `limit` bytes of an uploaded file (still in memory or temp) or of a stored one."""
    if getattr(value, "_committed", True) is False or not hasattr(value, "storage"):
        # A fresh upload: leave it open and rewound for the save that follows.
        handle = getattr(value, "file", value)
        handle.seek(0)
        data = handle.read(limit + 1)
        handle.seek(0)
        return data
    try:
        with value.storage.open(value.name, "rb") as handle:
            return handle.read(limit + 1)
    except FileNotFoundError:
        raise ValidationError(
            "The attached file is missing from the file storage; upload it again.", code="file_missing"
        )


def check_upload_size(size: int) -> None:
    """One limit for every uploaded letter: a template's (the admin) and a worksheet line's own (settings)."""
    limit = settings.MAX_TEMPLATE_BYTES
    if size > limit:
        raise ValidationError(f"The file is too large (the limit is {_mb(limit)} MB).", code="too_large")


def validate_template_attachment(value) -> None:
    """A real Word .docx or an .html e-mail body, within MAX_TEMPLATE_BYTES, using only known merge fields."""
    if not value:
        return
    name = getattr(value, "name", "") or ""
    extension = os.path.splitext(name)[1].lower()
    if extension not in ALLOWED_EXTENSIONS:
        raise ValidationError(
            "Upload a Word .docx letter or an .html e-mail body%s."
            % (f" (not a {extension} file)" if extension else ""),
            code="extension",
        )
    limit = settings.MAX_TEMPLATE_BYTES
    data = _read(value, limit)
    check_upload_size(len(data))
    try:
        if extension == ".docx":
            compile_docx(data, max_bytes=limit)
        else:
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                raise ValidationError("The .html file must be UTF-8 text.", code="encoding")
            compile_html(text)
    except MergeTemplateError as error:
        if error.unknown_fields:
            raise ValidationError(
                "The template uses unknown merge fields: %(fields)s. Use fields such as {{ contact.name }}, "
                "{{ contact.address_block }}, {{ salesperson.name }} or {{ personal_note }}.",
                code="unknown_fields",
                params={"fields": ", ".join(error.unknown_fields)},
            )
        raise ValidationError(str(error), code="invalid_template")
