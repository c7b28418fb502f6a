"""A privacy-blocked contact is refused the same way by every path that would give it an interaction."""

import pytest
from django.core.exceptions import ValidationError

from crm import services as crm_services
from crm.models import Contact
from interactions.models import InteractionLogEntry
from interactions.services import interaction_create
from segments.services import segment_line_add, segment_log
from tests.factories import (
    CompanyFactory,
    InteractionTemplateFactory,
    InteractionTemplateSetupFactory,
    PersonFactory,
    SalesDocumentFactory,
    SalesDocumentLineFactory,
    SalespersonFactory,
    SegmentFactory,
    SegmentLineFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def blocked() -> Contact:
    return PersonFactory(name="Quiet Person", privacy_blocked=True)


def _expected(contact: Contact) -> str:
    return f"You cannot use contact {contact.no} Quiet Person because they are marked as blocked due to privacy."


def _refusal(call) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        call()
    return caught.value


def test_create_interaction_refuses_a_privacy_blocked_contact(blocked, marketer):
    error = _refusal(
        lambda: interaction_create(
            contact=blocked, template=InteractionTemplateFactory(), description="Call", user=marketer
        )
    )
    assert (error.messages, error.code) == ([_expected(blocked)], "privacy_blocked")


def test_adding_a_privacy_blocked_contact_to_a_worksheet_by_hand_is_refused_alike(blocked, marketer):
    error = _refusal(lambda: segment_line_add(SegmentFactory(), contact=blocked, user=marketer))
    assert (error.messages, error.code) == ([_expected(blocked)], "privacy_blocked")


def test_logging_a_segment_with_a_privacy_blocked_contact_is_refused_alike_and_says_what_to_do(blocked, marketer):
    segment = SegmentFactory(salesperson=SalespersonFactory())
    SegmentLineFactory(segment=segment, contact=blocked)
    error = _refusal(lambda: segment_log(segment, user=marketer))
    assert error.messages == [f"{_expected(blocked)} Remove the line from the segment."]
    assert error.code == "privacy_blocked"
    assert not InteractionLogEntry.objects.exists()


def test_printing_a_logged_document_for_a_privacy_blocked_contact_is_refused_alike(blocked, salesperson_user):
    InteractionTemplateSetupFactory(event="sales_invoice", template=InteractionTemplateFactory())
    document = SalesDocumentFactory(kind="invoice", contact=blocked)
    SalesDocumentLineFactory(document=document)
    error = _refusal(lambda: crm_services.document_print(document, user=salesperson_user))
    assert (error.messages, error.code) == ([_expected(blocked)], "privacy_blocked")
    document.refresh_from_db()
    assert document.no_printed == 0


def test_an_unblocked_contact_is_not_refused(marketer):
    person = PersonFactory(company=CompanyFactory())
    entry = interaction_create(contact=person, template=InteractionTemplateFactory(), description="Call", user=marketer)
    assert entry.contact == person
