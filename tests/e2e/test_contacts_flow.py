import pytest

from tests.e2e.conftest import login, screenshot
from tests.factories import CompanyFactory, PersonFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_viewer_logs_in_filters_the_contact_list_and_opens_a_contact(page, viewer):
    hamburg = CompanyFactory(name="Hanseatic Shipping", city="Hamburg")
    PersonFactory(name="Ada Lovelace", company=hamburg, city="Hamburg")
    CompanyFactory(name="Bavarian Breweries", city="Munich")

    login(page, "viewer")
    page.goto("/contacts/")
    assert page.get_by_role("link", name="Bavarian Breweries").is_visible()

    page.get_by_text("Filters", exact=True).click()  # the panel is folded away while no filter is set
    page.fill("input[name=city]", "Hamburg")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**city=Hamburg**")
    assert page.get_by_role("link", name="Hanseatic Shipping").is_visible()
    assert page.get_by_role("link", name="Bavarian Breweries").count() == 0
    screenshot(page, "contacts-filtered")

    page.get_by_role("link", name="Hanseatic Shipping").click()
    page.wait_for_url(f"**/contacts/{hamburg.pk}/")
    assert page.get_by_role("heading", name="Hanseatic Shipping").is_visible()
    assert page.get_by_role("link", name="Ada Lovelace").first.is_visible()
    screenshot(page, "contact-detail")
