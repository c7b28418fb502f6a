"""Handing e-mail entries to the delivery task (interactions.tasks.deliver_entries) once the caller's transaction
commits. Services decide what is sent; the sending itself (slow, may fail) is interactions.sending, run by the task,
never by a web request (docs/BEHAVIOUR.md §12; docs/DEPLOY.md on the task backends).
"""

from collections.abc import Iterable

from django.db import transaction

from ..tasks import deliver_entries

__all__ = ["entries_deliver_after_commit"]


def entries_deliver_after_commit(entry_ids: Iterable[int]) -> None:
    """Hand the entries to the delivery task once the current transaction commits (never inside it)."""
    ids = [int(pk) for pk in entry_ids]
    if not ids:
        return
    transaction.on_commit(lambda: deliver_entries.enqueue(ids))
