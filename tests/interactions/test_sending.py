"""One e-mail per entry, however many senders race for it (issue 9): the atomic claim before delivery, and the
recovery of an entry left "sending" by a sender that stopped.

The sequential tests replay the races step by step through a mail backend that runs a second sender in the middle
of the first one's send; the PostgreSQL tests run real threads on real row locks and advisory locks.
"""

import threading
from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.mail.backends.locmem import EmailBackend
from django.core.management import call_command
from django.db import connection, connections
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from interactions.letters import contact_merge_values, template_attachment
from interactions.models import InteractionLogEntry
from interactions.sending import INTERRUPTED_REASON, entries_deliver, entry_deliver
from interactions.services import log_entries_queue_resend, log_entries_resend
from interactions.tasks import deliver_entries
from tests.factories import InteractionLogEntryFactory, PersonFactory
from tests.interactions.factories import html_template
from tests.row_locks import run_together

HOOKED = "tests.interactions.test_sending.HookedBackend"
PG_ONLY = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="Real concurrent senders need PostgreSQL's row and advisory locks."
)


class HookedBackend(EmailBackend):
    """The locmem backend, calling `during_send(message)` before it accepts each message."""

    during_send = None

    def send_messages(self, messages):
        for message in messages:
            if HookedBackend.during_send is not None:
                HookedBackend.during_send(message)
        return super().send_messages(messages)


@pytest.fixture
def hooked(settings):
    settings.EMAIL_BACKEND = HOOKED
    yield HookedBackend
    HookedBackend.during_send = None


def email_entries(count: int = 1, *, status: str = "in_progress") -> list[InteractionLogEntry]:
    template = html_template()
    snapshot, _ = template_attachment(template, "en")
    entries = []
    for i in range(count):
        person = PersonFactory(name=f"Person {i}", email=f"p{i}@example.com")
        entries.append(
            InteractionLogEntryFactory(
                contact=person,
                template=template,
                correspondence_type="email",
                delivery_status=status,
                subject="Hello",
                merge_template=snapshot,
                merge_values=contact_merge_values(person),
            )
        )
    return entries


def status_of(entry) -> tuple[str, str]:
    return tuple(InteractionLogEntry.objects.filter(pk=entry.pk).values_list("delivery_status", "delivery_error")[0])


# --- the race, replayed step by step (any database) -------------------------------------------------------------


@pytest.mark.django_db
def test_a_resend_click_while_the_worker_is_sending_sends_nothing_more(hooked):
    (entry,) = email_entries()
    seen = {}

    def click_resend(message):
        HookedBackend.during_send = None
        seen["status"] = status_of(entry)[0]
        seen["second"] = entry_deliver(InteractionLogEntry.objects.get(pk=entry.pk))
        with pytest.raises(ValidationError, match="nothing to resend"):
            log_entries_resend([entry.pk], user=None)

    hooked.during_send = click_resend
    assert entry_deliver(entry) is True

    assert seen == {"status": "sending", "second": False}
    assert len(mail.outbox) == 1
    assert status_of(entry) == ("", "")


@pytest.mark.django_db
def test_two_workers_that_both_read_the_entries_as_deliverable_send_each_once(hooked):
    first, second = email_entries(2)

    def other_worker(message):
        # Worker A has read both entries (still "in progress") and is sending the first; worker B starts now.
        HookedBackend.during_send = None
        assert entries_deliver([first.pk, second.pk]) == 1  # B sends the second only: A holds the first

    hooked.during_send = other_worker
    sent_by_a = entries_deliver([first.pk, second.pk])  # A then reaches the second, from its stale read

    assert sent_by_a == 1
    assert sorted(m.to[0] for m in mail.outbox) == ["Person 0 <p0@example.com>", "Person 1 <p1@example.com>"]
    assert status_of(first) == status_of(second) == ("", "")


# --- an entry left "sending" ------------------------------------------------------------------------------------


def recover(*args) -> str:
    out = StringIO()
    call_command("recover_tasks", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor == "postgresql", reason="SQLite's explicit reset; PostgreSQL's is below.")
