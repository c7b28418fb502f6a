"""Deleting canceled log entries: the service, the command, and the stored documents that go with them."""

import datetime
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from interactions.models import InteractionLogEntry, StoredDocument
from interactions.services import entries as entries_service
from interactions.services import log_entries_delete_canceled
from interactions.storage import store_document
from tests.factories import (
    InteractionLogEntryFactory,
    InteractionTemplateFactory,
    PersonFactory,
    SalespersonFactory,
    SegmentLineFactory,
)

pytestmark = pytest.mark.django_db

JAN_1 = datetime.date(2024, 1, 1)
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _document(text: str) -> StoredDocument:
    return store_document(text.encode(), filename=f"{text}.pdf", content_type="application/pdf")


def _exists(document: StoredDocument) -> bool:
    return document.file.storage.exists(document.file.name)


# --- the service ------------------------------------------------------------------------------------------------


def test_only_canceled_entries_are_deleted(marketer):
    canceled = InteractionLogEntryFactory.create_batch(3, canceled=True)
    kept = InteractionLogEntryFactory.create_batch(2, canceled=False)

    assert log_entries_delete_canceled(user=marketer) == 3

    assert not InteractionLogEntry.objects.filter(pk__in=[e.pk for e in canceled]).exists()
    assert InteractionLogEntry.objects.filter(pk__in=[e.pk for e in kept]).count() == 2


def test_every_filter_narrows_and_never_reaches_a_non_canceled_entry(marketer):
    template = InteractionTemplateFactory(code="CALL")
    salesperson = SalespersonFactory(code="JO")
    contact = PersonFactory()
    target = InteractionLogEntryFactory(
        canceled=True, template=template, salesperson=salesperson, contact=contact, date=datetime.date(2024, 3, 1)
    )
    same_but_active = InteractionLogEntryFactory(
        canceled=False, template=template, salesperson=salesperson, contact=contact, date=datetime.date(2024, 3, 1)
    )
    other_template = InteractionLogEntryFactory(canceled=True, salesperson=salesperson, contact=contact)
    too_old = InteractionLogEntryFactory(
        canceled=True, template=template, salesperson=salesperson, contact=contact, date=datetime.date(2023, 6, 1)
    )

    deleted = log_entries_delete_canceled(
        user=marketer,
        before="2024-12-31",
        after=JAN_1,
        template="CALL",
        group=template.group.code,
        contact=contact.no,
        salesperson=salesperson,
    )

    assert deleted == 1
    remaining = set(InteractionLogEntry.objects.values_list("pk", flat=True))
    assert target.pk not in remaining
    assert {same_but_active.pk, other_template.pk, too_old.pk} <= remaining


def test_before_and_after_are_exclusive(marketer):
    on_the_day = InteractionLogEntryFactory(canceled=True, date=JAN_1)
    assert log_entries_delete_canceled(before=JAN_1) == 0
    assert log_entries_delete_canceled(after=JAN_1) == 0
    assert log_entries_delete_canceled(before=JAN_1 + datetime.timedelta(days=1)) == 1
    assert not InteractionLogEntry.objects.filter(pk=on_the_day.pk).exists()


def test_unknown_codes_and_bad_dates_are_refused_and_nothing_is_deleted():
    InteractionLogEntryFactory.create_batch(2, canceled=True)
    for kwargs, message in [
        ({"template": "NOPE"}, "There is no interaction template with the code “NOPE”."),
        ({"group": "NOPE"}, "There is no interaction group with the code “NOPE”."),
        ({"contact": "CT999999"}, "There is no contact with the number “CT999999”."),
        ({"salesperson": "NOPE"}, "There is no salesperson with the code “NOPE”."),
        ({"before": "2024-13-45"}, "is not a date"),
    ]:
        with pytest.raises(ValidationError) as error:
            log_entries_delete_canceled(**kwargs)
        assert message in error.value.messages[0]
    assert InteractionLogEntry.objects.count() == 2


def test_a_misspelt_filter_is_an_error_and_nothing_is_deleted():
    InteractionLogEntryFactory.create_batch(2, canceled=True)
    with pytest.raises(TypeError, match="Unknown filters for canceled entries: templat"):
        log_entries_delete_canceled(templat="CALL")
    with pytest.raises(TypeError, match="templat"):
        entries_service.canceled_entries_to_delete(templat="CALL")
    assert InteractionLogEntry.objects.count() == 2


