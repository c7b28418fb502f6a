"""Finish later: postponed interactions (reference 2.1, scenarios 8 and 9; docs/BEHAVIOUR.md §2).

Scenario 8: leaving Create interaction and answering Yes to "Do you want to finish this interaction later?" saves
the entry, with the same checks, as postponed: it is on Postponed Interactions and nowhere else.
Scenario 9: resuming it finishes the interaction under the same entry number with today's date.
"""

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from crm.models import AuditEvent
from crm.services import contact_delete
from interactions.models import InteractionDailyTotal, InteractionLogEntry
from interactions.selectors import statistics_by_template, statistics_totals
from interactions.services import (
    interaction_create,
    interaction_delete_postponed,
    interaction_resume,
    log_entries_delete_canceled,
)
from tests.factories import (
    InteractionLogEntryFactory,
    InteractionTemplateFactory,
    UserFactory,
)
from tests.interactions.factories import html_template, word_template

pytestmark = pytest.mark.django_db


@pytest.fixture
def user():
    return UserFactory(username="jane")


def _postpone(person, user, template=None, **fields):
    template = template or InteractionTemplateFactory(code="CALL", unit_cost=Decimal("4.00"), unit_duration_minutes=9)
    return interaction_create(
        contact=person, template=template, description="Call back", user=user, postpone=True, **fields
    )


# --- scenario 8: finish later --------------------------------------------------------------------------------------


def test_scenario_8_finish_later_saves_a_postponed_entry_that_counts_nowhere(person, user):
    """Given a contact with one logged interaction
    When the user starts another one and answers Yes to "Do you want to finish this interaction later?"
    Then the entry is saved postponed, with the template's values,
    And the entries, the contact's entries and every statistic still show only the logged one."""
    logged = InteractionLogEntryFactory(contact=person, cost=Decimal("2.50"))

    postponed = _postpone(person, user)

    row = InteractionLogEntry.all_objects.get(pk=postponed.pk)
    assert row.postponed is True and row.cost == Decimal("4.00") and row.duration_minutes == 9
    assert list(InteractionLogEntry.objects.values_list("pk", flat=True)) == [logged.pk]
    assert list(person.interaction_entries.values_list("pk", flat=True)) == [logged.pk]
    assert list(person.company.company_interaction_entries.values_list("pk", flat=True)) == [logged.pk]
    assert [entry.pk for entry in InteractionLogEntry.postponed_objects.all()] == [postponed.pk]
    assert statistics_totals().count == 1 and statistics_totals().cost == Decimal("2.50")
    assert [row.code for row in statistics_by_template()] == [logged.template.code]


def test_scenario_8_finish_later_runs_the_same_checks_and_saves_nothing_when_they_fail(person, user):
    """Given a contact
    When the user asks to finish an interaction later without a description
    Then "Description is mandatory." and nothing is saved."""
    with pytest.raises(ValidationError) as error:
        interaction_create(
            contact=person, template=InteractionTemplateFactory(), description=" ", user=user, postpone=True
        )
    assert error.value.message_dict == {"description": ["Description is mandatory."]}
    assert not InteractionLogEntry.all_objects.exists()


def test_a_postponed_e_mail_is_not_sent_and_not_audited(person, user, django_capture_on_commit_callbacks):
    """Given an e-mail template
    When the interaction is postponed
    Then nothing is sent and the audit trail has no interaction yet."""
    with django_capture_on_commit_callbacks(execute=True):
        postponed = _postpone(person, user, html_template())
    with pytest.raises(InteractionLogEntry.DoesNotExist):
        InteractionLogEntry.objects.get(pk=postponed.pk)
    entry = InteractionLogEntry.all_objects.get()
    assert entry.correspondence_type == "email" and entry.delivery_status == ""
    assert mail.outbox == []
    assert not AuditEvent.objects.exists()


def test_a_postponed_entry_is_left_alone_by_delete_canceled_and_moves_with_a_deleted_person(person, user):
    postponed = _postpone(person, user)
    assert log_entries_delete_canceled(user=user) == 0
    contact_delete(person, user=user)
    postponed = InteractionLogEntry.all_objects.get(pk=postponed.pk)
    assert postponed.contact_id == person.company_id and postponed.postponed


# --- scenario 9: resume ---------------------------------------------------------------------------------------------


