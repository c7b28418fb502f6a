"""Scenario 2: setting a template's default language code to one it has no language row for asks to create the row
with the template's description; yes creates it, no changes nothing (docs/BEHAVIOUR.md §4)."""

import pytest
from django.core.exceptions import ValidationError

from interactions.models import InteractionTemplate, InteractionTemplateLanguage, InteractionTemplateSetup
from interactions.services import LanguageRowQuestion, interaction_template_set_language
from tests.factories import InteractionTemplateFactory, InteractionTemplateLanguageFactory
from tests.interactions.factories import template_admin_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def template():
    return InteractionTemplateFactory(code="ABSTRACT", description="Abstract", language_code="")


def _change_url(template) -> str:
    return f"/admin/interactions/interactiontemplate/{template.pk}/change/"


def _change_post(template, **extra) -> dict:
    return template_admin_post(template.group, code=template.code, description=template.description, **extra)


def test_scenario_2_the_service_asks_before_creating_a_language_row(template):
    """Scenario 2. Given a template without language rows, when its default language code is set to de without an
    answer, then the question is asked and nothing changes."""
    with pytest.raises(LanguageRowQuestion) as raised:
        interaction_template_set_language(template, "de")
    assert raised.value.messages == [
        "Template ABSTRACT has no language row for de. Do you want to create Interaction Template Language de with "
        "the template's description?"
    ]
    template.refresh_from_db()
    assert template.language_code == ""
    assert not InteractionTemplateLanguage.objects.exists()


def test_scenario_2_yes_creates_the_row_with_the_template_description_and_sets_the_code(template):
    """Scenario 2. Given a template without language rows, when its default language code is set to de and the
    user answers yes, then a language row de with the template's description exists and the code is set."""
    assert interaction_template_set_language(template, "de", create_row=True) is True
    template.refresh_from_db()
    assert template.language_code == "de"
    row = InteractionTemplateLanguage.objects.get()
    assert (row.template_id, row.language_code, row.description) == (template.pk, "de", "Abstract")


def test_scenario_2_no_changes_nothing(template):
    """Scenario 2. Given a template without language rows, when the user answers no, then neither the code nor the
    rows change."""
    assert interaction_template_set_language(template, "de", create_row=False) is False
    template.refresh_from_db()
    assert template.language_code == ""
    assert not InteractionTemplateLanguage.objects.exists()


def test_a_language_the_template_has_a_row_for_is_set_without_a_question(template):
    InteractionTemplateLanguageFactory(template=template, language_code="fr", description="Résumé")
    assert interaction_template_set_language(template, "fr") is True
    template.refresh_from_db()
    assert template.language_code == "fr"
    assert InteractionTemplateLanguage.objects.count() == 1


def test_a_template_the_setup_names_gets_no_language_row_even_on_yes(template):
    InteractionTemplateSetup.objects.create(event=InteractionTemplateSetup.Event.PHONE_CALL, template=template)
    with pytest.raises(ValidationError, match="not allowed to have languages assigned"):
        interaction_template_set_language(template, "de", create_row=True)
    template.refresh_from_db()
    assert template.language_code == ""
    assert not InteractionTemplateLanguage.objects.exists()


def test_scenario_2_the_admin_asks_with_yes_and_no_buttons(staff_marketer, template):
    """Scenario 2 in the admin. Given the template's change form, when the default language code is set to de,
    then the form comes back with the question and Yes / No buttons, and nothing is saved."""
    unit_cost_before = str(template.unit_cost)
    response = staff_marketer.post(_change_url(template), _change_post(template, language_code="de", unit_cost="7"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Do you want to create Interaction Template Language de with the template&#x27;s description?" in page
    assert 'name="_language_row" value="yes"' in page
    assert 'name="_language_row" value="no"' in page
    assert "Please correct the error" not in page  # a question, not an error
    template.refresh_from_db()
    assert (template.language_code, str(template.unit_cost)) == ("", unit_cost_before)
    assert not InteractionTemplateLanguage.objects.exists()


def test_the_question_with_another_error_still_says_to_correct_it(staff_marketer, template):
    response = staff_marketer.post(_change_url(template), _change_post(template, language_code="de", unit_cost="x"))
    page = response.content.decode()
    assert response.status_code == 200
    assert 'name="_language_row" value="yes"' in page
    assert "Please correct the errors below." in page


def test_scenario_2_yes_in_the_admin_creates_the_row_and_saves_the_template(staff_marketer, template):
    data = _change_post(template, language_code="de", unit_cost="7", _language_row="yes")
    response = staff_marketer.post(_change_url(template), data)
    assert response.status_code == 302
    template.refresh_from_db()
    assert (template.language_code, str(template.unit_cost)) == ("de", "7.00")
    row = InteractionTemplateLanguage.objects.get()
    assert (row.language_code, row.description) == ("de", "Abstract")


def test_scenario_2_no_in_the_admin_changes_nothing(staff_marketer, template):
    unit_cost_before = str(template.unit_cost)
    data = _change_post(template, language_code="de", unit_cost="7", _language_row="no")
    response = staff_marketer.post(_change_url(template), data, follow=True)
    assert "Nothing was changed: the template keeps its default language code" in response.content.decode()
    template.refresh_from_db()
    assert (template.language_code, str(template.unit_cost)) == ("", unit_cost_before)
    assert not InteractionTemplateLanguage.objects.exists()


def test_a_row_added_in_the_same_form_needs_no_question(staff_marketer, template):
    data = _change_post(
        template,
        language_code="de",
        **{"languages-TOTAL_FORMS": "1", "languages-0-language_code": "de", "languages-0-description": "Deutsch"},
    )
    response = staff_marketer.post(_change_url(template), data)
    assert response.status_code == 302
    assert list(InteractionTemplateLanguage.objects.values_list("language_code", "description")) == [("de", "Deutsch")]


def test_a_new_template_with_a_default_language_asks_too(staff_marketer, template):
    data = template_admin_post(template.group, language_code="en")
    response = staff_marketer.post("/admin/interactions/interactiontemplate/add/", data)
    assert "Interaction Template Language en" in response.content.decode()
    assert not InteractionTemplate.objects.filter(code="WELCOME").exists()
    response = staff_marketer.post("/admin/interactions/interactiontemplate/add/", {**data, "_language_row": "yes"})
    assert response.status_code == 302
    created = InteractionTemplate.objects.get(code="WELCOME")
    assert list(created.languages.values_list("language_code", "description")) == [("en", "Welcome letter")]


def test_a_salesperson_cannot_answer_the_question(client, salesperson_user, template):
    client.force_login(salesperson_user)
    data = _change_post(template, language_code="de", _language_row="yes")
    response = client.post(_change_url(template), data)
    assert response.status_code in (302, 403)
    template.refresh_from_db()
    assert template.language_code == ""
    assert not InteractionTemplateLanguage.objects.exists()
