"""The entries page's filters: codes chosen from their lists and typed in any case; contacts picked by number
or name (docs/BEHAVIOUR.md §1a Finding a contact)."""

import pytest

from tests.factories import (
    InteractionGroupFactory,
    InteractionLogEntryFactory,
    InteractionTemplateFactory,
    PersonFactory,
    SalespersonFactory,
)

pytestmark = pytest.mark.django_db


def ids_on_page(response) -> list[int]:
    assert response.status_code == 200
    return [row.record.pk for row in response.context["table"].page.object_list]


def test_template_group_and_salesperson_codes_match_whatever_the_case(viewer_client):
    call = InteractionTemplateFactory(code="CALL", group=InteractionGroupFactory(code="PHONE"))
    seller = SalespersonFactory(code="JS")
    wanted = InteractionLogEntryFactory(template=call, salesperson=seller)
    InteractionLogEntryFactory(template=InteractionTemplateFactory(code="MEET"))
    for params in ({"template": "call"}, {"group": "Phone"}, {"salesperson": "js"}):
        assert ids_on_page(viewer_client.get("/interactions/", params)) == [wanted.pk], params


def test_a_contact_number_matches_whatever_the_case(viewer_client):
    person = PersonFactory()
    wanted = InteractionLogEntryFactory(contact=person)
    InteractionLogEntryFactory()
    assert ids_on_page(viewer_client.get("/interactions/", {"contact": person.no.lower()})) == [wanted.pk]


def test_an_unknown_code_is_still_named_as_an_error(viewer_client):
    InteractionTemplateFactory(code="CALL")
    text = viewer_client.get("/interactions/", {"template": "calls"}).content.decode()
    assert "There is no interaction template with the code “calls”." in text


def test_the_filters_offer_the_codes_with_their_descriptions(viewer_client):
    InteractionTemplateFactory(
        code="CALL", description="Phone call", group=InteractionGroupFactory(code="PHONE", description="Calls")
    )
    SalespersonFactory(code="JS", name="Jane Seller")
    text = viewer_client.get("/interactions/").content.decode()
    assert '<option value="CALL">Phone call</option>' in text
    assert '<option value="PHONE">Calls</option>' in text
    assert '<option value="JS">Jane Seller</option>' in text
