"""SQLite in WAL mode: a large write's checkpoint runs after its commit, on a thread of its own.

SQLite's commit of a large transaction (deleting 500,000 canceled entries writes some 250 MB to the write-ahead log)
is followed, in the same call, by an automatic checkpoint that copies those pages into the database file: 0.4 s
of the 0.65 s the commit takes (docs/PERFORMANCE.md, "Deleting canceled entries"). The rows are committed and
durable before it starts, so the user need not wait for it. `checkpoint_after_commit` turns the automatic
checkpoint off for the one transaction and runs a PASSIVE checkpoint on a thread once it committed, what
PostgreSQL's checkpointer does for every transaction. A PASSIVE checkpoint never blocks readers or writers; a
writer that commits meanwhile skips its own automatic checkpoint while this one runs and takes up the rest later.

Nothing changes for PostgreSQL, for an in-memory SQLite database (the tests') or inside a caller's transaction
(its commit is later; it checkpoints as usual).
"""

import contextlib
import logging
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass

from django.db import connections

logger = logging.getLogger(__name__)


@dataclass
class DeferredCheckpoint:
    """Set `wanted` inside the block when the transaction wrote enough for a checkpoint to be worth a thread."""

    wanted: bool = False
    thread: threading.Thread | None = None


def _journal_mode(using: str) -> str:
    with connections[using].cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        return str(cursor.fetchone()[0]).lower()


@contextlib.contextmanager
def checkpoint_after_commit(using: str) -> Iterator[DeferredCheckpoint]:
    """Around a `transaction.atomic()` block: no automatic checkpoint at its commit; when the block set `wanted`
    and committed, a PASSIVE checkpoint on a thread (returned in `thread`, for tests and benchmarks to join)."""
    deferred = DeferredCheckpoint()
    connection = connections[using]
    if connection.vendor != "sqlite" or connection.in_atomic_block or _journal_mode(using) != "wal":
        yield deferred
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_autocheckpoint")
        pages = int(cursor.fetchone()[0])
        cursor.execute("PRAGMA wal_autocheckpoint=0")
    try:
        yield deferred
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA wal_autocheckpoint={pages}")
    if deferred.wanted:
        deferred.thread = checkpoint_in_background(str(connection.settings_dict["NAME"]))


def checkpoint_in_background(path: str) -> threading.Thread:
    """Start a PASSIVE checkpoint of the SQLite database at `path` on a thread of its own connection."""
    thread = threading.Thread(target=_checkpoint, args=(path,), name="sqlite-checkpoint", daemon=True)
    thread.start()
    return thread


def _checkpoint(path: str) -> None:
    try:
        with contextlib.closing(sqlite3.connect(path, timeout=30)) as connection:
            busy, frames, copied = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    except sqlite3.Error:
        # Not fatal: the next commit's automatic checkpoint copies the pages instead.
        logger.warning("SQLite checkpoint after a large commit failed", exc_info=True, extra={"path": path})
        return
    logger.info("SQLite checkpoint after a large commit", extra={"busy": busy, "frames": frames, "copied": copied})
