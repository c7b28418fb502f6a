"""The contact picker in the browser: type part of a name, choose with the keyboard, log the interaction; and the
navigation bar's search box that jumps to a contact."""

import re

import pytest

from crm.models import Contact
from demo.contacts import seed_contacts
from interactions.models import InteractionLogEntry
from tests.e2e.conftest import login, screenshot
from tests.factories import CompanyFactory, InteractionTemplateFactory, PersonFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_seller_finds_a_contact_by_part_of_its_name_and_logs_a_call_with_the_keyboard(page, salesperson_user):
    company = CompanyFactory(name="Analytical Engines Ltd")
    PersonFactory(name="Ada Byron", company=CompanyFactory(name="Difference Works"))
    ada = PersonFactory(name="Ada Lovelace", company=company)
    PersonFactory(name="Charles Babbage", company=company)
    InteractionTemplateFactory(code="CALL", description="Phone call")

    login(page, "seller")
    page.goto("/interactions/new/")
    field = page.get_by_role("combobox", name="Contact no.")
    field.click()
    field.press_sequentially("ada", delay=30)
    suggestions = page.get_by_role("listbox", name="Suggested contacts")
    suggestions.get_by_role("option").first.wait_for()
    assert field.get_attribute("aria-expanded") == "true"
    assert suggestions.get_by_role("option").count() == 2
    field.press("ArrowDown")
    field.press("ArrowDown")
    chosen = suggestions.get_by_role("option", selected=True)
    assert "Ada Lovelace" in chosen.inner_text() and "Analytical Engines Ltd" in chosen.inner_text()
    assert field.get_attribute("aria-activedescendant") == chosen.get_attribute("id")
    screenshot(page, "contact-picker-suggestions")

    field.press("Enter")
    assert field.input_value() == ada.no
    assert field.get_attribute("aria-expanded") == "false"
    assert page.get_by_text("Ada Lovelace · Analytical Engines Ltd").is_visible()

    page.select_option("select[name=template]", label="CALL – Phone call")
    page.get_by_role("button", name="Log interaction").click()
    page.wait_for_url(f"**/contacts/{ada.pk}/")
    assert page.get_by_text("was logged for Ada Lovelace").is_visible()
    assert InteractionLogEntry.objects.get().contact == ada


def test_escape_closes_the_suggestions_and_keeps_what_was_typed(page, salesperson_user):
    PersonFactory(name="Grace Hopper")
    login(page, "seller")
    page.goto("/interactions/new/")
    field = page.get_by_role("combobox", name="Contact no.")
    field.press_sequentially("gra", delay=30)
    page.get_by_role("option").first.wait_for()
    field.press("Escape")
    assert field.get_attribute("aria-expanded") == "false"
    assert page.get_by_role("listbox", name="Suggested contacts").is_hidden()
    assert field.input_value() == "gra"


def test_the_search_box_in_the_navigation_bar_jumps_to_the_chosen_contact(page, salesperson_user):
    grace = PersonFactory(name="Grace Hopper", company=CompanyFactory(name="Navy Computing"))
    login(page, "seller")
    page.goto("/documents/")
    search = page.get_by_role("combobox", name="Find a contact by number or name")
    search.press_sequentially("grace h", delay=30)
    page.get_by_role("option", name="Grace Hopper").wait_for()
    search.press("ArrowDown")
    search.press("Enter")
    page.wait_for_url(f"**/contacts/{grace.pk}/")
    assert page.get_by_role("heading", name="Grace Hopper").is_visible()


def test_a_seller_finds_contact_ct012345_among_100000_by_part_of_its_name(page, salesperson_user):
    """Issue 15's walk: with 100,000 contacts the create-interaction page stays small, and typing part of a name
    finds the contact among them (at most 20 suggestions, docs/BEHAVIOUR.md §1a)."""
    seed_contacts(100_000)
    assert Contact.objects.count() == 100_000
    wanted = Contact.objects.get(no="CT012345")
    # The generated names repeat; give this one a name of its own, as a real customer's would be.
    Contact.objects.filter(pk=wanted.pk).update(name="Philippa Quennell-Marsh")
    InteractionTemplateFactory(code="CALL", description="Phone call")

    login(page, "seller")
    response = page.goto("/interactions/new/")
    assert len(response.body()) < 60_000  # no <select> of every contact
    field = page.get_by_role("combobox", name="Contact no.")
    field.click()
    field.press_sequentially("philippa q", delay=30)
    suggestions = page.get_by_role("listbox", name="Suggested contacts")
    option = suggestions.get_by_role("option", name=re.compile("CT012345"))
    option.wait_for()
    assert suggestions.get_by_role("option").count() <= 20
    screenshot(page, "contact-picker-100000")
    option.click()
    assert field.input_value() == "CT012345"

    page.select_option("select[name=template]", label="CALL – Phone call")
    page.get_by_role("button", name="Log interaction").click()
    page.wait_for_url(f"**/contacts/{wanted.pk}/")
    assert InteractionLogEntry.objects.get().contact_id == wanted.pk
