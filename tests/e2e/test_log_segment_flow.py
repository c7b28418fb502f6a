"""A marketer logs a segment with letters, opens the logged segment, cancels it, and sees its entries canceled."""

import docx
import pytest

from interactions.models import InteractionLogEntry, LoggedSegment
from tests.e2e.conftest import login, screenshot
from tests.factories import PersonFactory, SalespersonFactory, SegmentFactory, SegmentLineFactory
from tests.segments.logging_helpers import template_with_letter

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_marketer_logs_a_segment_with_letters_and_cancels_it(page, marketer):
    template = template_with_letter(code="SPRING", correspondence_type="hard_copy")
    segment = SegmentFactory(description="Spring letters", template=template, salesperson=SalespersonFactory())
    ada = SegmentLineFactory(
        segment=segment, contact=PersonFactory(name="Ada Lovelace"), personal_note="See you in May"
    )
    SegmentLineFactory(segment=segment, contact=PersonFactory(name="Grace Hopper"))
    page.on("dialog", lambda dialog: dialog.accept())  # the confirmations of data-confirm buttons

    login(page, "marketer")
    page.goto(f"/segments/{segment.pk}/")
    page.get_by_role("button", name="Log…").click()
    dialog = page.locator("dialog.log-dialog")
    assert dialog.is_visible()
    assert dialog.get_by_text("Spring letters").is_visible()
    screenshot(page, "log-segment-dialog")
    dialog.get_by_role("button", name="Log", exact=True).click()

    page.wait_for_url("**/segments/logged/*/")
    logged = LoggedSegment.objects.get()
    assert page.get_by_text(f"Segment {segment.no} has been logged.").is_visible()
    assert page.get_by_role("link", name="Ada Lovelace").is_visible()
    assert page.get_by_role("link", name="Letters to print (one .docx)").is_visible()
    assert page.locator("#log-job").get_by_text("Done").is_visible()
    screenshot(page, "logged-segment-detail")

    with page.expect_download() as download:
        page.get_by_role("link", name="Letters (.zip)").click()
    assert download.value.suggested_filename == f"Segment {segment.no}.zip"
    with page.expect_download() as download:
        page.get_by_role("link", name="Letters to print (one .docx)").click()
    assert download.value.suggested_filename == f"Segment {segment.no}.docx"
    printed = docx.Document(download.value.path())
    assert len(printed.sections) == 2, "one section (new pages, own header and footer) per letter"
    text = "\n".join(p.text for p in printed.paragraphs)
    assert "See you in May" in text and text.count("Entry ") == 2

    page.get_by_role("button", name="Cancel logged segment").click()
    page.wait_for_load_state()
    assert page.get_by_text(f"Logged segment {logged.pk} was canceled").is_visible()
    assert InteractionLogEntry.objects.filter(logged_segment=logged, canceled=True).count() == 2

    page.goto(f"/interactions/?logged_segment={logged.pk}")
    rows = page.locator("tr.is-canceled")
    assert rows.count() == 2
    assert page.locator("tr", has_text="Ada Lovelace").get_by_text("Canceled").is_visible()
    screenshot(page, "logged-segment-entries-canceled")

    page.goto("/segments/logged/")
    assert page.locator("tr.is-canceled", has_text=segment.no).is_visible()
    screenshot(page, "logged-segments-list")
    assert ada.contact.interaction_entries.get().canceled