def test_the_delete_does_not_load_the_entries(marketer):
    InteractionLogEntryFactory.create_batch(25, canceled=True)
    with CaptureQueriesContext(connection) as queries:
        log_entries_delete_canceled(user=marketer)
    deletes = [q["sql"] for q in queries if q["sql"].startswith("DELETE")]
    assert len(deletes) == 1
    selects_of_whole_rows = [q["sql"] for q in queries if q["sql"].startswith("SELECT") and '"description"' in q["sql"]]
    assert selects_of_whole_rows == []


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's plan; PostgreSQL chooses by its statistics")
def test_the_documents_to_clean_up_are_looked_up_through_their_partial_indexes(marketer):
    # docs/PERFORMANCE.md: read through the doomed rows instead, this took 2 s of a 500,000-entry delete.
    InteractionLogEntryFactory(canceled=True, document=_document("letter"))
    with CaptureQueriesContext(connection) as queries:
        log_entries_delete_canceled(user=marketer)
    candidates = [q["sql"] for q in queries if q["sql"].startswith("SELECT DISTINCT")]
    plans = []
    with connection.cursor() as cursor:
        for sql in candidates:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
            plans.append(" ".join(row[-1] for row in cursor.fetchall()))
    assert len(plans) == 2
    assert "USING INDEX ile_stored_document" in plans[0] and "USING INDEX ile_merge_template" in plans[1]


def test_orphaned_stored_documents_go_and_shared_ones_stay(marketer):
    orphan = _document("orphan")
    shared_with_active = _document("shared")
    template_snapshot = _document("snapshot")
    line_letter = _document("letter")
    InteractionLogEntryFactory(canceled=True, document=orphan)
    InteractionLogEntryFactory(canceled=True, document=shared_with_active)
    InteractionLogEntryFactory(canceled=False, document=shared_with_active)
    InteractionLogEntryFactory(canceled=True, merge_template=template_snapshot, merge_values={"contact.name": "A"})
    InteractionLogEntryFactory(canceled=False, merge_template=template_snapshot, merge_values={"contact.name": "B"})
    InteractionLogEntryFactory(canceled=True, document=line_letter)
    SegmentLineFactory(letter=line_letter)  # a worksheet line still uses this letter

    deleted = log_entries_delete_canceled(user=marketer)

    assert deleted == 4
    assert not StoredDocument.objects.filter(pk=orphan.pk).exists()
    assert set(StoredDocument.objects.values_list("pk", flat=True)) == {
        shared_with_active.pk,
        template_snapshot.pk,
        line_letter.pk,
    }


@pytest.mark.django_db(transaction=True)
def test_the_orphans_file_is_removed_from_storage_after_commit(marketer):
    orphan = _document("orphan-file")
    kept = _document("kept-file")
    InteractionLogEntryFactory(canceled=True, document=orphan)
    InteractionLogEntryFactory(canceled=True, document=kept)
    InteractionLogEntryFactory(canceled=False, document=kept)
    assert _exists(orphan) and _exists(kept)

    log_entries_delete_canceled(user=marketer)

    assert not _exists(orphan)
    assert _exists(kept)


def test_a_document_used_by_two_canceled_entries_goes_once_both_are_gone(marketer):
    both = _document("both")
    InteractionLogEntryFactory.create_batch(2, canceled=True, document=both)
    assert log_entries_delete_canceled(user=marketer) == 2
    assert not StoredDocument.objects.filter(pk=both.pk).exists()


# --- the command ------------------------------------------------------------------------------------------------


def _run(*args) -> str:
    out = StringIO()
    call_command("delete_canceled_interactions", *args, stdout=out)
    return out.getvalue().strip()


def test_the_command_deletes_and_says_how_many():
    InteractionLogEntryFactory.create_batch(2, canceled=True)
    InteractionLogEntryFactory(canceled=False)
    assert _run() == "2 interaction log entries deleted."
    assert InteractionLogEntry.objects.count() == 1