def test_on_sqlite_reset_sending_puts_a_stuck_entry_back_to_error_and_the_user_can_resend_it():
    (entry,) = email_entries(status="sending")  # its sender died between the claim and the outcome
    assert entry_deliver(entry) is False and mail.outbox == [], "a 'sending' entry is nobody else's to send"

    assert recover("--older-than", "3600") == "0 orphaned tasks were re-queued, 0 were marked failed.\n"
    assert status_of(entry)[0] == "sending", "without --reset-sending SQLite cannot tell a live sender"

    out = recover("--older-than", "3600", "--reset-sending", "--dry-run")
    assert out.endswith("1 interrupted e-mail deliveries would be put back to error.\n")
    assert status_of(entry)[0] == "sending"

    out = recover("--older-than", "3600", "--reset-sending")
    assert out.endswith("1 interrupted e-mail deliveries were put back to error.\n")
    assert status_of(entry) == ("error", INTERRUPTED_REASON)

    assert log_entries_queue_resend([entry.pk], user=None) == [entry.pk]
    assert entries_deliver([entry.pk]) == 1
    assert len(mail.outbox) == 1 and status_of(entry) == ("", "")


@pytest.mark.django_db
def test_the_entries_of_a_delivery_task_whose_worker_died_go_back_to_error(settings):
    settings.TASKS = {"default": {"BACKEND": "crm.jobs.backend.LeasedDatabaseBackend"}}
    claimed, waiting = email_entries(2)
    InteractionLogEntry.objects.filter(pk=claimed.pk).update(delivery_status="sending")
    result = deliver_entries.enqueue([claimed.pk, waiting.pk])
    DBTaskResult.objects.filter(id=result.id).update(
        status=TaskResultStatus.RUNNING, worker_ids=["w1"], started_at=timezone.now() - timedelta(hours=2)
    )

    assert recover("--older-than", "3600").startswith("1 orphaned tasks were re-queued, 0 were marked failed.\n")

    assert status_of(claimed) == ("error", INTERRUPTED_REASON)
    assert status_of(waiting) == ("in_progress", ""), "never claimed: the rerun sends it"
    assert DBTaskResult.objects.get(id=result.id).status == TaskResultStatus.READY
    assert mail.outbox == []


# --- real threads on PostgreSQL ---------------------------------------------------------------------------------


@pytest.mark.postgres
@PG_ONLY
@pytest.mark.django_db(transaction=True)
def test_two_threads_delivering_the_same_entry_send_one_email():
    (entry,) = email_entries()
    first, second = (InteractionLogEntry.objects.get(pk=entry.pk) for _ in range(2))  # both read it as deliverable

    outcomes = run_together(lambda: entry_deliver(first), lambda: entry_deliver(second))

    assert sorted(outcomes) == [False, True]
    assert len(mail.outbox) == 1
    assert status_of(entry) == ("", "")


@pytest.mark.postgres
@PG_ONLY
@pytest.mark.django_db(transaction=True)
def test_two_threads_delivering_the_same_batch_send_each_entry_once():
    entries = email_entries(30)
    ids = [e.pk for e in entries]

    sent = run_together(lambda: entries_deliver(ids), lambda: entries_deliver(ids[::-1]))

    assert sum(sent) == 30
    assert sorted(m.to[0] for m in mail.outbox) == sorted(f"Person {i} <p{i}@example.com>" for i in range(30))
    assert set(InteractionLogEntry.objects.values_list("delivery_status", flat=True)) == {""}


@pytest.mark.postgres
@PG_ONLY
@pytest.mark.django_db(transaction=True)
def test_recover_tasks_leaves_a_live_sender_alone_and_puts_back_an_entry_whose_sender_is_gone(hooked):
    slow, orphan = email_entries(2)
    # The orphan was claimed by a sender whose connection is gone: "sending", and nobody holds its lease.
    InteractionLogEntry.objects.filter(pk=orphan.pk).update(delivery_status="sending")
    sending, release = threading.Event(), threading.Event()

    def slow_server(message):
        sending.set()
        release.wait(timeout=30)

    hooked.during_send = slow_server
    results: list[bool] = []

    def sender():
        try:
            results.append(entry_deliver(InteractionLogEntry.objects.get(pk=slow.pk)))
        finally:
            connections.close_all()

    thread = threading.Thread(target=sender)
    thread.start()
    try:
        assert sending.wait(timeout=30)
        assert status_of(slow)[0] == "sending"

        out = recover()
        assert out == (
            "0 orphaned tasks were re-queued, 0 were marked failed.\n"
            "1 interrupted e-mail deliveries were put back to error.\n"
        )
        assert status_of(slow)[0] == "sending", "its sender is alive and holds the lease"
        assert status_of(orphan) == ("error", INTERRUPTED_REASON)
    finally:
        release.set()
        thread.join(timeout=60)

    assert results == [True]
    assert status_of(slow) == ("", "")
    assert len(mail.outbox) == 1
