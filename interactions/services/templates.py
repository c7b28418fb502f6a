"""Interaction templates: saving one, its language rows, and setting the default language code (docs/BEHAVIOUR.md
§4, scenario 2; §10 for the templates the setup names)."""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError

from crm.wording import count_of

from ..models import (
    InteractionLogEntry,
    InteractionTemplate,
    InteractionTemplateLanguage,
    automatic_logging_refusals,
)

__all__ = [
    "LanguageRowQuestion",
    "interaction_template_delete",
    "interaction_template_language_delete",
    "interaction_template_language_save",
    "interaction_template_save",
    "interaction_template_set_language",
    "template_language_row_question",
]


class LanguageRowQuestion(ValidationError):
    """Setting this default language code needs an answer first: create the missing language row or not."""


def template_language_row_question(
    template: InteractionTemplate, language_code: str, *, kept_codes: Iterable[str] | None = None
) -> str | None:
    """The question to ask before `template` gets `language_code` as its default language, or None.

    Asked when the code is new to the template (a template saved with a default language it has no row for is not
    asked again on every save) and the template has no language row for it. `kept_codes`: the language rows as
    they will be after the same save (a form that edits the rows too); else the saved rows.
    """
    if not language_code:
        return None
    if template.pk is not None:
        saved_code = InteractionTemplate.objects.filter(pk=template.pk).values_list("language_code", flat=True).first()
        if saved_code == language_code:
            return None
    if kept_codes is None:
        kept_codes = template.languages.values_list("language_code", flat=True) if template.pk is not None else ()
    if language_code in set(kept_codes):
        return None
    return (
        f"Template {template.code or '(new)'} has no language row for {language_code}. Do you want to create "
        f"Interaction Template Language {language_code} with the template's description?"
    )


def _create_language_row(template: InteractionTemplate) -> None:
    # docs/BEHAVIOUR.md §10: a template the setup names logs events automatically and may have no language rows.
    if template.setup_events.exists():
        raise ValidationError(
            automatic_logging_refusals(template.code, languages=[template.language_code], attachment=None)
        )
    InteractionTemplateLanguage.objects.get_or_create(
        template=template, language_code=template.language_code, defaults={"description": template.description}
    )


def interaction_template_save(
    template: InteractionTemplate, *, create_language_row: bool = False
) -> InteractionTemplate:
    """Save a template as edited in the admin; with `create_language_row` (the user answered yes to
    `template_language_row_question`), also create the row for its default language code with the template's
    description, in the same transaction (scenario 2)."""
    with transaction.atomic():
        template.save()
        if create_language_row and template.language_code:
            _create_language_row(template)
    return template


def interaction_template_set_language(
    template: InteractionTemplate, language_code: str, *, create_row: bool | None = None
) -> bool:
    """Scenario 2: make `language_code` the template's default language. Returns whether anything changed.

    When the template has no row for that language the answer decides: None (not asked yet) raises
    `LanguageRowQuestion` with the question and changes nothing; True creates the row with the template's
    description and sets the code; False changes nothing (Business Central's "No" aborts silently).
    """
    question = template_language_row_question(template, language_code)
    if question is not None and create_row is None:
        raise LanguageRowQuestion(question, code="language_row_question")
    if question is not None and not create_row:
        return False
    with transaction.atomic():
        locked = InteractionTemplate.objects.select_for_update().get(pk=template.pk)
        locked.language_code = language_code
        locked.save(update_fields=["language_code"])
        if question is not None:
            _create_language_row(locked)
    template.language_code = language_code
    return True


def interaction_template_language_save(row: InteractionTemplateLanguage) -> InteractionTemplateLanguage:
    """Save a language row of a template (its description, subject and letter in one language).

    Refused for a template the setup names for automatic logging (docs/BEHAVIOUR.md §10): such a template has no
    language rows. The template row is locked so that the setup cannot name it between the check and the save.
    """
    with transaction.atomic():
        template = InteractionTemplate.objects.select_for_update().get(pk=row.template_id)
        if template.setup_events.exists():
            raise ValidationError(
                automatic_logging_refusals(template.code, languages=[row.language_code], attachment=None)
            )
        row.save()
    return row


def interaction_template_language_delete(row: InteractionTemplateLanguage) -> None:
    """Delete a language row: letters already logged keep their own copy (entries store the document they used)."""
    row.delete()


def interaction_template_delete(template: InteractionTemplate) -> None:
    """Delete a template that nothing has been logged with; its language rows go with it.

    A template with log entries stays (they name it), as does one a logged segment or the setup still uses.
    """
    if InteractionLogEntry.all_objects.filter(template=template).exists():
        raise ValidationError(
            f"Template {template.code} cannot be deleted: interactions have been logged with it.", code="template_used"
        )
    if template.setup_events.exists():
        raise ValidationError(
            f"Template {template.code} cannot be deleted: the interaction template setup names it.",
            code="template_in_setup",
        )
    try:
        template.delete()
    except ProtectedError as error:  # a segment or logged segment still points at it
        raise ValidationError(
            f"Template {template.code} cannot be deleted: {count_of(len(error.protected_objects), 'record', 'records')}"
            " still use it.",
            code="template_used",
        ) from error
