"""The worksheet's related actions and resending in the browser (issue 17): expand companies (scenario 31), apply
mailing group, export contacts as CSV, and resend with updated merge fields from the entries page (scenario 71)."""

import csv
import io

import pytest

from crm.models import Salutation
from crm.salutation_services import salutation_formula_set, salutation_save
from interactions.models import InteractionLogEntry, LoggedSegment
from segments.services import segment_log
from tests.e2e.conftest import login, screenshot
from tests.factories import CompanyFactory, MailingGroupFactory, PersonFactory, SegmentFactory, SegmentLineFactory
from tests.segments.logging_helpers import letter_text, template_with_letter

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_marketer_adds_a_person_with_expand_companies_and_gets_the_company_and_all_its_persons(page, marketer):
    """Scenario 31. Given company C with persons P (in Bonn) and Q, when P is added with Expand companies, then the
    worksheet holds C, P and Q."""
    company = CompanyFactory(name="Rhein Logistik", city="Cologne")
    PersonFactory(name="Paula Bonn", company=company, city="Bonn")
    PersonFactory(name="Quentin Kern", company=company, city="Cologne")
    PersonFactory(name="Other Person", company=CompanyFactory(name="Elsewhere AG", city="Cologne"), city="Cologne")
    segment = SegmentFactory(description="Expand test")

    login(page, "marketer")
    page.goto(f"/segments/{segment.pk}/")
    page.fill("input[name=c-city]", "Bonn")
    page.check("input[name=expand_companies]")
    page.get_by_role("button", name="Apply step").click()
    page.wait_for_selector("text=3 contacts added")
    names = set(segment.lines.values_list("contact__name", flat=True))
    assert names == {"Rhein Logistik", "Paula Bonn", "Quentin Kern"}
    lines = page.locator("table tbody tr")
    for name in names:
        assert lines.filter(has_text=name).count() >= 1, name
    assert lines.filter(has_text="Other Person").count() == 0
    screenshot(page, "segment-expand-companies")


def test_a_marketer_applies_a_mailing_group_and_exports_the_contacts_as_csv(page, marketer):
    gift = MailingGroupFactory(code="GIFT", description="Christmas gift")
    segment = SegmentFactory(description="Gift list")
    ada = SegmentLineFactory(segment=segment, contact=PersonFactory(name="Ada Lovelace", salutation="Dear Ada")).contact
    grace = SegmentLineFactory(segment=segment, contact=PersonFactory(name="Grace Hopper")).contact
    outsider = PersonFactory(name="Old Member")
    outsider.mailing_groups.add(gift)

    login(page, "marketer")
    page.goto(f"/segments/{segment.pk}/")
    page.get_by_text("Apply mailing group").click()
    page.select_option("select[name=mailing_group]", str(gift.pk))
    page.check("input[name=remove_old_assignments]")
    page.get_by_role("button", name="Apply to every contact").click()
    page.wait_for_selector("text=2 contacts added to mailing group GIFT.")
    screenshot(page, "segment-apply-mailing-group")
    assert set(gift.contacts.all()) == {ada, grace}

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export contacts (CSV)").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".csv")
    with open(download.path(), encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(io.StringIO(handle.read())))
    assert [row["Name"] for row in rows] == ["Ada Lovelace", "Grace Hopper"]
    assert rows[0]["Salutation"] == "Dear Ada"


def test_a_marketer_resends_selected_entries_with_updated_merge_fields_from_the_entries_page(page, marketer):
    """Scenario 71 in the browser. Given a logged letter to Hans Braun, whose salutation code then gets a German
    formula, when his entry is selected on the entries page and resent with updated merge fields, then the page
    shows the logged segment with the resend, and the new letter greets him in German."""
    template = template_with_letter(code="BRIEF", correspondence_type="hard_copy", language_code="de")
    segment = SegmentFactory(description="Herbstbrief", template=template)
    mr = salutation_save(Salutation(code="MR", description="Mister"))
    hans = PersonFactory(name="Hans Braun", salutation="Dear Hans", salutation_code=mr, language_code="de")
    SegmentLineFactory(segment=segment, contact=hans)
    SegmentLineFactory(segment=segment, contact=PersonFactory(name="Grete Klein"))
    logged = segment_log(segment, user=marketer)
    old = InteractionLogEntry.objects.get(logged_segment=logged, contact=hans)
    salutation_formula_set(mr, language_code="de", formula="Sehr geehrter Herr {surname}")
    page.on("dialog", lambda dialog: dialog.accept())  # the button's confirmation

    login(page, "marketer")
    page.goto(f"/interactions/?logged_segment={logged.pk}")
    page.check(f"input[name=ids][value='{old.pk}']")
    page.get_by_role("button", name="Resend with updated merge fields").click()
    page.wait_for_url(f"**/segments/logged/{logged.pk}/")
    assert page.get_by_text("Resending with updated merge fields").is_visible()
    screenshot(page, "entries-resend-updated")
    new = InteractionLogEntry.objects.get(logged_segment=logged, description="Resend: " + old.description)
    assert new.contact == hans and new.pk != old.pk
    assert "Sehr geehrter Herr Braun," in letter_text(new)
    assert "Dear Hans," in letter_text(old)
    assert LoggedSegment.objects.count() == 1


def test_scenario_2_a_marketer_answers_the_language_row_question_in_the_admin(page, marketer):
    """Scenario 2 in the browser. Given a template without language rows, when its default language code is set to
    de in the admin, then the form asks whether to create the row; Yes saves the template with a row de carrying
    the template's description."""
    from interactions.models import InteractionTemplateLanguage
    from tests.factories import InteractionTemplateFactory

    marketer.is_staff = True
    marketer.save()
    template = InteractionTemplateFactory(code="ABSTRACT", description="Abstract", language_code="")

    login(page, "marketer")
    page.goto(f"/admin/interactions/interactiontemplate/{template.pk}/change/")
    page.fill("input[name=language_code]", "de")
    page.get_by_role("button", name="Save", exact=True).click()
    question = page.get_by_text(
        "Do you want to create Interaction Template Language de with the template's description?"
    )
    question.first.wait_for()
    screenshot(page, "admin-template-language-row-question")
    assert not InteractionTemplateLanguage.objects.exists()
    page.get_by_role("button", name="Yes, create the language row").click()
    page.wait_for_url("**/admin/interactions/interactiontemplate/")
    row = InteractionTemplateLanguage.objects.get()
    assert (row.template_id, row.language_code, row.description) == (template.pk, "de", "Abstract")