def test_a_dry_run_counts_and_deletes_nothing():
    InteractionLogEntryFactory.create_batch(3, canceled=True, date=datetime.date(2023, 5, 5))
    InteractionLogEntryFactory(canceled=True, date=datetime.date(2024, 5, 5))
    assert _run("--dry-run", "--before", "2024-01-01") == "3 interaction log entries would be deleted."
    assert InteractionLogEntry.objects.count() == 4


def test_the_command_applies_every_filter():
    template = InteractionTemplateFactory(code="MEET")
    contact = PersonFactory()
    salesperson = SalespersonFactory(code="AB")
    match = InteractionLogEntryFactory(
        canceled=True, template=template, contact=contact, salesperson=salesperson, date=datetime.date(2024, 2, 2)
    )
    InteractionLogEntryFactory(canceled=True, template=template, contact=contact, date=datetime.date(2024, 2, 2))

    output = _run(
        "--after",
        "2024-01-01",
        "--before",
        "2024-03-01",
        "--template",
        "MEET",
        "--group",
        template.group.code,
        "--contact",
        contact.no,
        "--salesperson",
        "AB",
    )

    assert output == "1 interaction log entries deleted."
    assert not InteractionLogEntry.objects.filter(pk=match.pk).exists()
    assert InteractionLogEntry.objects.count() == 1


@pytest.mark.parametrize(
    "args, message",
    [
        (["--before", "yesterday"], "Before: “yesterday” is not a date. Use YYYY-MM-DD."),
        (["--after", "2024-02-30"], "is not a date"),
        (["--template", "NOPE"], "There is no interaction template with the code “NOPE”."),
        (["--group", "NOPE"], "There is no interaction group"),
        (["--contact", "CT999999"], "There is no contact with the number “CT999999”."),
        (["--salesperson", "NOPE"], "There is no salesperson"),
    ],
)
def test_bad_arguments_are_a_one_line_error_and_nothing_is_deleted(args, message):
    InteractionLogEntryFactory.create_batch(2, canceled=True)
    with pytest.raises(CommandError) as error:
        _run(*args)
    assert message in str(error.value)
    assert "\n" not in str(error.value)
    assert InteractionLogEntry.objects.count() == 2


def test_bad_arguments_exit_with_a_non_zero_status_from_the_shell(tmp_path):
    # A separate process on its own empty database: the arguments are refused before anything is read.
    result = subprocess.run(
        [sys.executable, "manage.py", "delete_canceled_interactions", "--skip-checks", "--before", "not-a-date"],
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "crm.settings_test",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}",
        },
        cwd=PROJECT_ROOT,
    )
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == ["CommandError: Before: “not-a-date” is not a date. Use YYYY-MM-DD."]


# --- the two ways of deleting: row by row out of every index, or rebuilding the indexes -----------------------


@pytest.fixture(params=["plain delete", "indexes rebuilt"])
def delete_path(request, monkeypatch):
    """Forces one way whatever the share (docs/PERFORMANCE.md: the share decides on a real table)."""
    rebuild = request.param == "indexes rebuilt"
    monkeypatch.setattr(entries_service, "REBUILD_INDEXES_MIN_ROWS", 0)
    monkeypatch.setattr(entries_service, "REBUILD_INDEXES_FROM_SHARE", {connection.vendor: 0.0 if rebuild else None})
    monkeypatch.setattr(entries_service, "KEEP_PARTIAL_INDEX_BELOW_ROWS", 0)  # every index, however few rows
    return rebuild


def _index_names() -> set[str]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, InteractionLogEntry._meta.db_table)
    return {name for name, info in constraints.items() if info["index"] and not info["primary_key"]}


def test_both_ways_delete_the_same_entries_and_documents_and_keep_every_index(marketer, delete_path):
    template = InteractionTemplateFactory(code="CALL")
    orphan, shared = _document("orphan"), _document("shared")
    doomed = [
        InteractionLogEntryFactory(canceled=True, template=template, document=orphan),
        InteractionLogEntryFactory(canceled=True, template=template, document=shared),
    ]
    kept = [
        InteractionLogEntryFactory(canceled=False, template=template, document=shared),
        InteractionLogEntryFactory(canceled=True),  # another template: the filter leaves it
        InteractionLogEntryFactory(canceled=False),
    ]
    indexes_before = _index_names()
    assert {index.name for index in InteractionLogEntry._meta.indexes} <= indexes_before

    with CaptureQueriesContext(connection) as queries:
        assert log_entries_delete_canceled(user=marketer, template="CALL") == 2

    dropped = [q["sql"] for q in queries if q["sql"].startswith("DROP INDEX")]
    assert len(dropped) == (len(InteractionLogEntry._meta.indexes) if delete_path else 0)
    assert set(InteractionLogEntry.objects.values_list("pk", flat=True)) == {entry.pk for entry in kept}
    assert not InteractionLogEntry.objects.filter(pk__in=[entry.pk for entry in doomed]).exists()
    assert set(StoredDocument.objects.values_list("pk", flat=True)) == {shared.pk}
    assert _index_names() == indexes_before


