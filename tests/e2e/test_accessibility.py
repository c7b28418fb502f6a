"""Every page of the URL list (SPEC 4.1), the error pages and the admin pass axe-core with no serious or critical
violation; the main controls are reachable and operable by keyboard.

axe-core comes bundled in axe-playwright-python (pinned in pyproject.toml's test extras): nothing is fetched.
"""

import pytest
from axe_playwright_python.sync_playwright import Axe

from crm.audit import audit_record
from crm.models import AuditEvent
from interactions.models import InteractionTemplateSetup as Setup
from segments.models import LogJob
from segments.services import segment_add_contacts, segment_log, segment_reduce_contacts, segment_save_criteria
from tests.e2e.conftest import login, screenshot
from tests.factories import (
    CompanyFactory,
    InteractionLogEntryFactory,
    InteractionTemplateFactory,
    PersonFactory,
    SalesDocumentFactory,
    SalesDocumentLineFactory,
    SegmentLineFactory,
    UserFactory,
)
from tests.segments.logging_helpers import segment_with_lines, template_with_letter

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
    """One of each kind of record, and every page of the URL list that a GET shows (SPEC 4.1): lists, detail
    pages, forms, confirmation pages, the admin's. Pages that only take a POST are reached by their forms in the
    flows; their confirmation pages are here where a GET shows them."""
    company = CompanyFactory(name="Hanseatic Shipping Inc.")
    person = PersonFactory(name="Ada Lovelace", company=company, email="ada@example.com")
    template = InteractionTemplateFactory(code="CALL")
    cover = InteractionTemplateFactory(code="COVER")
    for event in (Setup.Event.PHONE_CALL, Setup.Event.EMAIL, Setup.Event.COVER_SHEET):
        Setup.objects.create(event=event, template=cover)
    entry = InteractionLogEntryFactory(contact=person, template=template)
    InteractionLogEntryFactory(contact=person, template=template, canceled=True)
    postponed = InteractionLogEntryFactory(contact=person, template=template, postponed=True, user=marketer)
    document = SalesDocumentFactory(contact=person)
    SalesDocumentLineFactory(document=document)
    worksheet, lines = segment_with_lines(2, description="Spring mailing")
    logged_from, _ = segment_with_lines(1, description="Winter mailing")
    logged = segment_log(logged_from, user=marketer)
    emptied, _ = segment_with_lines(0, description="Emptied mailing")
    segment_add_contacts(emptied, criteria={"no": person.no}, user=marketer)
    segment_reduce_contacts(emptied, criteria={"no": person.no}, user=marketer)
    # A worksheet whose e-mail lines include a contact without an address: the card with the ways out shows.
    to_fix, _ = segment_with_lines(
        0,
        description="Needs fixing",
        template=template_with_letter(code="MAIL", correspondence_type="email"),
    )
    SegmentLineFactory(segment=to_fix, contact=PersonFactory(name="Nora Noaddress", email=""))
    # A logged segment whose job is running: its card counts letters and e-mails.
    running_from, _ = segment_with_lines(1, description="Running mailing")
    running = segment_log(running_from, user=marketer)
    LogJob.objects.create(
        logged_segment=running, status="running", stage="Merging", letters=10, emails=5, total=15, done=4
    )
    criteria_from, _ = segment_with_lines(0, description="Criteria source")
    segment_add_contacts(criteria_from, criteria={"city": "Kiel"}, user=marketer)
    saved = segment_save_criteria(criteria_from, code="KIEL", description="Contacts in Kiel", user=marketer)
    return {
        "login": "/accounts/login/",
        "contacts": "/contacts/",
        "contact search": "/contacts/search/?q=Ada",
        "contact": f"/contacts/{person.pk}/",
        "company": f"/contacts/{company.pk}/",
        "new contact": "/contacts/new/",
        "edit contact": f"/contacts/{person.pk}/edit/",
        "entries": "/interactions/",
        "entries filtered": f"/interactions/?contact={person.no}&canceled=true",
        "entry": f"/interactions/{entry.pk}/",
        "create interaction": f"/interactions/new/?contact={person.pk}",
        "resume postponed": f"/interactions/new/?resume={postponed.pk}",
        "postponed interactions": "/interactions/postponed/",
        "delete canceled interactions": "/interactions/delete-canceled/",
        "statistics": "/interactions/statistics/",
        "log a call": f"/interactions/contacts/{person.pk}/call/",
        "e-mail a contact": f"/interactions/contacts/{person.pk}/email/",
        "contact cover sheet": f"/interactions/contacts/{person.pk}/cover-sheet/",
        "worksheets": "/segments/",
        "new worksheet": "/segments/new/",
        "worksheet": f"/segments/{worksheet.pk}/",
        "worksheet line": f"/segments/{worksheet.pk}/lines/{lines[0].pk}/",
        "worksheet cover sheets": f"/segments/{worksheet.pk}/cover-sheets/",
        "worksheet with lines to fix": f"/segments/{to_fix.pk}/",
        "logged segment with a running job": f"/segments/logged/{running.pk}/",
        "reset steps question": f"/segments/{emptied.pk}/reset-steps/",
        "saved criteria": "/segments/criteria/",
        "saved criteria detail": f"/segments/criteria/{saved.pk}/",
        "logged segments": "/segments/logged/",
        "logged segment": f"/segments/logged/{logged.pk}/",
        "documents": "/documents/",
        "document": f"/documents/{document.pk}/",
        "new document": "/documents/new/",
        "edit document": f"/documents/{document.pk}/edit/",
        "e-mail document confirmation": f"/documents/{document.pk}/email/",
        "audit": "/audit/",
        "admin": "/admin/",
        "admin templates": "/admin/interactions/interactiontemplate/",
        "admin template": f"/admin/interactions/interactiontemplate/{template.pk}/change/",
        "admin groups": "/admin/interactions/interactiongroup/",
        "admin salespeople": "/admin/crm/salesperson/",
        "admin contact": f"/admin/crm/contact/{person.pk}/change/",
        "405": f"/segments/{worksheet.pk}/go-back/",
        "404": "/segments/987654321/",
    }


