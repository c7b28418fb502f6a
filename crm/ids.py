"""Ids typed into a URL or a form (issue 14: `?contact=²` answered 500; docs/SECURITY.md).

`str.isdigit` and `int()` accept more than ASCII digits (`²`, Arabic-Indic `٣`, `" 7 "`, `1_000`), and a long
number overflows the id column. Every id read from a query string or a POST goes through `parse_id`.
"""

import re

_ASCII_ID = re.compile(r"[0-9]{1,19}")
MAX_ID = 2**63 - 1  # the largest value of a BigAutoField on PostgreSQL and SQLite


def parse_id(raw: object) -> int | None:
    """The id written in `raw` when it is 1 to 19 ASCII digits within the id range; None otherwise."""
    if not isinstance(raw, str) or not _ASCII_ID.fullmatch(raw):
        return None
    value = int(raw)
    return value if 1 <= value <= MAX_ID else None
