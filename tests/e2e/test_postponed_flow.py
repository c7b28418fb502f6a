"""Finish later in the browser (reference 2.1, scenarios 8 and 9): leave Create interaction with input, answer Yes
to "Do you want to finish this interaction later?", find it on Postponed interactions, resume, finish: the entry
keeps its number. Answering No discards the input."""

import pytest

from interactions.models import InteractionLogEntry
from tests.e2e.conftest import login, screenshot
from tests.factories import InteractionTemplateFactory, PersonFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_seller_finishes_an_interaction_later_and_resumes_it_under_the_same_number(page, salesperson_user):
    person = PersonFactory(name="Ada Lovelace")
    InteractionTemplateFactory(code="CALL", description="Phone call", correspondence_type="")

    login(page, "seller")
    page.goto(f"/interactions/new/?contact={person.pk}")
    page.select_option("select[name=template]", label="CALL – Phone call")
    page.fill("input[name=description]", "Call back about the offer")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Segments", exact=True).click()

    dialog = page.locator("#finish-later-dialog")
    dialog.get_by_text("Do you want to finish this interaction later?").wait_for()
    screenshot(page, "interaction-finish-later-question")
    dialog.get_by_role("button", name="Yes").click()
    page.wait_for_url("**/segments/")
    assert page.get_by_text("was saved for later").is_visible()
    entry = InteractionLogEntry.postponed_objects.get()
    assert not InteractionLogEntry.objects.exists()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Postponed").click()
    page.wait_for_url("**/interactions/postponed/")
    row = page.get_by_role("row").filter(has_text="Call back about the offer")
    screenshot(page, "interaction-postponed-list")
    row.get_by_role("link", name="Resume").click()
    page.wait_for_url(f"**/interactions/new/?resume={entry.pk}")
    assert page.input_value("input[name=description]") == "Call back about the offer"
    page.fill("input[name=description]", "Called back about the offer")
    page.get_by_role("button", name="Log interaction").click()

    page.wait_for_url(f"**/contacts/{person.pk}/")
    assert page.get_by_text(f"Interaction {entry.pk}").first.is_visible()
    logged = InteractionLogEntry.objects.get()
    assert logged.pk == entry.pk and logged.description == "Called back about the offer"
    assert not InteractionLogEntry.postponed_objects.exists()


def test_answering_no_leaves_without_saving(page, salesperson_user):
    person = PersonFactory(name="Grace Hopper")
    InteractionTemplateFactory(code="CALL", description="Phone call", correspondence_type="")
    login(page, "seller")
    page.goto(f"/interactions/new/?contact={person.pk}")
    page.fill("input[name=description]", "Something")
    page.get_by_role("link", name="Cancel").click()
    page.locator("#finish-later-dialog").get_by_role("button", name="No").click()
    page.wait_for_url(f"**/contacts/{person.pk}/")
    assert not InteractionLogEntry.all_objects.exists()
