"""Plausible values (issue 14: absurd values; docs/SECURITY.md). On the model fields, so the pages, the admin and
the services refuse the same values with the same message."""

import datetime

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator

EARLIEST_DATE = datetime.date(1900, 1, 1)
LATEST_DATE = datetime.date(2200, 12, 31)


def validate_plausible_date(value: datetime.date) -> None:
    """A date between 1900 and 2200: anything else is a typing slip (year 20266), not a business date."""
    if value is not None and not EARLIEST_DATE <= value <= LATEST_DATE:
        raise ValidationError(
            "Enter a date between 1900 and 2200 (this one is %(value)s).",
            code="implausible_date",
            params={"value": value.isoformat()},
        )


NOT_NEGATIVE = MinValueValidator(0, message="This cannot be negative.")
AT_MOST_100 = MaxValueValidator(100, message="A percentage cannot be over 100.")
