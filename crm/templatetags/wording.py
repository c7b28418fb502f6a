"""`{% load wording %}`: money and minutes shown the same way on every page (crm/wording.py)."""

from django import template

from crm import wording

register = template.Library()


@register.filter
def money(value) -> str:
    """`{{ entry.cost|money }}`: two decimals and thousands separators."""
    return wording.money(value)


@register.filter
def minutes(value) -> str:
    """`{{ entry.duration_minutes|minutes }}`: "95 min"."""
    return wording.minutes(value)


@register.filter
def whole(value) -> str:
    """A count, or minutes in a column headed "(min.)": thousands separators, no unit."""
    return "" if value is None or value == "" else f"{int(round(float(value))):,}"