# The status each page must answer with: every other one is 200.
ERROR_STATUS = {"404": 404, "405": 405}


def test_every_page_of_the_url_list_has_no_serious_or_critical_axe_violation(page, marketer, stranger):
    # A superuser reaches every page, each role's and the admin's; the 403 page is a stranger's.
    UserFactory(username="root", is_staff=True, is_superuser=True)
    pages = _world(marketer)

    found, statuses = {}, {}
    page.goto(pages.pop("login"))
    found["login"] = _blocking_violations(page)
    login(page, "root")
    for name, url in pages.items():
        response = page.goto(url)
        page.wait_for_load_state("load")
        if response.status != ERROR_STATUS.get(name, 200):
            statuses[name] = response.status
        found[name] = _blocking_violations(page)
        if name == "worksheet with lines to fix":
            assert "Nora Noaddress" in page.inner_text("#unsendable"), "the card naming the lines to fix"
        if name == "logged segment with a running job":
            assert "Merging letters: 4 of 10 letters" in page.inner_text("main")
    page.goto("/audit/")
    screenshot(page, "audit")

    page.context.clear_cookies()
    login(page, "stranger")
    response = page.goto("/audit/")
    assert response.status == 403
    found["403"] = _blocking_violations(page)

    assert statuses == {}, f"pages that did not answer as expected: {statuses}"
    found = {name: problems for name, problems in found.items() if problems}
    assert found == {}, "\n".join(f"{name}: {problem}" for name, problems in found.items() for problem in problems)


def test_form_errors_are_announced_next_to_their_fields(page, salesperson_user):
    login(page, "seller")
    page.goto("/contacts/new/")
    page.evaluate("document.querySelectorAll('form').forEach(form => form.noValidate = true)")
    page.fill("#id_email", "not an address")
    page.get_by_role("button", name="Save").first.click()
    page.wait_for_load_state("load")

    field = page.locator("#id_email")
    assert field.get_attribute("aria-invalid") == "true"
    described = [page.locator(f"#{name}") for name in field.get_attribute("aria-describedby").split()]
    assert any("valid email address" in error.inner_text() for error in described if error.count())
    # The alert summary names the field and leads to it.
    summary = page.get_by_role("alert").first
    assert "E-mail needs correcting" in summary.inner_text()
    summary.locator('a[href="#id_email"]').focus()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "id_email"
    screenshot(page, "form-errors")
    assert _blocking_violations(page) == []


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


def _focused(page) -> str:
    return page.evaluate("document.activeElement.id || document.activeElement.textContent.trim()")


def test_the_document_lines_and_the_audit_filters_work_by_keyboard(page, marketer, salesperson_user):
    document = SalesDocumentFactory(contact=PersonFactory(name="Ada Lovelace"))
    login(page, "seller")
    page.goto(f"/documents/{document.pk}/edit/")
    # Each line's inputs, in reading order, then the next line's: labelled by line, reachable by Tab.
    page.focus("#id_lines-0-description")
    order = [_focused(page)]
    for _ in range(4):
        page.keyboard.press("Tab")
        order.append(_focused(page))
    assert order == [
        "id_lines-0-description",
        "id_lines-0-quantity",
        "id_lines-0-unit_price",
        "id_lines-0-DELETE",
        "id_lines-1-description",
    ]
    assert page.get_by_label("Line 2: quantity").count() == 1

    page.context.clear_cookies()
    audit_record(AuditEvent.Action.ENTRIES_CANCELED, user=marketer, count=2, summary="Canceled 2 entries: 7, 9")
    login(page, "marketer")
    page.goto("/audit/")
    page.locator("summary").first.focus()
    page.keyboard.press("Enter")  # unfolds the filter panel
    page.keyboard.press("Tab")
    assert _focused(page) == "id_action"
    page.select_option("#id_action", "entries_canceled")
    for _ in range(15):  # on through the other filters (a date input has a stop per part) to Apply
        page.keyboard.press("Tab")
        if _focused(page) == "Apply":
            break
    assert _focused(page) == "Apply"
    page.keyboard.press("Enter")
    page.wait_for_url("**/audit/?*")
    assert "Canceled 2 entries: 7, 9" in page.inner_text("main")
