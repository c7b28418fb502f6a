"""The job of a logged segment (a `LogJob`, run by the task `segments.tasks.run_log_job`): merge the letters of its
entries, then send its e-mail entries; and what is done when the worker running it is gone.

Logging the segment (`segments.services.log_segment.segment_log`) wrote the entries and queued the job; running it
again (`logged_segment_retry_delivery`) queues another. The job only does what is left, so a rerun is safe.
"""

from __future__ import annotations

from django.db import connection, transaction
from django.db.models import Count, F, Q
from django.db.models.functions import Now
from django.utils import timezone

from crm.jobs.heartbeat import JobHeartbeat
from interactions.document_pins import pin_documents
from interactions.letters import (
    entry_merge_values,
    salutation_formulas_for,
    template_attachment,
    template_attachment_kind,
)
from interactions.models import DeliveryStatus, InteractionLogEntry, InteractionTemplate, LoggedSegment
from interactions.sending import deliveries_recover_interrupted, entries_deliver

from .models import LogJob

__all__ = ["log_job_run", "log_job_plan", "log_job_lost", "log_job_entries_to_send", "LETTER_BATCH", "DELIVERY_BATCH"]

# Rows per batch when the job merges letters and sends e-mail (one short transaction per batch).
LETTER_BATCH = 500
DELIVERY_BATCH = 50

_ENTRY = InteractionLogEntry._meta.db_table


def log_job_run(job_id: int) -> LogJob:
    """Merge the letters of a logged segment's entries, then (if asked) deliver its e-mail entries.

    Runs outside any long transaction: each batch is read, merged in Python and written in its own short
    transaction, and the job's progress is updated after each batch. Safe to run again: it only merges
    entries that have no letter yet and only sends entries still in progress.
    """
    job = LogJob.objects.select_related("logged_segment").get(pk=job_id)
    if job.status == LogJob.Status.DONE:
        # Run again after it finished (a task queued twice): nothing is left, and its card keeps saying what
        # the run that did the work merged and sent instead of "No letter to merge".
        return job
    logged = job.logged_segment
    letters, email_texts, emails = log_job_plan(logged, send=job.send)
    # Queued again after its worker stopped mid-way (segments.log_job.log_job_lost): what that attempt merged and
    # sent is done, so the plan no longer finds it; carried over, the card goes on counting from where it was
    # instead of saying "No letter to merge" for letters that were merged.
    merged_before = sent_before = 0
    if job.started_at is not None:
        merged_before = min(job.done, job.merging)
        sent_before = min(max(0, job.done - job.merging), job.emails)
    letters_before = min(merged_before, job.letters)
    LogJob.objects.filter(pk=job.pk).update(
        status=LogJob.Status.RUNNING,
        started_at=timezone.now(),
        letters=letters + letters_before,
        email_texts=email_texts + merged_before - letters_before,
        emails=emails + sent_before,
        total=letters + email_texts + emails + merged_before + sent_before,
        done=merged_before + sent_before,
        error="",
        stage="Merging" if letters or email_texts else LogJob.SENDING if emails else "Done",
        heartbeat_at=Now(),
    )
    try:
        if letters or email_texts:
            _merge_letters(job, logged)
        if job.send:
            LogJob.objects.filter(pk=job.pk).update(stage=LogJob.SENDING, heartbeat_at=Now())
            _deliver(job, logged)
    except Exception as error:  # noqa: BLE001 - recorded on the job, shown on the page, retryable
        LogJob.fail(job.pk, error=f"{type(error).__name__}: {error}")
        raise
    LogJob.objects.filter(pk=job.pk).update(
        status=LogJob.Status.DONE, stage="Done", finished_at=timezone.now(), heartbeat_at=Now()
    )
    job.refresh_from_db()
    return job


def log_job_plan(logged: LoggedSegment, *, send: bool) -> tuple[int, int, int]:
    """What a run of the job does now: (Word letters to merge, e-mail texts to merge, e-mails to send).

    Counted as the merge decides (an entry's own letter, else its template's attachment for its language, none
    for an entry without a contact), with one grouped query and no file read, so the card can say "1,500
    letters" and never speak of letters for a logged segment that has none (docs/BEHAVIOUR.md §13a)."""
    pending = _entries_needing_letters(logged).filter(contact__isnull=False)
    letters = pending.filter(merge_template__isnull=False).count()
    groups = list(
        pending.filter(merge_template__isnull=True)
        .order_by()
        .values_list("template_id", "language_code")
        .annotate(count=Count("id"))
    )
    templates = InteractionTemplate.objects.prefetch_related("languages").in_bulk({row[0] for row in groups})
    email_texts = 0
    for template_id, language_code, count in groups:
        kind = template_attachment_kind(templates[template_id], language_code)
        if kind == "docx":
            letters += count
        elif kind == "html":
            email_texts += count
    emails = _entries_to_send(logged).count() if send else 0
    return letters, email_texts, emails


def _entries_needing_letters(logged: LoggedSegment):
    # Merged entries hold the full merge values (every one has "segment.no"); before that, at most the note.
    return (
        InteractionLogEntry.objects.filter(logged_segment=logged, document__isnull=True)
        .filter(Q(template__isnull=False) | Q(merge_template__isnull=False))
        .exclude(merge_values__has_key="segment.no")
    )


def _entries_to_send(logged: LoggedSegment):
    return InteractionLogEntry.objects.filter(logged_segment=logged, delivery_status=DeliveryStatus.IN_PROGRESS)


