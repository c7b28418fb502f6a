"""Salutations per language (Business Central's Salutations; docs/BEHAVIOUR.md §1, "Salutations").

A salutation code (MR, MS, COMPANY …) has one formula per language and type (formal, informal). A formula is text
with placeholders in braces, filled in from the contact:

    {job_title}     the contact's job title
    {first_name}    the first word of the person's name
    {middle_name}   the words between the first and the last
    {surname}       the last word of the person's name, or from a particle on ("de Vries", "von Braun")
    {initials}      the first letters of the first and middle names, each with a full stop ("J. R.")
    {company_name}  the company's name (a company's own name)
    {name}          the whole name

Business Central numbers them (%1 … %7) and keeps first, middle and surname as fields of their own; a contact has
one name here, so the parts come from it, split at spaces (a company has no first, middle or surname). A name the
split gets wrong can keep its own salutation text instead of a code. `SalutationFormulas` reads the formulas of
many contacts in one query; the placeholders and their check are in `crm.validators` (the model's field uses it).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .models import SalutationFormula
from .validators import SALUTATION_PLACEHOLDER_RE as _PLACEHOLDER_RE

FORMAL, INFORMAL = "formal", "informal"


# Lower-case words that begin a surname ("Ben de Vries", "Hans von Braun"): the surname runs from them to the end.
SURNAME_PARTICLES = frozenset(
    {"da", "de", "del", "della", "der", "di", "dos", "du", "la", "le", "st.", "te", "ten", "ter", "van", "von", "zu"}
)


def name_parts(name: str) -> tuple[str, str, str]:
    """(first name, middle name, surname) of a person's name, split at spaces: the first word, the words between,
    the last word, or from a lower-case particle on ("von Braun"); one word is the surname."""
    words = (name or "").split()
    if not words:
        return "", "", ""
    if len(words) == 1:
        return "", "", words[0]
    start = next((i for i in range(1, len(words) - 1) if words[i] in SURNAME_PARTICLES), len(words) - 1)
    return words[0], " ".join(words[1:start]), " ".join(words[start:])


def placeholder_values(contact: Any) -> dict[str, str]:
    """The placeholders' values for a contact (its company loaded, or the company name costs a query)."""
    if contact.is_company:
        first = middle = surname = ""
    else:
        first, middle, surname = name_parts(contact.name)
    initials = " ".join(f"{word[0]}." for word in f"{first} {middle}".split())
    return {
        "job_title": contact.job_title or "",
        "first_name": first,
        "middle_name": middle,
        "surname": surname,
        "initials": initials,
        "company_name": contact.company_name or "",
        "name": contact.name or "",
    }


def render_formula(formula: str, values: dict[str, str]) -> str:
    """The formula with its placeholders filled in; a blank part leaves no double space behind."""
    filled = _PLACEHOLDER_RE.sub(lambda match: values.get(match.group(1).strip(), ""), formula)
    return " ".join(filled.split())


def _base_language(language_code: str) -> str:
    return language_code.split("-")[0].lower()


class SalutationFormulas:
    """The formulas of some salutation codes, read in one query, by (salutation id, language code, type)."""

    def __init__(self, rows: Iterable[tuple[int, str, str, str]] = ()) -> None:
        self._formulas = {(salutation_id, language, kind): formula for salutation_id, language, kind, formula in rows}

    @classmethod
    def for_salutations(cls, salutation_ids: Iterable[int | None]) -> SalutationFormulas:
        """The formulas of these salutation codes: one query, none when there are no codes."""
        ids = {salutation_id for salutation_id in salutation_ids if salutation_id}
        if not ids:
            return cls()
        return cls(
            SalutationFormula.objects.filter(salutation_id__in=ids).values_list(
                "salutation_id", "language_code", "salutation_type", "formula"
            )
        )

    @classmethod
    def for_contacts(cls, contacts: Iterable[Any]) -> SalutationFormulas:
        """The formulas of these contacts' and their companies' salutation codes (companies loaded): one query."""
        ids: set[int] = set()
        for contact in contacts:
            if contact is None:
                continue
            ids.add(contact.salutation_code_id)
            if not contact.is_company and contact.company_id:
                ids.add(contact.company.salutation_code_id)
        return cls.for_salutations(ids)

    @classmethod
    def everything(cls) -> SalutationFormulas:
        """Every formula (a short table): for a whole segment or job, one query whatever its size."""
        return cls(
            SalutationFormula.objects.values_list("salutation_id", "language_code", "salutation_type", "formula")
        )

    def formula(self, salutation_id: int | None, language_code: str, kind: str = FORMAL) -> str | None:
        """The formula for that language (de-AT falls back to de), or None."""
        if not salutation_id:
            return None
        found = self._formulas.get((salutation_id, language_code, kind))
        if found is None and "-" in language_code:
            found = self._formulas.get((salutation_id, _base_language(language_code), kind))
        return found

    def salutation(self, contact: Any, language_code: str, kind: str = FORMAL) -> str:
        """The contact's salutation from its code's formula in that language, or "" when there is none."""
        formula = self.formula(contact.salutation_code_id, language_code, kind)
        if formula is None:
            return ""
        return render_formula(formula, placeholder_values(contact))
