"""Keeping a stored document alive while a new row starts to use it.

StoredDocuments are content-addressed and shared: every entry logged with one template version points at the same
letter snapshot. Deleting canceled entries also deletes the documents nothing references any more, row and file
(interactions.services.entries). A writer looks the snapshot up first (outside its transaction, because that reads
and writes files) and writes its reference a moment later; a delete running in between saw the document unused and
deleted it, leaving the new entry pointing at nothing (log entries have no database foreign keys to stop that, see
InteractionLogEntry).

So, in the transaction that writes the reference, the writer pins the documents (`pin_documents`): on PostgreSQL a
FOR KEY SHARE row lock, which the delete's FOR UPDATE on its candidates waits for; the delete looks for references
only after it holds its locks, so it sees the writer's committed reference and keeps the document. If the delete
locked first, the pin finds the document gone and the writer takes a new snapshot. On SQLite writers run one at a
time, so checking that the row still exists inside the writer's transaction is enough.
"""

from collections.abc import Iterable

from django.db import connections, transaction

from .models import StoredDocument

__all__ = ["pin_documents"]


def pin_documents(ids: Iterable[int]) -> set[int]:
    """Inside the caller's transaction: keep these StoredDocuments from being deleted until it ends; returns the
    ids that still exist (a missing one was deleted meanwhile: take a new snapshot)."""
    wanted = sorted({int(pk) for pk in ids if pk is not None})
    if not wanted:
        return set()
    using = StoredDocument.objects.db
    if not transaction.get_connection(using).in_atomic_block:
        raise RuntimeError("pin_documents only means something inside the transaction that writes the reference.")
    connection = connections[using]
    if connection.vendor != "postgresql":
        return set(StoredDocument.objects.filter(pk__in=wanted).values_list("pk", flat=True))
    table = connection.ops.quote_name(StoredDocument._meta.db_table)
    with connection.cursor() as cursor:
        # Sorted ids, so two writers pinning overlapping sets take their locks in the same order.
        cursor.execute(f"SELECT id FROM {table} WHERE id = ANY(%s) ORDER BY id FOR KEY SHARE", [wanted])
        return {pk for (pk,) in cursor.fetchall()}
