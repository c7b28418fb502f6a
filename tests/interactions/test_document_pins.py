"""Deleting canceled entries while new ones start to use the same stored letter (issue 9, interactions.document_pins).

Letter snapshots are shared by content. When only canceled entries use one, "delete canceled entries" deletes it
(row and file) as unused. A writer that looked the snapshot up just before, and writes its reference just after,
used to end up pointing at a deleted document: the letter of a brand-new entry was gone. Each test below stops a
writer at exactly that moment (a wrapper around the lookup that waits), runs the delete, lets the writer go on, and
checks that the new rows point at a stored document whose file is still there.
"""

import threading

import pytest
from django.db import connection, connections, transaction

from interactions import letters
from interactions.models import InteractionLogEntry, StoredDocument
from interactions.services import create as create_service
from interactions.services import interaction_create, log_entries_delete_canceled
from interactions.storage import store_document
from segments import log_job
from segments.models import LogJob
from segments.services import segment_line_set_letter, segment_log
from segments.services import worksheet as worksheet_service
from segments.tasks import run_log_job
from tests.factories import InteractionLogEntryFactory, PersonFactory, SegmentFactory, SegmentLineFactory
from tests.interactions.factories import letter_docx, word_template

pytestmark = pytest.mark.django_db(transaction=True)


class Paused:
    """Wraps a function: the first call returns its result only once `go` is set (the test runs the delete)."""

    def __init__(self, function):
        self.function, self.reached, self.go, self.calls = function, threading.Event(), threading.Event(), 0

    def __call__(self, *args, **kwargs):
        result = self.function(*args, **kwargs)
        self.calls += 1
        if self.calls == 1:
            self.reached.set()
            assert self.go.wait(timeout=60)
        return result


def in_thread(job) -> tuple[threading.Thread, list]:
    outcome: list = []

    def run():
        try:
            outcome.append(job())
        except BaseException as error:  # noqa: BLE001 - the test asserts on it
            outcome.append(error)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def delete_canceled_while_paused(paused: Paused, writer, *, user, deleted: int, gone: int | None = None) -> list:
    """Run `writer` in a thread up to `paused`, delete the canceled entries meanwhile (`deleted` of them, and the
    stored document `gone` with them), let the writer go on and wait for it; what it returned (or raised)."""
    thread, outcome = in_thread(writer)
    assert paused.reached.wait(timeout=60), outcome
    assert log_entries_delete_canceled(user=user) == deleted
    if gone is not None:
        assert not StoredDocument.objects.filter(pk=gone).exists()
    paused.go.set()
    thread.join(timeout=60)
    return outcome


def assert_stored(document: StoredDocument) -> None:
    assert StoredDocument.objects.filter(pk=document.pk).exists()
    with document.file.open("rb") as handle:
        assert handle.read(2) == b"PK"


def canceled_entries_only_users_of(template, marketer, count=2) -> StoredDocument:
    for i in range(count):
        entry = interaction_create(
            contact=PersonFactory(name=f"Canceled {i}"), template=template, description="Welcome", user=marketer
        )
        InteractionLogEntry.objects.filter(pk=entry.pk).update(canceled=True)
    (snapshot,) = StoredDocument.objects.all()
    return snapshot


def test_an_interaction_logged_while_its_letter_snapshot_is_deleted_takes_a_new_one(marketer, monkeypatch):
    template = word_template("WELCOME")
    old_snapshot = canceled_entries_only_users_of(template, marketer)
    paused = Paused(create_service.template_attachment)
    monkeypatch.setattr(create_service, "template_attachment", paused)

    # The writer holds the old snapshot, not yet referenced, while the delete removes it.
    (entry,) = delete_canceled_while_paused(
        paused,
        lambda: interaction_create(
            contact=PersonFactory(name="New"), template=template, description="Hi", user=marketer
        ),
        user=marketer,
        deleted=2,
        gone=old_snapshot.pk,
    )
    assert isinstance(entry, InteractionLogEntry), entry
    entry = InteractionLogEntry.objects.select_related("merge_template").get(pk=entry.pk)
    assert entry.merge_template_id != old_snapshot.pk
    assert_stored(entry.merge_template)
    data, _, _ = letters.entry_document_bytes(entry)
    assert data[:2] == b"PK"


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="Needs two writers at once (row locks).")
def test_a_delete_waits_for_an_interaction_that_pinned_the_snapshot_and_keeps_it(marketer, monkeypatch):
    template = word_template("WELCOME")
    snapshot = canceled_entries_only_users_of(template, marketer)
    paused = Paused(create_service._save)  # inside the writer's transaction, after the pin and the insert
    monkeypatch.setattr(create_service, "_save", paused)

    writer, written = in_thread(
        lambda: interaction_create(
            contact=PersonFactory(name="New"), template=template, description="Hi", user=marketer
        )
    )
    assert paused.reached.wait(timeout=60)
    deleter, deleted = in_thread(lambda: log_entries_delete_canceled(user=marketer))
    deleter.join(timeout=2)
    assert deleter.is_alive(), "the delete waits for the writer's pin"
    paused.go.set()
    writer.join(timeout=60)
    deleter.join(timeout=60)

    assert deleted == [2]
    (entry,) = written
    assert InteractionLogEntry.objects.get(pk=entry.pk).merge_template_id == snapshot.pk
    assert_stored(snapshot)


