import pytest

from interactions.models import InteractionLogEntry
from tests.e2e.conftest import login, screenshot
from tests.factories import InteractionLogEntryFactory, InteractionTemplateFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_marketer_filters_cancels_two_entries_and_deletes_the_canceled_ones(page, marketer):
    fair = InteractionTemplateFactory(code="FAIR", description="Trade fair invitation")
    call = InteractionTemplateFactory(code="CALL", description="Phone call")
    invitations = [InteractionLogEntryFactory(template=fair, description=f"Fair invitation {n}") for n in range(1, 4)]
    InteractionLogEntryFactory(template=call, description="Follow-up call")

    login(page, "marketer")
    page.goto("/interactions/")
    assert page.get_by_role("link", name="Follow-up call").is_visible()

    page.get_by_text("Filters", exact=True).click()  # the panel is folded away while no filter is set
    page.fill("input[name=template]", "FAIR")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**template=FAIR**")
    assert page.get_by_role("link", name="Follow-up call").count() == 0
    assert page.get_by_role("link", name="Fair invitation 1").is_visible()
    screenshot(page, "log-entries-filtered")

    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_label(f"Select entry {invitations[0].pk}").check()
    page.get_by_label(f"Select entry {invitations[1].pk}").check()
    page.get_by_role("button", name="Cancel", exact=True).click()
    page.wait_for_load_state()
    assert page.get_by_text("2 interaction log entries were canceled.").is_visible()
    assert page.url.endswith("template=FAIR")
    assert InteractionLogEntry.objects.filter(canceled=True).count() == 2
    screenshot(page, "log-entries-canceled")

    page.get_by_role("link", name="Delete canceled entries…").click()
    page.wait_for_url("**/interactions/delete-canceled/?template=FAIR")
    assert page.get_by_test_id("delete-count").inner_text() == "2"
    screenshot(page, "log-entries-delete-confirmation")
    page.get_by_role("button", name="Delete 2 interaction log entries").click()
    page.wait_for_url("**/interactions/?template=FAIR")
    assert page.get_by_text("2 interaction log entries deleted.").is_visible()
    assert page.get_by_role("link", name="Fair invitation 1").count() == 0
    assert page.get_by_role("link", name="Fair invitation 2").count() == 0
    assert page.get_by_role("link", name="Fair invitation 3").is_visible()
    screenshot(page, "log-entries-after-delete")
    assert set(InteractionLogEntry.objects.values_list("description", flat=True)) == {
        "Fair invitation 3",
        "Follow-up call",
    }


def test_the_statistics_page_draws_its_chart(page, viewer):
    import datetime

    template = InteractionTemplateFactory(code="MAIL", description="Newsletter")
    for month in range(1, 13):
        InteractionLogEntryFactory.create_batch(month % 5 + 1, template=template, date=datetime.date(2024, month, 10))
    login(page, "viewer")
    page.goto("/interactions/statistics/")
    assert page.locator("svg.bar-chart rect.bar").count() == 12
    assert page.get_by_role("heading", name="Per template").is_visible()
    screenshot(page, "interaction-statistics")
