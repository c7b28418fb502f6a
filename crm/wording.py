"""Words for counts, lists, money and minutes in messages and pages, the same everywhere (docs/BEHAVIOUR.md §13a).

`count_of(2, "contact", "contacts")` is "2 contacts" and `count_of(1, …)` "1 contact"; `named_list([101, 102], 12)` is
"101, 102 and 10 more"; `end_sentence("… Inc.")` does not add a second full stop; `money(Decimal("95.2999"))` is
"95.30" and `minutes(95)` "95 min".
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.translation import ngettext

SENTENCE_ENDS = (".", "!", "?", "…")
# How many numbers or names a message or an audit row lists before "and N more": enough to recognise them, short
# enough to read.
NAMED_LIMIT = 10


def count_of(count: int, singular: str, plural: str) -> str:
    """The count with thousands separators and the noun in the form that fits it."""
    return f"{count:,} {ngettext(singular, plural, count)}"


def named_list(items, total: int | None = None, *, limit: int = NAMED_LIMIT) -> str:
    """The first `limit` items, comma-separated, then "and N more" for the rest of `total` (default: all of them).

    Pass the first `limit` items of a bigger set with its count: `named_list(first_ten_ids, 1500)`."""
    items = [str(item) for item in items]
    total = len(items) if total is None else total
    shown = items[:limit]
    named = ", ".join(shown)
    rest = total - len(shown)
    return f"{named} and {rest:,} more" if rest > 0 and named else named


def field_names(names) -> str:
    """Field names as words for a message or an audit row ("personal note, unit cost"); "nothing" for none."""
    return ", ".join(str(name).replace("_", " ") for name in names) or "nothing"


def end_sentence(text: str) -> str:
    """The text with one full stop at its end: a name that ends in one ("Acme Inc.") ends the sentence itself."""
    text = text.rstrip()
    return text if text.endswith(SENTENCE_ENDS) else f"{text}."


def money(value) -> str:
    """An amount with two decimals and thousands separators ("1,234.50"); an empty value is an empty string."""
    if value is None or value == "":
        return ""
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        return str(value)
    return f"{amount:,.2f}"


def minutes(value) -> str:
    """A duration, always in minutes with thousands separators ("95 min", "1,440 min"); empty stays empty.

    Minutes, not hours and minutes: the fields are entered in minutes and the statistics add them up in minutes.
    """
    if value is None or value == "":
        return ""
    return f"{int(round(float(value))):,} min"