def test_scenario_9_resume_finishes_the_interaction_under_the_same_entry_number_with_todays_date(person, user):
    """Given an interaction postponed last week
    When the user resumes it and finishes it
    Then the entry has the same number, today's date, is no longer postponed,
    And it is on the entries and counted, and the audit trail records it."""
    postponed = _postpone(person, user, date=timezone.localdate() - datetime.timedelta(days=7))
    InteractionLogEntryFactory(contact=person)  # a later entry number: the resumed one must not take a new one

    finished = interaction_resume(postponed, user=user, description="Called back")

    assert finished.pk == postponed.pk
    row = InteractionLogEntry.objects.get(pk=postponed.pk)
    assert row.postponed is False and row.date == timezone.localdate() and row.description == "Called back"
    assert row.cost == Decimal("4.00") and row.template.code == "CALL"
    assert not InteractionLogEntry.postponed_objects.exists()
    assert statistics_totals().count == 2
    event = AuditEvent.objects.get(action=AuditEvent.Action.INTERACTION_CREATED)
    assert event.details["resumed"] is True


def test_resuming_an_e_mail_sends_it_and_the_letter_carries_the_same_entry_number(
    person, user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        postponed = _postpone(person, user, html_template())
    assert mail.outbox == []

    with django_capture_on_commit_callbacks(execute=True):
        finished = interaction_resume(postponed, user=user)

    assert finished.pk == postponed.pk and finished.merge_values["interaction.entry_no"] == str(postponed.pk)
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["Ada Lovelace <ada@example.com>"]


def test_resume_keeps_what_was_filled_in_unless_told_otherwise(person, user):
    template = word_template("LETTER")
    postponed = _postpone(
        person, user, template, cost=Decimal("7.00"), duration_minutes=30, personal_note="See you in Berlin"
    )
    finished = interaction_resume(postponed, user=user)
    assert finished.cost == Decimal("7.00") and finished.duration_minutes == 30
    assert finished.merge_values["personal_note"] == "See you in Berlin"


def test_finish_later_again_keeps_it_postponed_with_the_changes(person, user):
    postponed = _postpone(person, user)
    again = interaction_resume(postponed, user=user, description="Call back on Monday", postpone=True)
    row = InteractionLogEntry.postponed_objects.get()
    assert row.pk == again.pk == postponed.pk and row.description == "Call back on Monday"


def test_resume_is_refused_for_a_logged_entry_and_nothing_changes(person, user):
    logged = InteractionLogEntryFactory(contact=person, description="Logged", user=user)
    with pytest.raises(ValidationError) as error:
        interaction_resume(logged, user=user, description="Changed")
    assert error.value.messages == [f"Interaction {logged.pk} is not postponed: it was finished or deleted already."]
    assert InteractionLogEntry.objects.get(pk=logged.pk).description == "Logged"


def test_resume_runs_the_checks_and_keeps_the_entry_postponed_when_they_fail(person, user):
    postponed = _postpone(person, user)
    person.privacy_blocked = True
    person.save()
    with pytest.raises(ValidationError, match="blocked due to privacy"):
        interaction_resume(postponed, user=user)
    assert InteractionLogEntry.postponed_objects.get().pk == postponed.pk


def test_another_users_postponed_entry_cannot_be_resumed_or_deleted(person, user):
    postponed = _postpone(person, user)
    other = UserFactory(username="bob")
    with pytest.raises(PermissionDenied):
        interaction_resume(postponed, user=other)
    with pytest.raises(PermissionDenied):
        interaction_delete_postponed(postponed, user=other)
    assert InteractionLogEntry.postponed_objects.get().pk == postponed.pk


# --- delete ---------------------------------------------------------------------------------------------------------


def test_deleting_a_postponed_entry_removes_it_and_its_unused_letter_snapshot(person, user):
    postponed = _postpone(person, user, word_template("LETTER"))
    snapshot = postponed.merge_template
    interaction_delete_postponed(postponed, user=user)
    assert not InteractionLogEntry.all_objects.exists()
    assert not type(snapshot).objects.filter(pk=snapshot.pk).exists()


def test_deleting_a_logged_entry_as_postponed_is_refused_and_nothing_changes(person, user):
    logged = InteractionLogEntryFactory(contact=person, user=user)
    with pytest.raises(ValidationError, match="is not postponed"):
        interaction_delete_postponed(logged, user=user)
    assert InteractionLogEntry.objects.filter(pk=logged.pk).exists()


def test_the_statistics_daily_totals_count_a_postponed_entry_only_once_it_is_finished(person, user):
    """Given an interaction postponed and then postponed again with changes
    When it is finally finished
    Then the statistics' daily totals count it once, on its (new) date."""
    postponed = _postpone(person, user)
    interaction_resume(postponed, user=user, postpone=True, description="Call back on Monday")
    assert not InteractionDailyTotal.objects.filter(count__gt=0).exists()

    interaction_resume(postponed, user=user)

    totals = InteractionDailyTotal.objects.get()
    assert (totals.date, totals.count, totals.cost) == (timezone.localdate(), 1, Decimal("4.00"))
