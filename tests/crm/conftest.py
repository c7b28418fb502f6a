"""Fixtures of the crm tests."""

import pytest

from crm.models import Salutation
from crm.salutation_services import salutation_formula_set, salutation_save


@pytest.fixture
def mr():
    salutation = salutation_save(Salutation(code="MR", description="Mister"))
    salutation_formula_set(salutation, language_code="en", formula="Dear Mr {surname}")
    salutation_formula_set(salutation, language_code="de", formula="Sehr geehrter Herr {surname}")
    salutation_formula_set(salutation, language_code="de", salutation_type="informal", formula="Lieber {first_name}")
    return salutation
