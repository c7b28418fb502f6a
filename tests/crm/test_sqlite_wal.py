"""crm.sqlite_wal: a large SQLite commit leaves its checkpoint to a thread (docs/PERFORMANCE.md)."""

import logging

import pytest
from django.db import connection, connections, transaction

from crm.sqlite_wal import checkpoint_after_commit

pytestmark = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's write-ahead log only")

ALIAS = "wal_file"


@pytest.fixture
def wal_database(tmp_path, django_db_blocker):
    """A second connection, to a database file in WAL mode (the tests' own database is in memory)."""
    connections.settings[ALIAS] = {**connections["default"].settings_dict, "NAME": str(tmp_path / "wal.sqlite3")}
    with django_db_blocker.unblock():
        try:
            with connections[ALIAS].cursor() as cursor:
                cursor.execute("CREATE TABLE rows (text TEXT)")
            yield connections[ALIAS]
        finally:
            connections[ALIAS].close()
            del connections[ALIAS]
            del connections.settings[ALIAS]


def _autocheckpoint(wrapper) -> int:
    with wrapper.cursor() as cursor:
        cursor.execute("PRAGMA wal_autocheckpoint")
        return cursor.fetchone()[0]


def _write_pages(wrapper) -> None:
    with wrapper.cursor() as cursor:
        cursor.execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) "
            "INSERT INTO rows SELECT printf('%.*c', 1000, 'x') FROM n"
        )


def test_a_wanted_checkpoint_runs_on_a_thread_after_the_commit_and_copies_every_page(wal_database, caplog):
    assert _autocheckpoint(wal_database) == 1000
    caplog.set_level(logging.INFO, logger="crm.sqlite_wal")
    with checkpoint_after_commit(ALIAS) as deferred, transaction.atomic(using=ALIAS):
        assert _autocheckpoint(wal_database) == 0  # the commit itself copies nothing
        _write_pages(wal_database)
        deferred.wanted = True
    assert deferred.thread is not None
    deferred.thread.join(timeout=30)

    assert _autocheckpoint(wal_database) == 1000
    [record] = [r for r in caplog.records if r.getMessage() == "SQLite checkpoint after a large commit"]
    assert record.busy == 0
    assert record.frames > 500  # 2,000 rows of 1 KB: the commit left them all in the log...
    assert record.copied == record.frames  # ... and the thread copied every one into the database file
    with wal_database.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM rows")
        assert cursor.fetchone()[0] == 2000


def test_a_rolled_back_block_starts_no_thread_and_restores_the_automatic_checkpoint(wal_database):
    with pytest.raises(ValueError), checkpoint_after_commit(ALIAS) as deferred, transaction.atomic(using=ALIAS):
        _write_pages(wal_database)
        deferred.wanted = True
        raise ValueError("refused")
    assert deferred.thread is None
    assert _autocheckpoint(wal_database) == 1000
    with wal_database.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM rows")
        assert cursor.fetchone()[0] == 0


def test_an_unwanted_checkpoint_is_left_to_the_next_commit(wal_database):
    with checkpoint_after_commit(ALIAS) as deferred, transaction.atomic(using=ALIAS):
        _write_pages(wal_database)
    assert deferred.thread is None
    assert _autocheckpoint(wal_database) == 1000


@pytest.mark.django_db
def test_inside_a_callers_transaction_or_in_memory_nothing_changes():
    # The tests' database is in memory and each test runs in a transaction: the commit is not this block's.
    with checkpoint_after_commit("default") as deferred, transaction.atomic():
        deferred.wanted = True
    assert deferred.thread is None
    assert _autocheckpoint(connection) == 1000
