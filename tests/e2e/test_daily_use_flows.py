"""Daily use at scale (issue 15): a call for an e-mail-preferring contact just logs; a Send refused for three lines
without addresses is fixed from one message; a line of a 2,000-line worksheet is found by searching; the entries
list fits a 1366 × 768 screen. The screenshots of the entries list and the worksheet are kept in docs/screenshots/
for the documentation (README, "Screens")."""

import time
from pathlib import Path

import pytest

from interactions.models import InteractionLogEntry, LoggedSegment
from segments.models import SegmentLine
from tests.e2e.conftest import login
from tests.factories import (
    CompanyFactory,
    InteractionLogEntryFactory,
    InteractionTemplateFactory,
    PersonFactory,
    SalespersonFactory,
    SegmentFactory,
    SegmentLineFactory,
)
from tests.segments.logging_helpers import template_with_letter

pytestmark = pytest.mark.django_db(transaction=True)

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
LAPTOP = {"width": 1366, "height": 768}


def _keep(page, name: str, *, full_page: bool = False) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)


def test_a_seller_logs_a_call_for_a_contact_who_prefers_email_in_seconds(page, salesperson_user):
    InteractionTemplateFactory(code="CALL", description="Phone call", correspondence_type="")
    ada = PersonFactory(name="Ada Lovelace", correspondence_type="email")

    login(page, "seller")
    started = time.monotonic()
    page.goto(f"/interactions/new/?contact={ada.pk}")
    page.get_by_label("Interaction template").select_option(label="CALL – Phone call")
    page.get_by_label("Description").fill("Called about the spring offer")
    page.get_by_role("button", name="Log interaction").click()
    page.wait_for_url(f"**/contacts/{ada.pk}/")
    elapsed = time.monotonic() - started

    assert page.get_by_text("“Called about the spring offer” was logged for Ada Lovelace.").is_visible()
    entry = InteractionLogEntry.objects.get()
    assert entry.correspondence_type == "" and entry.delivery_status == ""
    assert elapsed < 10


def test_a_marketer_fixes_three_lines_without_addresses_from_one_message_and_logs_with_send(page, marketer):
    template = template_with_letter(code="SPRING", correspondence_type="email")
    segment = SegmentFactory(description="Spring mailing", template=template, salesperson=SalespersonFactory())
    for n in range(1, 6):
        SegmentLineFactory(segment=segment, contact=PersonFactory(name=f"Reachable {n}"))
    without = [
        SegmentLineFactory(segment=segment, contact=PersonFactory(name=name, email=""))
        for name in ("Ada Lovelace", "Grace Hopper", "Alan Turing")
    ]
    page.set_viewport_size(LAPTOP)

    login(page, "marketer")
    page.goto(f"/segments/{segment.pk}/")
    page.get_by_role("button", name="Log…").click()
    page.locator("dialog.log-dialog").get_by_role("button", name="Log", exact=True).click()

    page.wait_for_url(f"**/segments/{segment.pk}/")
    refusal = "3 lines are to be sent by e-mail, but their contacts have no e-mail address:"
    assert page.get_by_text(refusal).first.is_visible()
    problems = page.locator("#unsendable")
    for line in without:
        link = problems.get_by_role("link", name=f"{line.contact.no} {line.contact.name}")
        assert link.get_attribute("href") == f"/segments/{segment.pk}/lines/{line.pk}/"
    _keep(page, "worksheet-send-refused")
    problems.get_by_role("button", name="Switch them to hard copy").click()

    page.wait_for_url(f"**/segments/{segment.pk}/")
    assert page.get_by_text("3 lines were switched to hard copy.").is_visible()
    assert page.locator("#unsendable").count() == 0
    page.get_by_role("button", name="Log…").click()
    page.locator("dialog.log-dialog").get_by_role("button", name="Log", exact=True).click()
    page.wait_for_url("**/segments/logged/*/")
    logged = LoggedSegment.objects.get()
    types = dict(logged.entries.values_list("contact_id", "correspondence_type"))
    assert [types[line.contact_id] for line in without] == ["hard_copy"] * 3
    assert sorted(types.values()).count("email") == 5


