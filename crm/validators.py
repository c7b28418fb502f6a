"""Plausible values (issue 14: absurd values; docs/SECURITY.md). On the model fields, so the pages, the admin and
the services refuse the same values with the same message."""

import datetime
import re

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


# Salutation formulas (docs/BEHAVIOUR.md §1, "Salutations"; crm.salutations fills them in).
SALUTATION_PLACEHOLDERS = {
    "job_title": "the contact's job title",
    "first_name": "the first word of the person's name",
    "middle_name": "the words between the first and the last",
    "surname": "the last word of the person's name, or from a particle on (de Vries)",
    "initials": "the first letters of the first and middle names, each with a full stop",
    "company_name": "the company's name",
    "name": "the whole name",
}

SALUTATION_PLACEHOLDER_RE = re.compile(r"\{([^{}]*)\}")


def validate_salutation_formula(text: str) -> None:
    """Refuse unknown placeholders and stray braces, naming them: a typo must not print "{surnme}" in letters."""
    unknown = sorted(
        {name for name in SALUTATION_PLACEHOLDER_RE.findall(text) if name.strip() not in SALUTATION_PLACEHOLDERS}
    )
    if unknown:
        names = ", ".join(f"{{{name}}}" for name in unknown)
        known = ", ".join(f"{{{name}}}" for name in SALUTATION_PLACEHOLDERS)
        raise ValidationError(
            f"Unknown placeholder{'s' if len(unknown) > 1 else ''} {names}. Use {known}.",
            code="unknown_placeholder",
        )
    if "{" in SALUTATION_PLACEHOLDER_RE.sub("", text) or "}" in SALUTATION_PLACEHOLDER_RE.sub("", text):
        raise ValidationError(
            "A brace without its partner: write placeholders as {surname}, with both braces.", code="stray_brace"
        )
