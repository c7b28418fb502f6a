"""Pure-Python mail merge for Word .docx and HTML templates (no Django here)."""

from .combine import LetterCombineError, combine_docx, write_combined_docx
from .docx_engine import CompiledDocx, MergeTemplateError, compile_docx, docx_fields
from .fields import KNOWN_FIELDS, LANGUAGE_KEY, clean_value, iso_key, normalise_field_name
from .html_engine import CompiledHtml, compile_html, html_fields
from .package import letter_filename, write_zip_letters, zip_letters

__all__ = [
    "KNOWN_FIELDS",
    "LANGUAGE_KEY",
    "iso_key",
    "normalise_field_name",
    "clean_value",
    "MergeTemplateError",
    "CompiledDocx",
    "compile_docx",
    "docx_fields",
    "CompiledHtml",
    "compile_html",
    "html_fields",
    "zip_letters",
    "write_zip_letters",
    "letter_filename",
    "combine_docx",
    "write_combined_docx",
    "LetterCombineError",
]
