"""Every page of the URL list (SPEC 4.1), the error pages and the admin pass axe-core with no serious or critical
violation; the main controls are reachable and operable by keyboard.

axe-core comes bundled in axe-playwright-python (pinned in pyproject.toml's test extras): nothing is fetched.
"""

import pytest
from axe_playwright_python.sync_playwright import Axe

from segments.services import segment_log
from tests.e2e.conftest import login, screenshot
from tests.factories import (
    CompanyFactory,
    InteractionLogEntryFactory,
    InteractionTemplateFactory,
    PersonFactory,
    SalesDocumentFactory,
    SalesDocumentLineFactory,
)
from tests.segments.logging_helpers import segment_with_lines

pytestmark = pytest.mark.django_db(transaction=True)

BLOCKING = {"serious", "critical"}


def _blocking_violations(page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} — "
        + "; ".join(node["target"][0] if node["target"] else "?" for node in violation["nodes"][:5])
        for violation in results.response["violations"]
        if violation["impact"] in BLOCKING
    ]


def _world(marketer):
    company = CompanyFactory(name="Hanseatic Shipping Inc.")
    person = PersonFactory(name="Ada Lovelace", company=company)
    template = InteractionTemplateFactory(code="CALL")
    entry = InteractionLogEntryFactory(contact=person, template=template)
    document = SalesDocumentFactory(contact=person)
    SalesDocumentLineFactory(document=document)
    worksheet, _ = segment_with_lines(2, description="Spring mailing")
    logged_from, _ = segment_with_lines(1, description="Winter mailing")
    logged = segment_log(logged_from, user=marketer)
    return {
        "login": "/accounts/login/",
        "contacts": "/contacts/",
        "contact": f"/contacts/{person.pk}/",
        "company": f"/contacts/{company.pk}/",
        "new contact": "/contacts/new/",
        "entries": "/interactions/",
        "entry": f"/interactions/{entry.pk}/",
        "create interaction": f"/interactions/new/?contact={person.pk}",
        "statistics": "/interactions/statistics/",
        "worksheets": "/segments/",
        "new worksheet": "/segments/new/",
        "worksheet": f"/segments/{worksheet.pk}/",
        "logged segments": "/segments/logged/",
        "logged segment": f"/segments/logged/{logged.pk}/",
        "documents": "/documents/",
        "document": f"/documents/{document.pk}/",
        "admin": "/admin/",
        "admin templates": "/admin/interactions/interactiontemplate/",
        "admin groups": "/admin/interactions/interactiongroup/",
        "admin salespeople": "/admin/crm/salesperson/",
        "404": "/segments/987654321/",
    }


def test_every_page_of_the_url_list_has_no_serious_or_critical_axe_violation(page, marketer):
    marketer.is_staff = True
    marketer.save()
    pages = _world(marketer)

    found = {}
    page.goto(pages.pop("login"))
    found["login"] = _blocking_violations(page)
    login(page, "marketer")
    for name, url in pages.items():
        page.goto(url)
        page.wait_for_load_state("load")
        problems = _blocking_violations(page)
        if problems:
            found[name] = problems
    found = {name: problems for name, problems in found.items() if problems}
    assert found == {}, "\n".join(f"{name}: {problem}" for name, problems in found.items() for problem in problems)


def test_the_error_pages_lead_back_and_the_navigation_works_by_keyboard(page, marketer):
    page.set_viewport_size({"width": 1920, "height": 1000})  # wide enough for the product's name in the bar
    login(page, "marketer")
    page.goto("/segments/987654321/")
    assert page.get_by_role("heading", name="Page not found").is_visible()
    screenshot(page, "error-404")
    # The first Tab stop is the product's name (home), then the main navigation in order.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent").strip().startswith("Relationship")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent").strip() == "Contacts"
    page.keyboard.press("Enter")
    page.wait_for_url("**/contacts/")
    assert page.get_by_role("heading", name="Contacts").first.is_visible()
