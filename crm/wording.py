"""Words for counts, money and minutes in messages and pages, the same everywhere (docs/BEHAVIOUR.md §13a).

`count_of(2, "contact", "contacts")` is "2 contacts" and `count_of(1, …)` "1 contact"; `end_sentence("… Inc.")` does not
add a second full stop; `money(Decimal("95.2999"))` is "95.30" and `minutes(95)` "95 min".
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.translation import ngettext

SENTENCE_ENDS = (".", "!", "?", "…")


def count_of(count: int, singular: str, plural: str) -> str:
    """The count with thousands separators and the noun in the form that fits it."""
    return f"{count:,} {ngettext(singular, plural, count)}"


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
