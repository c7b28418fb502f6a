"""Outgoing phone calls (reference 2.14, Make Phone Call; docs/BEHAVIOUR.md §10): interaction_log_call logs an entry
with the "Outgoing phone calls" setup template. Each test: given … / when … / then …."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from crm.models import AuditEvent
from interactions.models import InteractionLogEntry
from interactions.services import interaction_log_call
from interactions.services.calls import CALL_SETUP_MISSING, PHONE_NUMBER_MISSING
from tests.factories import (
    InteractionTemplateFactory,
    InteractionTemplateSetupFactory,
    PersonFactory,
    SalespersonFactory,
)

pytestmark = pytest.mark.django_db


def call_setup(**fields):
    defaults = {
        "code": "CALL-OUT",
        "description": "Outgoing call",
        "correspondence_type": "",
        "unit_cost": Decimal("1.20"),
        "unit_duration_minutes": 4,
        "information_flow": "outbound",
        "initiated_by": "us",
    }
    template = InteractionTemplateFactory(**{**defaults, **fields})
    InteractionTemplateSetupFactory(event="phone_call", template=template)
    return template


def test_given_a_call_setup_when_a_contact_with_a_phone_is_called_then_an_entry_is_logged_with_its_template(
    salesperson_user,
):
    template = call_setup()
    contact = PersonFactory(phone="+49 30 555 1234", mobile="")

    entry = interaction_log_call(
        contact,
        user=salesperson_user,
        description="Asked about the spring order",
        duration_minutes=12,
        evaluation="positive",
    )

    assert entry == InteractionLogEntry.objects.get()
    assert (entry.contact, entry.contact_company) == (contact, contact.company)
    assert (entry.template, entry.group) == (template, template.group)
    assert entry.description == "Asked about the spring order"
    assert (entry.duration_minutes, entry.cost) == (12, Decimal("1.20"))
    assert (entry.information_flow, entry.initiated_by) == ("outbound", "us")
    assert entry.evaluation == "positive" and entry.attempt_failed is False
    assert entry.correspondence_type == "" and entry.delivery_status == ""
    assert entry.user == salesperson_user and not entry.has_document
    assert AuditEvent.objects.filter(action="interaction_created", count=1).exists()


def test_given_no_description_when_a_call_is_logged_then_the_template_description_and_duration_are_used(
    salesperson_user,
):
    call_setup(description="Phone call", unit_duration_minutes=6)
    entry = interaction_log_call(PersonFactory(phone="", mobile="+44 7700 900123"), user=salesperson_user)
    assert (entry.description, entry.duration_minutes) == ("Phone call", 6)


def test_given_nobody_answered_when_the_call_is_logged_as_failed_then_the_entry_says_attempt_failed(
    salesperson_user,
):
    call_setup()
    entry = interaction_log_call(PersonFactory(), user=salesperson_user, attempt_failed=True, duration_minutes=0)
    assert entry.attempt_failed is True and entry.duration_minutes == 0


def test_given_the_caller_has_a_salesperson_when_a_call_is_logged_then_the_entry_is_theirs(salesperson_user):
    call_setup()
    own = SalespersonFactory(user=salesperson_user)
    contact = PersonFactory(salesperson=SalespersonFactory())
    assert interaction_log_call(contact, user=salesperson_user).salesperson == own


def test_scenario_15_given_no_call_template_in_the_setup_when_a_call_is_logged_then_it_is_refused(
    salesperson_user,
):
    InteractionTemplateSetupFactory(event="phone_call", template=None)
    with pytest.raises(ValidationError) as raised:
        interaction_log_call(PersonFactory(), user=salesperson_user)
    assert raised.value.messages == [CALL_SETUP_MISSING]
    assert "Outg. Calls field in the Interaction Template Setup window must be filled in" in CALL_SETUP_MISSING
    assert InteractionLogEntry.objects.count() == 0 and AuditEvent.objects.count() == 0


def test_given_no_setup_row_at_all_when_a_call_is_logged_then_it_is_refused(salesperson_user):
    with pytest.raises(ValidationError, match="outgoing phone calls"):
        interaction_log_call(PersonFactory(), user=salesperson_user)
    assert InteractionLogEntry.objects.count() == 0


def test_scenario_16_given_a_contact_without_phone_or_mobile_when_called_then_fill_in_the_phone_number(
    salesperson_user,
):
    call_setup()
    with pytest.raises(ValidationError) as raised:
        interaction_log_call(PersonFactory(phone="", mobile=""), user=salesperson_user)
    assert raised.value.message_dict == {"phone_no": [PHONE_NUMBER_MISSING]}
    assert PHONE_NUMBER_MISSING == "You must fill in the phone number."
    assert InteractionLogEntry.objects.count() == 0


def test_given_a_number_that_is_not_the_contacts_when_called_then_it_is_refused(salesperson_user):
    call_setup()
    with pytest.raises(ValidationError, match="phone number"):
        interaction_log_call(PersonFactory(phone="+49 30 1"), user=salesperson_user, phone_no="+1 555 0100")
    assert InteractionLogEntry.objects.count() == 0


def test_given_a_blank_description_when_a_call_is_logged_then_description_is_mandatory(salesperson_user):
    call_setup()
    with pytest.raises(ValidationError) as raised:
        interaction_log_call(PersonFactory(), user=salesperson_user, description="  ")
    assert raised.value.message_dict == {"description": ["Description is mandatory."]}
    assert InteractionLogEntry.objects.count() == 0


def test_given_a_privacy_blocked_contact_when_called_then_it_is_refused(salesperson_user):
    call_setup()
    contact = PersonFactory(privacy_blocked=True)
    with pytest.raises(ValidationError, match="blocked due to privacy"):
        interaction_log_call(contact, user=salesperson_user)
    assert InteractionLogEntry.objects.count() == 0


@pytest.mark.parametrize("bad", [{"duration_minutes": -1}, {"evaluation": "splendid"}])
def test_given_a_negative_duration_or_unknown_evaluation_when_a_call_is_logged_then_it_is_refused(
    salesperson_user, bad
):
    call_setup()
    with pytest.raises(ValidationError):
        interaction_log_call(PersonFactory(), user=salesperson_user, **bad)
    assert InteractionLogEntry.objects.count() == 0