def test_a_marketer_finds_a_line_in_a_2000_line_worksheet_by_searching(page, marketer):
    segment = SegmentFactory(description="Trade fair invitations", template=template_with_letter(code="FAIR"))
    companies = CompanyFactory.create_batch(1_999)
    needle = PersonFactory(name="Margaret Quibbleton", company=companies[1234])
    contacts = [*companies[:1500], needle, *companies[1500:]]
    SegmentLine.objects.bulk_create(SegmentLine(segment=segment, contact=contact) for contact in contacts)
    assert SegmentLine.objects.filter(segment=segment).count() == 2_000
    page.set_viewport_size(LAPTOP)

    login(page, "marketer")
    page.goto(f"/segments/{segment.pk}/")
    assert page.get_by_text("1–50 of 2,000").is_visible()
    page.get_by_label("Contact no. or name").fill("quibble")
    page.get_by_role("button", name="Search").click()

    page.wait_for_url("**q=quibble**")
    rows = page.locator("#lines tbody tr")
    assert rows.count() == 1
    assert rows.first.get_by_role("link", name=needle.no).is_visible()
    assert page.get_by_text("1–1 of 1").is_visible()
    page.locator("#lines").scroll_into_view_if_needed()
    _keep(page, "worksheet-search")

    page.goto(f"/segments/{segment.pk}/?sort=-contact_no&page=7")
    assert page.get_by_text("301–350 of 2,000").is_visible()
    assert page.get_by_role("link", name="Page 40").is_visible()
    page.locator("#lines").scroll_into_view_if_needed()
    _keep(page, "worksheet-lines")


def test_the_entries_list_fits_a_laptop_screen_and_its_filters_fold_away(page, viewer):
    template = InteractionTemplateFactory(code="NEWSLETTER", description="Monthly newsletter")
    contact = PersonFactory(name="Ada Lovelace", company__name="Analytical Engines International Ltd")
    InteractionLogEntryFactory.create_batch(
        60,
        template=template,
        contact=contact,
        contact_company=contact.company,
        description="Monthly newsletter, spring edition with the new price list",
        correspondence_type="email",
        salesperson=SalespersonFactory(code="JS"),
    )
    page.set_viewport_size(LAPTOP)

    login(page, "viewer")
    page.goto("/interactions/")

    assert page.get_by_text("1–50 of 60").is_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, "no horizontal scroll bar at 1366 px"
    table = page.locator("table.table")
    assert page.evaluate("(t) => t.scrollWidth <= t.parentElement.clientWidth", table.element_handle())
    # Each short cell (date, type, numbers) holds its text on one line: one line box for its text.
    lines_per_short_cell = page.evaluate(
        """() => [...document.querySelectorAll("table.table tbody td.nowrap, table.table tbody td.numeric")]
            .filter((td) => td.textContent.trim())
            .map((td) => { const r = document.createRange(); r.selectNodeContents(td);
                           return new Set([...r.getClientRects()].map((rect) => Math.round(rect.top))).size; })"""
    )
    assert lines_per_short_cell and set(lines_per_short_cell) == {1}, "short columns do not wrap"
    _keep(page, "entries-list-1366")

    apply = page.get_by_role("button", name="Apply")
    assert not apply.is_visible(), "the filter panel is folded away while no filter is set"
    page.get_by_text("Filters", exact=True).click()
    assert apply.is_visible()
    page.get_by_label("Template (code)").fill("NEWSLETTER")
    apply.click()
    page.wait_for_url("**template=NEWSLETTER**")
    assert page.get_by_role("button", name="Apply").is_visible(), "a set filter keeps the panel open"


def test_every_navigation_item_shows_on_a_laptop_screen(page, marketer):
    marketer.is_staff = True  # the longest navigation: every item, the Admin link included
    marketer.save(update_fields=["is_staff"])
    page.set_viewport_size(LAPTOP)

    login(page, "marketer")
    page.goto("/interactions/")

    hidden = page.evaluate(
        """() => { const nav = document.querySelector(".mainnav"); const box = nav.getBoundingClientRect();
                   return [...nav.querySelectorAll("a")].filter((a) => a.getBoundingClientRect().right > box.right + 1)
                          .map((a) => a.textContent.trim()); }"""
    )
    assert hidden == [], f"cut off at 1366 px: {hidden}"
    assert page.get_by_role("link", name="Postponed").is_visible()
    assert page.get_by_role("search").is_visible()
