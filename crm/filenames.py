"""File names of downloads (issue 14: bidi controls from contact names reached download file names).

A name taken from data (a contact's or company's name) may hold invisible characters: bidi overrides such as
U+202E make `Invoice\u202excod.exe` look like `Invoiceexe.docx`. Every download name drops control and format
characters (Unicode categories Cc and Cf) before it is offered (docs/SECURITY.md).
"""

import unicodedata

INVISIBLE_CATEGORIES = {"Cc", "Cf"}


def visible_filename(name: str) -> str:
    """`name` without control and format characters (bidi marks, embeddings, overrides, isolates, zero-widths)."""
    return "".join(char for char in name if unicodedata.category(char) not in INVISIBLE_CATEGORIES)
