"""The text of a sales document's e-mail (crm.document_printing): its salutation, as a letter's in English
(docs/BEHAVIOUR.md §1, "Salutations"), and its signature."""

import pytest

from crm.models import Contact
from crm.services import document_email_draft
from tests.factories import PersonFactory, SalesDocumentFactory

pytestmark = pytest.mark.django_db


def _person(name: str, code=None, **fields) -> Contact:
    return PersonFactory(name=name, salutation_code=code, **fields)


def test_a_sales_document_email_greets_with_the_english_formula_then_the_own_text_then_the_default(
    mr, salesperson_user
):
    # The e-mail's text is English: a German contact with the code still gets the English formula.
    with_code = _person("Hans Braun", mr, salutation="Hallo Hans", language_code="de")
    own_text = _person("Ann Lee", salutation="Dear Ann")
    neither = _person("Bo Chen", salutation="")
    bodies = [
        document_email_draft(SalesDocumentFactory(contact=contact), user=salesperson_user)["body"]
        for contact in (with_code, own_text, neither)
    ]
    assert [body.split(",\n", 1)[0] for body in bodies] == ["Dear Mr Braun", "Dear Ann", "Dear Sir or Madam"]


def test_a_sales_document_email_is_signed_by_the_user_then_the_company_and_never_twice(salesperson_user, settings):
    settings.COMPANY_NAME = "Northwind Traders Ltd"
    document = SalesDocumentFactory(contact=_person("Ann Lee", salutation="Dear Ann"))
    salesperson_user.first_name, salesperson_user.last_name = "", ""
    assert document_email_draft(document, user=salesperson_user)["body"].endswith(
        "Kind regards\nNorthwind Traders Ltd\n"
    )
    salesperson_user.first_name, salesperson_user.last_name = "Sam", "Seller"
    assert document_email_draft(document, user=salesperson_user)["body"].endswith(
        "Kind regards\nSam Seller\nNorthwind Traders Ltd\n"
    )
