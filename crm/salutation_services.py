"""Every change to salutation codes and their formulas goes through these functions (docs/BEHAVIOUR.md §1,
"Salutations"); the admin calls them."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from .models import Contact, Salutation, SalutationFormula
from .wording import count_of

__all__ = ["salutation_delete", "salutation_formula_delete", "salutation_formula_set", "salutation_save"]


@transaction.atomic
def salutation_save(salutation: Salutation) -> Salutation:
    """Create or change a salutation code (code, description), validated."""
    salutation.full_clean()
    salutation.save()
    return salutation


@transaction.atomic
def salutation_formula_set(
    salutation: Salutation, *, language_code: str, salutation_type: str = SalutationFormula.Type.FORMAL, formula: str
) -> SalutationFormula:
    """The code's formula for that language and type: created, or changed when there is one."""
    row = (
        SalutationFormula.objects.select_for_update()
        .filter(salutation=salutation, language_code=language_code, salutation_type=salutation_type)
        .first()
    ) or SalutationFormula(salutation=salutation, language_code=language_code, salutation_type=salutation_type)
    row.formula = formula
    row.full_clean()
    row.save()
    return row


@transaction.atomic
def salutation_formula_delete(formula: SalutationFormula) -> None:
    formula.delete()


@transaction.atomic
def salutation_delete(salutation: Salutation) -> None:
    """Delete a salutation code and its formulas; refused, naming how many, while contacts use it."""
    used = Contact.objects.filter(salutation_code=salutation).count()
    if used:
        raise ValidationError(
            f"Salutation {salutation.code} cannot be deleted: {count_of(used, 'contact uses', 'contacts use')} it. "
            "Give them another salutation code first."
        )
    salutation.delete()
