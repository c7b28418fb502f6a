"""`manage.py recover_tasks` and e-mail entries left "In progress" that no task will send (issue 14): a resend
whose process stopped before its task ran, or a delivery task that failed, would leave them so for ever. The
entries go to "error" with the reason, for the user to resend; entries a live task or job will send are left alone.
Rows are set up by hand, as in test_recover_tasks.py; run on SQLite and on PostgreSQL.
"""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from interactions.models import InteractionLogEntry
from interactions.sending import DELIVER_TASK_PATH, UNOWNED_REASON
from interactions.services import log_entries_queue_resend
from interactions.tasks import deliver_entries
from segments.models import LogJob
from segments.services import segment_log
from tests.factories import InteractionLogEntryFactory, PersonFactory, SegmentFactory, SegmentLineFactory
from tests.segments.logging_helpers import template_with_letter

pytestmark = pytest.mark.django_db

SWEPT = "e-mail entries in progress that no task was sending were put back to error."


@pytest.fixture
def database_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "crm.jobs.backend.LeasedDatabaseBackend"}}


def waiting_entries(count: int = 1, *, minutes_ago: int = 60, **fields) -> list[InteractionLogEntry]:
    """E-mail entries "in progress", created `minutes_ago`."""
    entries = InteractionLogEntryFactory.create_batch(
        count, correspondence_type="email", delivery_status="in_progress", **fields
    )
    InteractionLogEntry.objects.filter(pk__in=[e.pk for e in entries]).update(
        created_at=timezone.now() - timedelta(minutes=minutes_ago)
    )
    return entries


def status_of(entry) -> tuple[str, str]:
    return tuple(InteractionLogEntry.objects.filter(pk=entry.pk).values_list("delivery_status", "delivery_error")[0])


def recover(*args) -> str:
    out = StringIO()
    call_command("recover_tasks", "--older-than", "3600", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_an_entry_in_progress_that_no_task_sends_goes_to_error_with_the_reason_and_can_be_resent(marketer):
    (entry,) = waiting_entries()

    assert f"1 {SWEPT}" in recover()

    assert status_of(entry) == ("error", UNOWNED_REASON)
    assert log_entries_queue_resend([entry.pk], user=marketer) == [entry.pk]
    assert status_of(entry) == ("in_progress", "")


def test_a_dry_run_counts_them_and_changes_nothing():
    entries = waiting_entries(2)
    assert "2 e-mail entries in progress that no task was sending would be put back to error." in recover("--dry-run")
    assert {status_of(entry) for entry in entries} == {("in_progress", "")}


def test_an_entry_created_moments_ago_is_left_alone_its_task_is_queued_after_its_commit():
    (entry,) = waiting_entries(minutes_ago=0)
    assert SWEPT not in recover("--grace", "30")
    assert status_of(entry) == ("in_progress", "")


def test_the_entries_of_a_queued_delivery_task_are_left_alone_and_the_others_are_not(database_tasks):
    queued, forgotten = waiting_entries(2)
    deliver_entries.enqueue([queued.pk])  # waits in the database queue for a worker

    assert f"1 {SWEPT}" in recover()

    assert status_of(queued) == ("in_progress", "")
    assert status_of(forgotten) == ("error", UNOWNED_REASON)


def test_the_entries_of_a_task_whose_worker_died_stay_with_the_requeued_task(database_tasks):
    (entry,) = waiting_entries()
    result = deliver_entries.enqueue([entry.pk])
    DBTaskResult.objects.filter(id=result.id).update(
        status=TaskResultStatus.RUNNING, worker_ids=["w1"], started_at=timezone.now() - timedelta(hours=2)
    )

    out = recover()

    assert out.startswith("1 orphaned tasks were re-queued") and SWEPT not in out
    assert status_of(entry) == ("in_progress", ""), "the re-queued task sends it"


def test_the_entries_of_a_task_failed_after_too_many_lost_workers_go_to_error(database_tasks):
    (entry,) = waiting_entries()
    result = deliver_entries.enqueue([entry.pk])
    DBTaskResult.objects.filter(id=result.id).update(
        status=TaskResultStatus.RUNNING, worker_ids=["w1", "w2", "w3"], started_at=timezone.now() - timedelta(hours=2)
    )

    out = recover("--max-attempts", "3")

    assert out.startswith("0 orphaned tasks were re-queued, 1 were marked failed.") and f"1 {SWEPT}" in out
    assert status_of(entry) == ("error", UNOWNED_REASON)


def test_the_entries_a_logged_segments_live_job_will_send_are_left_alone_until_the_job_fails(
    marketer, django_capture_on_commit_callbacks
):
    segment = SegmentFactory(template=template_with_letter(correspondence_type="email"))
    SegmentLineFactory(segment=segment, contact=PersonFactory(email="p@example.com"))
    with django_capture_on_commit_callbacks(execute=False):  # logged, its job queued and not run yet
        logged = segment_log(segment, user=marketer, send=True)
    (entry,) = logged.entries.all()
    InteractionLogEntry.objects.filter(pk=entry.pk).update(created_at=timezone.now() - timedelta(hours=1))

    assert SWEPT not in recover()
    assert status_of(entry) == ("in_progress", "")

    LogJob.fail(LogJob.objects.get(logged_segment=logged).pk, error="Stopped.")
    assert f"1 {SWEPT}" in recover()
    assert status_of(entry) == ("error", UNOWNED_REASON)


def test_the_delivery_task_path_named_for_the_recovery_is_the_tasks_own():
    assert DELIVER_TASK_PATH == deliver_entries.module_path
