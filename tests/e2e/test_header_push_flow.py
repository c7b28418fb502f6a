"""The worksheet's "Update the lines too" in the browser: the page names the lines the push changes before it
changes them, by keyboard alone, and the confirmation passes axe-core (docs/BEHAVIOUR.md §6, §13a)."""

import pytest

from segments.models import SegmentLine
from segments.services import segment_line_update
from tests.e2e.conftest import login, screenshot
from tests.e2e.test_accessibility import _blocking_violations
from tests.factories import InteractionTemplateFactory, PersonFactory, SegmentFactory, SegmentLineFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _focused_text(page) -> str:
    return page.evaluate("document.activeElement.textContent.trim()")


def test_the_push_is_confirmed_by_keyboard_after_the_page_names_the_lines(page, marketer):
    segment = SegmentFactory(description="Spring mailing", template=InteractionTemplateFactory(code="HDR"))
    follows = SegmentLineFactory(segment=segment, contact=PersonFactory(name="Ada Follows"))
    own = SegmentLineFactory(segment=segment, contact=PersonFactory(name="Otto Own"))
    segment_line_update(follows, user=marketer, description="Ada's own words")
    segment_line_update(
        own, user=marketer, description="Otto's own words", template=InteractionTemplateFactory(code="OWN")
    )

    login(page, "marketer")
    page.goto(f"/segments/{segment.pk}/")
    page.fill("#id_h-description", "Summer mailing")
    page.focus("#id_h-push_to_lines")
    page.keyboard.press("Space")
    assert page.is_checked("#id_h-push_to_lines")
    page.keyboard.press("Enter")  # submits the header form from its checkbox

    page.wait_for_selector("#push-question")
    assert page.inner_text("#push-question") == "Update 1 line too?"
    assert "Ada Follows" in page.inner_text("#push-lines") and "Otto Own" not in page.inner_text("#push-lines")
    screenshot(page, "header-push-confirm")
    assert _blocking_violations(page) == []
    assert SegmentLine.objects.get(pk=follows.pk).description == "Ada's own words", "nothing saved yet"

    # The answer that does what was asked has the focus; the others follow in order.
    assert _focused_text(page) == "Save and update 1 line"
    page.keyboard.press("Tab")
    assert _focused_text(page) == "Save the header only"
    page.keyboard.press("Tab")
    assert _focused_text(page) == "Cancel"
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")

    page.wait_for_url(f"**/segments/{segment.pk}/")
    assert SegmentLine.objects.get(pk=follows.pk).description == ""
    assert SegmentLine.objects.get(pk=own.pk).description == "Otto's own words"
