"""Interaction template setup offers only events that something logs (docs/BEHAVIOUR.md §10): each row has the
action that uses it, and the admin's setup form lists exactly those."""

import re

import pytest

from interactions.models import DOCUMENT_TYPE_FOR_KIND, InteractionTemplateSetup
from interactions.services import cover_sheets_log, interaction_log_call, interaction_send_email, log_printed_document

pytestmark = pytest.mark.django_db

# Each event and the service that logs with its template.
ACTIONS = {
    **{document_type.value: log_printed_document for document_type in DOCUMENT_TYPE_FOR_KIND.values()},
    InteractionTemplateSetup.Event.EMAIL.value: interaction_send_email,
    InteractionTemplateSetup.Event.PHONE_CALL.value: interaction_log_call,
    InteractionTemplateSetup.Event.COVER_SHEET.value: cover_sheets_log,
}


def test_every_setup_event_has_an_action_that_logs_with_it():
    assert set(InteractionTemplateSetup.Event.values) == set(ACTIONS)


def test_the_admins_setup_form_offers_exactly_the_events_with_an_action(staff_marketer):
    page = staff_marketer.get("/admin/interactions/interactiontemplatesetup/add/").content.decode()
    select = re.search(r'<select name="event".*?</select>', page, re.S).group(0)
    offered = {value for value in re.findall(r'<option value="([^"]*)"', select) if value}
    assert offered == set(ACTIONS)