def test_a_partial_index_holding_few_rows_is_kept_and_the_others_rebuilt(marketer, monkeypatch):
    monkeypatch.setattr(entries_service, "REBUILD_INDEXES_MIN_ROWS", 0)
    monkeypatch.setattr(entries_service, "REBUILD_INDEXES_FROM_SHARE", {connection.vendor: 0.0})
    monkeypatch.setattr(entries_service, "KEEP_PARTIAL_INDEX_BELOW_ROWS", 2)
    template = InteractionTemplateFactory(code="CALL")
    salesperson = SalespersonFactory()
    doomed = [
        InteractionLogEntryFactory(canceled=True, template=template, salesperson=salesperson),
        InteractionLogEntryFactory(canceled=True, template=template),
    ]
    kept = InteractionLogEntryFactory(canceled=False, template=template)
    indexes_before = _index_names()

    with CaptureQueriesContext(connection) as queries:
        assert log_entries_delete_canceled(user=marketer) == 2

    dropped = {q["sql"].split()[-1].strip('"') for q in queries if q["sql"].startswith("DROP INDEX")}
    # Three entries with a template, two canceled: rebuilt. One with a salesperson, none postponed: kept, and the
    # DELETE takes the one doomed salesperson row out of its index.
    assert {"ile_date_id", "ile_contact_date", "ile_template_date", "ile_canceled_date"} <= dropped
    assert not {"ile_salesperson_date", "ile_postponed_user", "ile_delivery_pending"} & dropped
    assert list(InteractionLogEntry.all_objects.values_list("pk", flat=True)) == [kept.pk]
    assert not InteractionLogEntry.all_objects.filter(pk__in=[entry.pk for entry in doomed]).exists()
    assert not InteractionLogEntry.all_objects.filter(salesperson__isnull=False).exists()
    assert _index_names() == indexes_before


def test_a_refused_delete_changes_nothing_either_way(marketer, delete_path):
    InteractionLogEntryFactory.create_batch(2, canceled=True)
    indexes_before = _index_names()
    with pytest.raises(ValidationError):
        log_entries_delete_canceled(user=marketer, template="NOPE")
    assert InteractionLogEntry.objects.count() == 2
    assert _index_names() == indexes_before


def test_a_small_share_or_a_small_number_keeps_the_plain_delete(marketer, monkeypatch):
    monkeypatch.setattr(entries_service, "REBUILD_INDEXES_MIN_ROWS", 3)
    monkeypatch.setattr(entries_service, "REBUILD_INDEXES_FROM_SHARE", {connection.vendor: 0.5})
    InteractionLogEntryFactory.create_batch(2, canceled=True)
    InteractionLogEntryFactory.create_batch(2, canceled=False)
    with CaptureQueriesContext(connection) as queries:
        assert log_entries_delete_canceled(user=marketer) == 2  # half the table, but fewer than 3
    assert not [q for q in queries if q["sql"].startswith("DROP INDEX")]

    InteractionLogEntryFactory.create_batch(3, canceled=True)
    InteractionLogEntryFactory.create_batch(2, canceled=False)
    with CaptureQueriesContext(connection) as queries:
        assert log_entries_delete_canceled(user=marketer) == 3  # 3 of 7: under half
    assert not [q for q in queries if q["sql"].startswith("DROP INDEX")]

    InteractionLogEntryFactory.create_batch(5, canceled=True)
    with CaptureQueriesContext(connection) as queries:
        assert log_entries_delete_canceled(user=marketer) == 5  # 5 of 9: over half
    assert [q for q in queries if q["sql"].startswith("DROP INDEX")]