def _merge_letters(job: LogJob, logged: LoggedSegment) -> None:
    heartbeat = JobHeartbeat(LogJob, job.pk)  # a sign of life every few seconds, within a batch too
    attachments: dict[tuple[int, str], tuple] = {}
    templates: dict[int, InteractionTemplate] = {}
    last_id = retries = 0
    while True:
        batch = list(
            _entries_needing_letters(logged)
            .filter(id__gt=last_id)
            .select_related("contact__company", "contact__salesperson", "salesperson", "merge_template")
            .order_by("id")[:LETTER_BATCH]
        )
        if not batch:
            return
        previous_id, last_id = last_id, batch[-1].id
        # The batch's salutation formulas in one query (none when no contact has a salutation code).
        salutations = salutation_formulas_for(entry.contact for entry in batch)
        merged = []
        for entry in batch:
            heartbeat()
            if entry.contact is None:
                continue
            if entry.merge_template_id:  # the line's own letter
                snapshot = entry.merge_template
            else:
                key = (entry.template_id, entry.language_code)
                if key not in attachments:
                    if entry.template_id not in templates:
                        templates[entry.template_id] = InteractionTemplate.objects.prefetch_related("languages").get(
                            pk=entry.template_id
                        )
                    attachments[key] = template_attachment(templates[entry.template_id], entry.language_code)
                snapshot, kind = attachments[key]
                if snapshot is None:  # no letter for this template and language: nothing to merge
                    continue
            note = (entry.merge_values or {}).get("personal_note", "")
            entry.merge_values = entry_merge_values(
                entry,
                entry_no=entry.pk,
                personal_note=note,
                segment_description=logged.description,
                salutations=salutations,
            )
            entry.merge_template = snapshot
            merged.append(entry)
        if not _store_merge_values(merged):
            # "Delete canceled entries" took a letter snapshot between our lookup and this write (see
            # interactions.document_pins): take the snapshots again and redo the batch.
            retries += 1
            if retries > 3:
                raise RuntimeError("The letter snapshots kept disappearing while merging; run the job again.")
            attachments.clear()
            last_id = previous_id
            continue
        # Counted as merged: the entries that got a letter or an e-mail text (log_job_plan counted those).
        heartbeat.write(done=F("done") + len(merged))


def _store_merge_values(entries: list[InteractionLogEntry]) -> bool:
    """Write the batch's merge values and snapshots; False (nothing written) when a snapshot was deleted."""
    # One prepared UPDATE run for the whole batch (executemany): bulk_update builds a CASE WHEN per row and
    # field, and spent four fifths of the job's time compiling it.
    field = InteractionLogEntry._meta.get_field("merge_values")
    rows = [
        (entry.merge_template_id, field.get_db_prep_save(entry.merge_values, connection), entry.pk) for entry in entries
    ]
    if not rows:
        return True
    with transaction.atomic(), connection.cursor() as cursor:
        snapshots = {entry.merge_template_id for entry in entries}
        if pin_documents(snapshots) != snapshots:
            return False
        cursor.executemany(f"UPDATE {_ENTRY} SET merge_template_id = %s, merge_values = %s WHERE id = %s", rows)
    return True


def _deliver(job: LogJob, logged: LoggedSegment) -> None:
    # A slow mail server makes a slow batch: the heartbeat follows the e-mails sent, not the batches.
    heartbeat = JobHeartbeat(LogJob, job.pk)
    last_id = 0
    while True:
        ids = list(
            _entries_to_send(logged).filter(id__gt=last_id).order_by("id").values_list("id", flat=True)[:DELIVERY_BATCH]
        )
        if not ids:
            return
        last_id = ids[-1]
        entries_deliver(ids, progress=heartbeat)
        heartbeat.write(done=F("done") + len(ids))


def log_job_lost(job_id: int, *, reason: str, failed: bool, dry_run: bool = False) -> None:
    """The worker running `run_log_job(job_id)` is gone (called by `manage.py recover_tasks`).

    The job itself cannot record that (its process died), so without this its LogJob would say "Running" for
    ever. Failed (workers died on it too often): the LogJob is failed with the reason, which the logged segment
    page shows with its "Run the job again" button. Re-queued: it says "Queued" again until a worker reruns it.
    Either way the e-mail entries the dead worker left "sending" go back to "error" (they may have gone out).
    """
    if dry_run:
        return
    job = LogJob.objects.filter(pk=job_id).only("logged_segment_id").first()
    if job is None:  # deleted with its canceled logged segment
        return
    if failed:
        LogJob.fail(
            job_id,
            stage="Stopped",
            only_active=True,
            error=(
                f"The background worker stopped while running this job and it is not run again by itself. {reason} "
                f"{LogJob.RERUN_NOTE}"
            ),
        )
    else:
        LogJob.requeue_if_running(job_id, stage="Queued again: the worker running it stopped")
    sending = InteractionLogEntry.objects.filter(
        logged_segment_id=job.logged_segment_id, delivery_status=DeliveryStatus.SENDING
    )
    deliveries_recover_interrupted(list(sending.values_list("pk", flat=True)))


def log_job_entries_to_send() -> Q:
    """The e-mail entries "in progress" that a logged segment's queued or running job will send: registered with
    interactions.sending (segments.apps), whose recovery leaves them alone."""
    live = LogJob.objects.filter(send=True, status__in=LogJob.ACTIVE).values("logged_segment_id")
    return Q(logged_segment_id__in=live)
