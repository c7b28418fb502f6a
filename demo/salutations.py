"""Demo salutation codes (docs/BEHAVIOUR.md §1, "Salutations"): MR, MS and COMPANY with English, German and French
formulas, and the demo persons' codes set from their salutation ("Dear Mr …" -> MR).

Not part of `seed_contacts` (which the benchmarks use for their data set): the demo alone gets codes, with one
UPDATE per code. Idempotent: a contact that has a code keeps it.
"""

from crm.models import Contact, Salutation
from crm.salutation_services import salutation_formula_set, salutation_save

# code, description, {(language, type): formula}
SALUTATIONS = [
    (
        "MR",
        "Mister",
        {
            ("en", "formal"): "Dear Mr {surname}",
            ("en", "informal"): "Dear {first_name}",
            ("de", "formal"): "Sehr geehrter Herr {surname}",
            ("de", "informal"): "Lieber {first_name}",
            ("fr", "formal"): "Monsieur",
            ("fr", "informal"): "Cher {first_name}",
        },
    ),
    (
        "MS",
        "Madam",
        {
            ("en", "formal"): "Dear Ms {surname}",
            ("en", "informal"): "Dear {first_name}",
            ("de", "formal"): "Sehr geehrte Frau {surname}",
            ("de", "informal"): "Liebe {first_name}",
            ("fr", "formal"): "Madame",
            ("fr", "informal"): "Chère {first_name}",
        },
    ),
    (
        "COMPANY",
        "Company",
        {
            ("en", "formal"): "Dear Sir or Madam",
            ("de", "formal"): "Sehr geehrte Damen und Herren",
            ("fr", "formal"): "Madame, Monsieur",
        },
    ),
]
# The demo persons' own salutation ("Dear Mr Becker") says which code fits them.
CODE_FOR_SALUTATION_START = {"MR": "Dear Mr ", "MS": "Dear Ms ", "COMPANY": "Dear Sir or Madam"}


def seed(stdout, **options) -> None:
    codes = {}
    for code, description, formulas in SALUTATIONS:
        salutation = Salutation.objects.filter(code=code).first() or salutation_save(
            Salutation(code=code, description=description)
        )
        for (language, kind), formula in formulas.items():
            if not salutation.formulas.filter(language_code=language, salutation_type=kind).exists():
                salutation_formula_set(salutation, language_code=language, salutation_type=kind, formula=formula)
        codes[code] = salutation
    assigned = 0
    for code, start in CODE_FOR_SALUTATION_START.items():
        assigned += Contact.objects.filter(salutation_code__isnull=True, salutation__startswith=start).update(
            salutation_code=codes[code]
        )
    stdout.write(f"  salutations MR, MS, COMPANY (English, German, French); {assigned:,} contacts given a code")
