"""Human-readable number series (CT000001, SEG00001, SI-000001 …).

`reserve_numbers` locks the series row (select_for_update) inside the caller's transaction, so concurrent
creators never get the same number and a bulk insert can take a whole range with one UPDATE.
"""

from django.db import transaction

from .models import NumberSeries

SERIES_FORMATS = {
    "contact": ("CT", 6),
    "segment": ("SEG", 5),
    "quote": ("SQ-", 6),
    "blanket_order": ("SB-", 6),
    "order": ("SO-", 6),
    "invoice": ("SI-", 6),
    "credit_memo": ("SC-", 6),
}


def format_number(series: str, value: int) -> str:
    prefix, width = SERIES_FORMATS[series]
    return f"{prefix}{value:0{width}d}"


def reserve_numbers(series: str, count: int = 1) -> list[str]:
    """Reserve `count` consecutive numbers of a series and return them formatted."""
    if count < 1:
        return []
    with transaction.atomic():
        row, _ = NumberSeries.objects.select_for_update().get_or_create(code=series)
        first = row.last_value + 1
        row.last_value += count
        row.save(update_fields=["last_value"])
    return [format_number(series, value) for value in range(first, first + count)]


def next_number(series: str) -> str:
    return reserve_numbers(series, 1)[0]
