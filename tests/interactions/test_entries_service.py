"""log_entries_set_canceled, log_entries_evaluate, log_entries_queue_resend and log_entries_resend, called directly."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.models import AuditEvent
from interactions.models import DeliveryStatus, InteractionLogEntry, StoredDocument
from interactions.services import (
    log_entries_evaluate,
    log_entries_owning_letters,
    log_entries_queue_resend,
    log_entries_resend,
    log_entries_set_canceled,
)
from interactions.storage import store_document
from tests.factories import InteractionLogEntryFactory, LoggedSegmentFactory

pytestmark = pytest.mark.django_db


def test_canceling_entries_records_who_and_when(marketer):
    first, second, untouched = InteractionLogEntryFactory.create_batch(3)

    changed = log_entries_set_canceled([first.pk, second.pk], canceled=True, user=marketer)

    assert changed == 2
    first.refresh_from_db()
    untouched.refresh_from_db()
    assert first.canceled and first.canceled_by == marketer and first.canceled_at is not None
    assert not untouched.canceled and untouched.canceled_by is None


def test_it_accepts_a_queryset_and_counts_only_entries_that_change(marketer):
    already = InteractionLogEntryFactory(canceled=True)
    InteractionLogEntryFactory.create_batch(2)

    changed = log_entries_set_canceled(InteractionLogEntry.objects.all(), canceled=True, user=marketer)

    assert changed == 2
    assert InteractionLogEntry.objects.filter(canceled=True).count() == 3
    already.refresh_from_db()
    assert already.canceled_by is None  # it did not change, so it keeps its history


def test_it_updates_set_based_whatever_the_number_of_entries(marketer):
    InteractionLogEntryFactory.create_batch(30)
    with CaptureQueriesContext(connection) as queries:
        log_entries_set_canceled(InteractionLogEntry.objects.all(), canceled=True, user=marketer)
    # One statement updates the entries (on PostgreSQL a WITH … UPDATE that also moves the daily totals).
    updates = [q for q in queries if 'UPDATE "interactions_interactionlogentry"' in q["sql"]]
    assert len(updates) == 1


def test_un_canceling_records_who_did_it(marketer, salesperson_user):
    entry = InteractionLogEntryFactory()
    log_entries_set_canceled([entry], canceled=True, user=marketer)

    assert log_entries_set_canceled([entry], canceled=False, user=salesperson_user) == 1

    entry.refresh_from_db()
    assert not entry.canceled and entry.canceled_by == salesperson_user


def test_un_canceling_is_refused_while_the_logged_segment_is_canceled_and_nothing_changes(marketer):
    segment = LoggedSegmentFactory(canceled=True)
    blocked = InteractionLogEntryFactory(canceled=True, logged_segment=segment, segment_no=segment.segment_no)
    free = InteractionLogEntryFactory(canceled=True)

    with pytest.raises(ValidationError) as error:
        log_entries_set_canceled([free.pk, blocked.pk], canceled=False, user=marketer)

    message = error.value.messages[0]
    assert f"Interaction log entry {blocked.pk} cannot be un-canceled" in message
    assert f"logged segment {segment.pk} is canceled" in message
    free.refresh_from_db()
    assert free.canceled, "nothing may change when the request is refused"


def test_entries_of_a_live_logged_segment_can_be_un_canceled(marketer):
    segment = LoggedSegmentFactory(canceled=False)
    entry = InteractionLogEntryFactory(canceled=True, logged_segment=segment)

    assert log_entries_set_canceled([entry.pk], canceled=False, user=marketer) == 1


def test_canceling_under_a_canceled_logged_segment_is_allowed(marketer):
    segment = LoggedSegmentFactory(canceled=True)
    entry = InteractionLogEntryFactory(canceled=False, logged_segment=segment)

    assert log_entries_set_canceled([entry.pk], canceled=True, user=marketer) == 1


def test_evaluating_sets_the_value_on_every_selected_entry(marketer):
    entries = InteractionLogEntryFactory.create_batch(3)

    changed = log_entries_evaluate([e.pk for e in entries[:2]], evaluation="very_positive", user=marketer)

    assert changed == 2
    assert list(InteractionLogEntry.objects.order_by("pk").values_list("evaluation", flat=True)) == [
        "very_positive",
        "very_positive",
        "",
    ]


def test_an_unknown_evaluation_is_refused(marketer):
    entry = InteractionLogEntryFactory()
    with pytest.raises(ValidationError, match="Choose an evaluation"):
        log_entries_evaluate([entry.pk], evaluation="great", user=marketer)
    entry.refresh_from_db()
    assert entry.evaluation == ""


def email_entry(**fields):
    return InteractionLogEntryFactory(correspondence_type="email", **fields)


def test_queueing_a_resend_takes_only_failed_or_unsent_e_mail_that_is_not_canceled(marketer):
    failed = email_entry(delivery_status="error", delivery_error="SMTP said no")
    unsent = email_entry(delivery_status="in_progress")
    canceled_failed = email_entry(delivery_status="error", canceled=True)
    sending = email_entry(delivery_status="sending")
    done = email_entry()
    letter = InteractionLogEntryFactory(delivery_status="error")  # not an e-mail: nothing to send it with

    queued = log_entries_queue_resend(
        [failed.pk, unsent.pk, canceled_failed.pk, sending.pk, done.pk, letter.pk], user=marketer
    )

    assert queued == [failed.pk, unsent.pk]
    failed.refresh_from_db()
    assert failed.delivery_status == "in_progress" and failed.delivery_error == ""
    canceled_failed.refresh_from_db()
    assert canceled_failed.delivery_status == "error"
    (event,) = AuditEvent.objects.filter(action=AuditEvent.Action.ENTRIES_RESENT)
    assert event.user == marketer and event.count == 2


def test_queueing_a_resend_with_nothing_to_resend_changes_and_records_nothing(marketer):
    entry = email_entry(delivery_status="error", canceled=True)
    assert log_entries_queue_resend([entry.pk], user=marketer) == []
    entry.refresh_from_db()
    assert entry.delivery_status == "error"
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.ENTRIES_RESENT).exists()


def test_a_resend_with_nothing_to_resend_is_refused_and_queues_nothing(
    marketer, monkeypatch, django_capture_on_commit_callbacks
):
    entry = email_entry(delivery_status="error", canceled=True)
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(ValidationError, match="nothing to resend"):
        log_entries_resend([entry.pk], user=marketer)
    assert callbacks == []
    assert InteractionLogEntry.objects.get(pk=entry.pk).delivery_status == DeliveryStatus.ERROR
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.ENTRIES_RESENT).exists()


def test_a_resend_hands_the_entries_to_the_delivery_task_only_after_commit(
    marketer, queued_deliveries, django_capture_on_commit_callbacks
):
    failed = email_entry(delivery_status="error")

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert log_entries_resend([failed.pk], user=marketer) == [failed.pk]
        assert queued_deliveries == [], "nothing is queued before the commit"

    assert len(callbacks) == 1 and queued_deliveries == [[failed.pk]]


def test_canceling_un_canceling_and_deleting_entries_are_in_the_audit_trail(marketer):
    from crm.models import AuditEvent
    from interactions.services import log_entries_delete_canceled, log_entries_set_canceled
    from tests.factories import InteractionLogEntryFactory

    entries = InteractionLogEntryFactory.create_batch(3)
    ids = [entry.pk for entry in entries]
    log_entries_set_canceled(ids, canceled=True, user=marketer)
    log_entries_set_canceled(ids[:1], canceled=False, user=marketer)
    log_entries_delete_canceled(user=marketer)
    events = list(AuditEvent.objects.order_by("id").values_list("action", "count", "user"))
    assert events == [
        ("entries_canceled", 3, marketer.pk),
        ("entries_uncanceled", 1, marketer.pk),
        ("entries_deleted", 2, marketer.pk),
    ]


# --- canceling an entry that owns its letter (reference 2.12, scenario 66) ---------------------------------------


def _letter(text: str):
    return store_document(text.encode(), filename=f"{text}.pdf", content_type="application/pdf")


def test_scenario_66_given_an_entry_that_owns_its_letter_when_canceled_removing_letters_then_its_letter_goes(
    marketer, django_capture_on_commit_callbacks
):
    # Given an entry with a letter of its own and two entries sharing another letter,
    own, shared = _letter("own"), _letter("shared")
    owner = InteractionLogEntryFactory(document=own)
    sharing = InteractionLogEntryFactory(document=shared)
    InteractionLogEntryFactory(document=shared)
    # the page asks about the one entry owning its letter only,
    assert log_entries_owning_letters([owner.pk, sharing.pk]) == 1
    # when both are canceled and the user says yes to removing letters,
    with django_capture_on_commit_callbacks(execute=True):
        log_entries_set_canceled([owner.pk, sharing.pk], canceled=True, user=marketer, remove_own_letters=True)
    # then the own letter is gone, from the entry and from storage, and the shared letter stays.
    owner.refresh_from_db()
    sharing.refresh_from_db()
    assert owner.canceled and owner.document is None
    assert not StoredDocument.objects.filter(pk=own.pk).exists()
    assert not own.file.storage.exists(own.file.name)
    assert sharing.canceled and sharing.document_id == shared.pk
    assert StoredDocument.objects.filter(pk=shared.pk).exists()


def test_canceling_without_removing_letters_keeps_them(marketer):
    own = _letter("kept")
    owner = InteractionLogEntryFactory(document=own)
    log_entries_set_canceled([owner.pk], canceled=True, user=marketer)
    owner.refresh_from_db()
    assert owner.canceled and owner.document_id == own.pk
    assert log_entries_owning_letters([owner.pk]) == 0  # canceled already: nothing more to ask


def test_an_own_letter_snapshot_goes_too_and_un_canceling_never_removes_letters(marketer):
    snapshot = _letter("snapshot")
    owner = InteractionLogEntryFactory(merge_template=snapshot)
    log_entries_set_canceled([owner.pk], canceled=False, user=marketer, remove_own_letters=True)
    owner.refresh_from_db()
    assert owner.merge_template_id == snapshot.pk
    log_entries_set_canceled([owner.pk], canceled=True, user=marketer, remove_own_letters=True)
    owner.refresh_from_db()
    assert owner.merge_template is None and not StoredDocument.objects.filter(pk=snapshot.pk).exists()
