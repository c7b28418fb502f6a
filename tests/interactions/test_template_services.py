"""Templates and their language rows change through the services, in the admin as on any other path
(docs/BEHAVIOUR.md §10: a template the setup names for automatic logging has no language rows)."""

import pytest
from django.core.exceptions import ValidationError

from interactions import admin as interactions_admin
from interactions.models import InteractionTemplate, InteractionTemplateLanguage, InteractionTemplateSetup
from interactions.services import (
    interaction_template_delete,
    interaction_template_language_delete,
    interaction_template_language_save,
)
from tests.factories import (
    InteractionLogEntryFactory,
    InteractionTemplateFactory,
    InteractionTemplateLanguageFactory,
    SegmentFactory,
)
from tests.interactions.factories import template_admin_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def call_template():
    template = InteractionTemplateFactory(code="CALL", description="Phone call", language_code="")
    InteractionTemplateSetup.objects.create(event=InteractionTemplateSetup.Event.PHONE_CALL, template=template)
    return template


def test_a_language_row_is_saved_for_a_template_the_setup_does_not_name():
    template = InteractionTemplateFactory(code="ABSTRACT")
    row = interaction_template_language_save(
        InteractionTemplateLanguage(template=template, language_code="de", description="Zusammenfassung")
    )
    assert list(template.languages.values_list("pk", "description")) == [(row.pk, "Zusammenfassung")]


def test_a_language_row_for_a_template_the_setup_names_is_refused_and_nothing_is_saved(call_template):
    with pytest.raises(ValidationError) as raised:
        interaction_template_language_save(
            InteractionTemplateLanguage(template=call_template, language_code="de", description="Anruf")
        )
    assert "CALL" in " ".join(raised.value.messages) and "de" in " ".join(raised.value.messages)
    assert not InteractionTemplateLanguage.objects.exists()


def test_a_language_row_is_deleted():
    row = InteractionTemplateLanguageFactory(language_code="fr")
    interaction_template_language_delete(row)
    assert not InteractionTemplateLanguage.objects.exists()


def test_a_template_nothing_was_logged_with_is_deleted_with_its_language_rows():
    row = InteractionTemplateLanguageFactory(language_code="fr")
    interaction_template_delete(row.template)
    assert not InteractionTemplate.objects.filter(pk=row.template_id).exists()
    assert not InteractionTemplateLanguage.objects.exists()


def test_a_template_with_log_entries_is_not_deleted():
    entry = InteractionLogEntryFactory()
    with pytest.raises(ValidationError) as raised:
        interaction_template_delete(entry.template)
    assert raised.value.messages == [
        f"Template {entry.template.code} cannot be deleted: interactions have been logged with it."
    ]
    assert InteractionTemplate.objects.filter(pk=entry.template_id).exists()


def test_a_template_the_setup_names_is_not_deleted(call_template):
    with pytest.raises(ValidationError) as raised:
        interaction_template_delete(call_template)
    assert raised.value.messages == ["Template CALL cannot be deleted: the interaction template setup names it."]
    assert (
        InteractionTemplateSetup.objects.get(event=InteractionTemplateSetup.Event.PHONE_CALL).template == call_template
    )


def test_the_admin_adds_changes_and_deletes_language_rows_through_the_services(staff_marketer, monkeypatch):
    template = InteractionTemplateFactory(code="ABSTRACT", description="Abstract", language_code="")
    kept = InteractionTemplateLanguageFactory(template=template, language_code="fr", description="Résumé")
    gone = InteractionTemplateLanguageFactory(template=template, language_code="es", description="Resumen")
    calls = []
    for name in ("interaction_template_language_save", "interaction_template_language_delete"):
        real = getattr(interactions_admin, name)
        monkeypatch.setattr(
            interactions_admin,
            name,
            lambda row, _real=real, _name=name: calls.append((_name, row.language_code)) or _real(row),
        )
    data = template_admin_post(
        template.group,
        code="ABSTRACT",
        description="Abstract",
        **{
            "languages-TOTAL_FORMS": "3",
            "languages-INITIAL_FORMS": "2",
            "languages-0-id": str(kept.pk),
            "languages-0-template": str(template.pk),
            "languages-0-language_code": "fr",
            "languages-0-description": "Résumé court",
            "languages-1-id": str(gone.pk),
            "languages-1-template": str(template.pk),
            "languages-1-language_code": "es",
            "languages-1-description": "Resumen",
            "languages-1-DELETE": "on",
            "languages-2-language_code": "de",
            "languages-2-description": "Zusammenfassung",
        },
    )
    response = staff_marketer.post(f"/admin/interactions/interactiontemplate/{template.pk}/change/", data)
    assert response.status_code == 302
    assert sorted(calls) == [
        ("interaction_template_language_delete", "es"),
        ("interaction_template_language_save", "de"),
        ("interaction_template_language_save", "fr"),
    ]
    assert dict(template.languages.values_list("language_code", "description")) == {
        "fr": "Résumé court",
        "de": "Zusammenfassung",
    }


def test_deleting_a_template_in_the_admin_that_a_segment_uses_is_refused_and_keeps_it(admin_client):
    template = InteractionTemplateFactory(code="ABSTRACT")
    SegmentFactory(template=template)
    response = admin_client.post(
        f"/admin/interactions/interactiontemplate/{template.pk}/delete/", {"post": "yes"}, follow=True
    )
    assert InteractionTemplate.objects.filter(pk=template.pk).exists()
    assert "Cannot delete interaction template" in response.content.decode()