def test_a_segment_letter_job_running_while_its_snapshot_is_deleted_merges_with_a_new_one(
    marketer, monkeypatch, settings
):
    template = word_template("WELCOME")
    old_snapshot = canceled_entries_only_users_of(template, marketer)
    segment = SegmentFactory(template=template)
    for i in range(3):
        SegmentLineFactory(segment=segment, contact=PersonFactory(name=f"Line {i}"))
    settings.TASKS = {"default": {"BACKEND": "crm.jobs.backend.LeasedDatabaseBackend"}}  # queued, not run
    logged = segment_log(segment, user=marketer)
    job = LogJob.objects.get(logged_segment=logged)
    assert job.status == LogJob.Status.QUEUED
    paused = Paused(log_job.template_attachment)
    monkeypatch.setattr(log_job, "template_attachment", paused)

    outcome = delete_canceled_while_paused(paused, lambda: run_log_job.call(job.pk), user=marketer, deleted=2)

    assert outcome == [None]
    job.refresh_from_db()
    assert job.status == LogJob.Status.DONE
    entries = list(logged.entries.select_related("merge_template"))
    assert len(entries) == 3
    for entry in entries:
        assert entry.merge_template_id != old_snapshot.pk
        assert_stored(entry.merge_template)


def test_a_line_letter_uploaded_while_the_same_bytes_are_deleted_is_stored_again(marketer, monkeypatch):
    data = letter_docx("Only for {{ contact.name }}")
    old = store_document(data, filename="old.docx", content_type=letters.DOCX_CONTENT_TYPE)
    InteractionLogEntryFactory(canceled=True, merge_template=old)
    line = SegmentLineFactory(contact=PersonFactory(name="Ada"))
    paused = Paused(worksheet_service.store_document)
    monkeypatch.setattr(worksheet_service, "store_document", paused)

    outcome = delete_canceled_while_paused(
        paused,
        lambda: segment_line_set_letter(line, data=data, filename="ada.docx", user=marketer),
        user=marketer,
        deleted=1,
    )

    assert not isinstance(outcome[0], BaseException), outcome
    line.refresh_from_db()
    assert line.letter_id is not None and line.letter_id != old.pk
    assert_stored(line.letter)


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="Needs two writers at once (row locks).")
def test_a_reprint_whose_stored_pdf_is_deleted_meanwhile_stores_it_again(marketer, monkeypatch):
    """Reprinting an invoice gives the same PDF bytes, so it finds the StoredDocument of the first print. If only
    that print's (canceled) entry used it, "delete canceled" may delete it between the lookup and the new entry."""
    from crm.models import SalesDocument
    from interactions.models import DOCUMENT_TYPE_FOR_KIND
    from interactions.services import document_logging
    from tests.factories import InteractionTemplateFactory, InteractionTemplateSetupFactory, SalesDocumentFactory

    InteractionTemplateSetupFactory(
        event=DOCUMENT_TYPE_FOR_KIND[SalesDocument.Kind.INVOICE], template=InteractionTemplateFactory()
    )
    invoice = SalesDocumentFactory(kind=SalesDocument.Kind.INVOICE)
    pdf = b"%PDF-1.7 the same invoice, printed twice"

    def reprint():
        with transaction.atomic():  # as document_print runs it: inside the print's transaction
            return document_logging.log_printed_document(document=invoice, user=marketer, pdf=pdf, version_no=0)

    first = reprint()
    InteractionLogEntry.objects.filter(pk=first.pk).update(canceled=True)
    paused = Paused(document_logging.store_document)
    monkeypatch.setattr(document_logging, "store_document", paused)

    # The reprint holds the first print's document, not yet referenced, while the delete removes it.
    (entry,) = delete_canceled_while_paused(paused, reprint, user=marketer, deleted=1, gone=first.document_id)
    assert isinstance(entry, InteractionLogEntry), entry
    entry = InteractionLogEntry.objects.select_related("document").get(pk=entry.pk)
    assert entry.document_id != first.document_id
    assert StoredDocument.objects.filter(pk=entry.document_id).exists()
    with entry.document.file.open("rb") as handle:
        assert handle.read() == pdf
