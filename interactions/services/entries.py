"""Changes to logged interactions: cancel / un-cancel, evaluate, resend e-mail, delete canceled entries.

Entries are never edited after logging except for these (docs/BEHAVIOUR.md §9). Every function here is one
transaction and acts on the rows set-based (one UPDATE / DELETE per statement), never a Python loop of save().
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TypedDict, Unpack

from django.core.exceptions import ValidationError
from django.db import connections, models, router, transaction
from django.db.models import Count, Min, QuerySet
from django.db.models.fields.related import ForeignObjectRel, ManyToManyRel
from django.utils import timezone
from django.utils.dateparse import parse_date

from crm.audit import audit_record
from crm.models import AuditEvent, Contact, CorrespondenceType, Salesperson
from crm.sqlite_wal import checkpoint_after_commit
from crm.wording import NAMED_LIMIT, count_of, named_list

from ..models import (
    DeliveryStatus,
    Evaluation,
    InteractionDailyTotal,
    InteractionGroup,
    InteractionLogEntry,
    InteractionTemplate,
    LoggedSegment,
    StoredDocument,
)
from .delivery import entries_deliver_after_commit

if TYPE_CHECKING:
    from django.contrib.auth.models import User

__all__ = [
    "log_entries_set_canceled",
    "log_entries_owning_letters",
    "log_entries_evaluate",
    "log_entries_queue_resend",
    "log_entries_resend",
    "RESENDABLE_STATUSES",
    "log_entries_delete_canceled",
    "canceled_entries_to_delete",
    "CanceledEntryFilters",
    "stored_documents_delete_unused",
]

# How many entries an error message names before it says "and N more".
NAMED_IN_MESSAGES = 10
# Stored documents are checked for remaining references in chunks of this many ids (bound parameters).
DOCUMENT_CHUNK = 500
# From this share of the log entries on, deleting canceled entries drops the table's indexes, deletes and builds
# them again, instead of taking each row out of every index (docs/PERFORMANCE.md, "Deleting canceled entries").
# Per database vendor; None: never. PostgreSQL keeps the plain DELETE whatever the share: DROP INDEX there locks
# the table against readers until the commit, while the plain DELETE lets them read (and it is fast there).
REBUILD_INDEXES_FROM_SHARE = {"sqlite": 0.3, "postgresql": None}
# ... and only from this many entries: below it either way is quick, and a schema change is not worth it.
REBUILD_INDEXES_MIN_ROWS = 50_000
# A partial index holding fewer rows than this is kept through such a delete: taking at most this many entries out
# of it one by one is cheaper than the table scan and sort of building it again (docs/PERFORMANCE.md).
KEEP_PARTIAL_INDEX_BELOW_ROWS = 10_000


def _entries_queryset(entries: Iterable[Any]) -> QuerySet:
    """Entries given as a queryset, model instances or ids, as a queryset (never loaded row by row)."""
    if isinstance(entries, QuerySet):
        if entries.model is not InteractionLogEntry:
            raise TypeError("Expected a queryset of interaction log entries.")
        # A sliced or ordered queryset can't be used in UPDATE … WHERE id IN (…): use its ids as a subquery.
        return InteractionLogEntry.objects.filter(pk__in=entries.order_by().values("pk"))
    ids = [getattr(entry, "pk", entry) for entry in entries]
    return InteractionLogEntry.objects.filter(pk__in=[int(pk) for pk in ids])


def _name_entries(ids: list[int], total: int) -> str:
    named = ", ".join(str(pk) for pk in ids[:NAMED_IN_MESSAGES])
    return named + (f" and {total - NAMED_IN_MESSAGES} more" if total > NAMED_IN_MESSAGES else "")


def _owned_letters(queryset: QuerySet) -> dict[int, int]:
    """{stored document id: the one entry of `queryset` using it} for the letters (stored document or letter
    snapshot) that a single entry uses: no other entry, selected or not, references them (reference 2.12).
    One grouped count per column over the documents the selection uses."""
    columns = ("document_id", "merge_template_id")
    used: set[int] = set()
    for column in columns:
        used.update(queryset.exclude(**{column: None}).values_list(column, flat=True).distinct())
    if not used:
        return {}
    uses: dict[int, int] = {}
    owner: dict[int, int] = {}
    for column in columns:
        grouped = (
            InteractionLogEntry.objects.filter(**{f"{column}__in": sorted(used)})
            .order_by()
            .values_list(column)
            .annotate(n=Count("pk"), first=Min("pk"))
        )
        for doc, n, first in grouped:
            uses[doc] = uses.get(doc, 0) + n
            owner[doc] = first
    return {doc: owner[doc] for doc, n in uses.items() if n == 1}


def log_entries_owning_letters(entries: QuerySet[InteractionLogEntry] | Iterable[Any]) -> int:
    """How many of the entries (not canceled yet) have a letter no other entry uses: the cancel page asks whether
    to remove those letters too (reference 2.12, scenario 66)."""
    owned = _owned_letters(_entries_queryset(entries).filter(canceled=False))
    return len(set(owned.values()))


def log_entries_set_canceled(
    entries: QuerySet[InteractionLogEntry] | Iterable[Any],
    *,
    canceled: bool,
    user: User | None,
    remove_own_letters: bool = False,
) -> int:
    """Cancel (or un-cancel) the given entries; returns how many changed. Records who and when.

    1. Un-canceling: lock the logged segments of the entries (so one cannot be canceled under us), and refuse
       (nothing changes) when any entry's logged segment is canceled: Business Central's rule, with the reason.
    2. One UPDATE of the entries whose flag differs (canceled, canceled_at, canceled_by = the last switch).
    3. Canceling with `remove_own_letters` (the page asks, reference 2.12, scenario 66): the letters that one
       entry alone uses (its stored document or letter snapshot) are taken off it and deleted when nothing else
       references them; letters shared with other entries stay.
    """
    with transaction.atomic():
        queryset = _entries_queryset(entries)
        if not canceled:
            under_canceled = queryset.filter(canceled=True, logged_segment__canceled=True)
            segment_ids = list(
                LoggedSegment.objects.select_for_update()
                .filter(pk__in=queryset.exclude(logged_segment=None).values("logged_segment_id"))
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            if segment_ids:
                blocked = list(
                    under_canceled.order_by("pk").values_list("pk", "logged_segment_id")[: NAMED_IN_MESSAGES + 1]
                )
                if blocked:
                    total = under_canceled.count()
                    segments = sorted({segment for _, segment in blocked})
                    raise ValidationError(
                        f"Interaction log {'entry' if total == 1 else 'entries'} "
                        f"{_name_entries([pk for pk, _ in blocked], total)} cannot be un-canceled while "
                        f"{'its logged segment' if len(segments) == 1 else 'their logged segments'} "
                        f"{', '.join(str(s) for s in segments)} "
                        f"{'is' if len(segments) == 1 else 'are'} canceled. "
                        "Un-cancel the logged segment instead.",
                        code="logged_segment_canceled",
                    )
        owned = _owned_letters(queryset.filter(canceled=False)) if canceled and remove_own_letters else {}
        # The audit row names the first entries it switches (one short read, by the primary key).
        named = list(queryset.exclude(canceled=canceled).order_by("pk").values_list("pk", flat=True)[:NAMED_LIMIT])
        # The statistics' daily totals change with the flag, in the same statement (see switch_canceled).
        changed = InteractionDailyTotal.objects.switch_canceled(
            queryset, canceled=canceled, canceled_at=timezone.now(), canceled_by=user
        )
        if owned:  # 3.
            owners = InteractionLogEntry.objects.filter(pk__in=set(owned.values()))
            owners.filter(document_id__in=list(owned)).update(document=None)
            owners.filter(merge_template_id__in=list(owned)).update(merge_template=None)
            stored_documents_delete_unused(set(owned))
        if changed:
            action = AuditEvent.Action.ENTRIES_CANCELED if canceled else AuditEvent.Action.ENTRIES_UNCANCELED
            removed = len(set(owned.values()))
            summary = f"{'Canceled' if canceled else 'Un-canceled'} {count_of(changed, 'entry', 'entries')}: "
            summary += named_list(named, changed)
            if removed:
                summary += f"; the own letters of {count_of(removed, 'entry', 'entries')} removed"
            audit_record(action, user=user, count=changed, letters_removed=removed, summary=summary)
        return changed


def log_entries_evaluate(
    entries: QuerySet[InteractionLogEntry] | Iterable[Any], *, evaluation: str, user: User | None
) -> int:
    """Set the evaluation (very positive … very negative, or blank to clear) on the entries; returns how many
    changed."""
    if evaluation not in Evaluation.values:
        choices = ", ".join(label for value, label in Evaluation.choices if value)
        raise ValidationError(f"Choose an evaluation: {choices}.", code="bad_evaluation")
    with transaction.atomic():
        changing = _entries_queryset(entries).exclude(evaluation=evaluation)
        named = list(changing.order_by("pk").values_list("pk", flat=True)[:NAMED_LIMIT])
        changed = changing.update(evaluation=evaluation)
        if changed:
            label = dict(Evaluation.choices).get(evaluation) or "no evaluation"
            audit_record(
                AuditEvent.Action.ENTRIES_EVALUATED,
                user=user,
                count=changed,
                evaluation=evaluation,
                summary=f"Evaluated {count_of(changed, 'entry', 'entries')} as {label}: {named_list(named, changed)}",
            )
        return changed


# E-mail that failed (Error) or was never sent ("In progress": its sender may be gone, see interactions.sending).
RESENDABLE_STATUSES = (DeliveryStatus.ERROR, DeliveryStatus.IN_PROGRESS)


def log_entries_queue_resend(
    entries: QuerySet[InteractionLogEntry] | Iterable[Any], *, user: User | None, obj: Any = None
) -> list[int]:
    """The one rule of resending: decide which of the entries are sent again, mark them, record it; their ids.

    Resent: e-mail entries that are not canceled and whose e-mail failed or was never sent (RESENDABLE_STATUSES).
    They go back to "in progress" with the error cleared, and one audit row says who resent how many (on `obj`,
    the logged segment, when one asked). Runs in the caller's transaction if there is one; the caller then
    has them sent after commit: `log_entries_resend` by the delivery task, a logged segment's retry by its job.
    Nothing to resend: an empty list, nothing changed and nothing recorded.
    """
    with transaction.atomic():
        queryset = _entries_queryset(entries).filter(
            canceled=False, correspondence_type=CorrespondenceType.EMAIL, delivery_status__in=RESENDABLE_STATUSES
        )
        ids = list(queryset.order_by("pk").values_list("pk", flat=True))
        if not ids:
            return []
        InteractionLogEntry.objects.filter(pk__in=ids).update(
            delivery_status=DeliveryStatus.IN_PROGRESS, delivery_error=""
        )
        audit_record(
            AuditEvent.Action.ENTRIES_RESENT,
            user=user,
            obj=obj,
            count=len(ids),
            summary=f"Queued {count_of(len(ids), 'e-mail', 'e-mails')} to be sent again: entries {named_list(ids)}",
        )
        return ids


def log_entries_resend(entries: QuerySet[InteractionLogEntry] | Iterable[Any], *, user: User | None) -> list[int]:
    """Resend the e-mail of the entries the resend rule allows (`log_entries_queue_resend`); their ids.

    The entries page and the admin's action call this. It only decides and records: the delivery task sends
    them once this transaction commits, so a slow mail server never holds the web request. Refused, with
    nothing changed, when none of the entries can be resent.
    """
    with transaction.atomic():
        ids = log_entries_queue_resend(entries, user=user)
        if not ids:
            raise ValidationError(
                "There is nothing to resend: only e-mail entries that are not canceled and whose e-mail failed "
                "(delivery status Error) or was never sent (In progress) can be resent.",
                code="nothing_to_resend",
            )
        entries_deliver_after_commit(ids)
    return ids


# --- deleting canceled entries ----------------------------------------------------------------------------------


def _resolve(
    model: type[InteractionTemplate | InteractionGroup | Contact | Salesperson], value: Any, *, key: str, label: str
) -> InteractionTemplate | InteractionGroup | Contact | Salesperson | None:
    if value in (None, ""):
        return None
    if isinstance(value, model):
        return value
    text = str(value).strip()
    found = model.objects.filter(**{key: text}).first() or model.objects.filter(**{key: text.upper()}).first()
    if found is None:
        raise ValidationError(f"There is no {label} “{text}”.", code="unknown_code")
    return found


def _as_date(value: Any, *, label: str) -> datetime.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    try:
        parsed = parse_date(str(value))
    except ValueError:
        parsed = None
    if parsed is None:
        raise ValidationError(f"{label}: “{value}” is not a date. Use YYYY-MM-DD.", code="bad_date")
    return parsed


class CanceledEntryFilters(TypedDict, total=False):
    """Which canceled entries to delete (docs/BEHAVIOUR.md §9); every one given must match, none given: all.

    `before` / `after` are exclusive (entries dated before / after that day). template, group and salesperson
    are instances or codes, contact an instance or a contact number; `entries` narrows further (e.g. the
    filtered queryset of the log entries page).
    """

    before: datetime.date | str | None
    after: datetime.date | str | None
    template: InteractionTemplate | str | None
    group: InteractionGroup | str | None
    contact: Contact | str | None
    salesperson: Salesperson | str | None
    entries: QuerySet[InteractionLogEntry] | Iterable[Any] | None


def canceled_entries_to_delete(**given: Unpack[CanceledEntryFilters]) -> QuerySet:
    """The canceled entries `log_entries_delete_canceled` would delete with these filters. Unknown codes or bad
    dates raise ValidationError."""
    unknown = set(given) - set(CanceledEntryFilters.__annotations__)
    if unknown:  # a misspelt filter must not widen the delete to every canceled entry
        raise TypeError(f"Unknown filters for canceled entries: {', '.join(sorted(unknown))}")
    filters: dict[str, Any] = {"canceled": True}
    before_date = _as_date(given.get("before"), label="Before")
    after_date = _as_date(given.get("after"), label="After")
    if before_date:
        filters["date__lt"] = before_date
    if after_date:
        filters["date__gt"] = after_date
    for name, model, key, label in (
        ("template", InteractionTemplate, "code", "interaction template with the code"),
        ("group", InteractionGroup, "code", "interaction group with the code"),
        ("contact", Contact, "no", "contact with the number"),
        ("salesperson", Salesperson, "code", "salesperson with the code"),
    ):
        found = _resolve(model, given.get(name), key=key, label=label)
        if found is not None:
            filters[f"{name}_id"] = found.pk
    queryset = InteractionLogEntry.objects.filter(**filters)
    entries = given.get("entries")
    if entries is not None:
        queryset = queryset.filter(pk__in=_entries_queryset(entries).values("pk"))
    return queryset


def _references_to(model: type[models.Model]) -> list[tuple[type[models.Model], str, Any]]:
    """Every (model, column attname, on_delete) that points at `model`, including hidden (related_name="+")
    relations and many-to-many through tables; found through _meta so a new FK elsewhere is covered too."""
    found = []
    for rel in model._meta.get_fields(include_hidden=True):
        if not isinstance(rel, ForeignObjectRel):
            continue
        if isinstance(rel, ManyToManyRel):
            through = rel.through
            for field in through._meta.concrete_fields:
                if field.is_relation and field.related_model is model:
                    found.append((through, field.attname, models.CASCADE))
        else:
            found.append((rel.related_model, rel.field.attname, rel.on_delete))
    return found


def _detach_references_to_entries(doomed: QuerySet) -> None:
    """Whatever points at the doomed entries is handled set-based before the raw DELETE (which skips Django's
    collector): SET_NULL → one UPDATE, CASCADE → one DELETE, PROTECT/RESTRICT → refused."""
    for related_model, attname, on_delete in _references_to(InteractionLogEntry):
        if related_model is InteractionLogEntry:
            continue
        rows = related_model._base_manager.filter(**{f"{attname}__in": doomed.values("pk")})
        if on_delete is models.SET_NULL:
            rows.update(**{attname: None})
        elif on_delete is models.CASCADE:
            rows._raw_delete(rows.db)
        elif on_delete in (models.PROTECT, models.RESTRICT) and rows.exists():
            raise ValidationError(
                f"Some of these entries are still used by {related_model._meta.verbose_name_plural}; "
                "nothing was deleted.",
                code="protected",
            )


def _delete_entries(doomed: QuerySet) -> int:
    """DELETE the doomed entries (inside the caller's transaction), rebuilding the indexes for a large share."""
    db = router.db_for_write(InteractionLogEntry)
    threshold = REBUILD_INDEXES_FROM_SHARE.get(connections[db].vendor)
    if threshold is None:
        return doomed._raw_delete(db)
    doomed_count = doomed.count()
    # Every row, postponed ones included: a COUNT(*) without a WHERE reads the smallest index (0.5 s less than
    # "not postponed" at 1,000,000 rows on SQLite, docs/PERFORMANCE.md), and the share is only a rule of thumb.
    total = InteractionLogEntry.all_objects.using(db).count()
    if doomed_count < max(REBUILD_INDEXES_MIN_ROWS, 1) or doomed_count < threshold * total:
        return doomed._raw_delete(db)
    return _delete_rebuilding_indexes(doomed, db=db)


def _indexes_to_rebuild(db: str) -> list[models.Index]:
    """The log entries' indexes (Meta.indexes) worth dropping for a large delete: every full index, and the partial
    indexes holding at least KEEP_PARTIAL_INDEX_BELOW_ROWS rows (each counted up to that many, from the index)."""
    model = InteractionLogEntry
    return [
        index
        for index in model._meta.indexes
        if index.condition is None
        or model.all_objects.using(db).filter(index.condition).order_by()[:KEEP_PARTIAL_INDEX_BELOW_ROWS].count()
        >= KEEP_PARTIAL_INDEX_BELOW_ROWS
    ]


def _delete_rebuilding_indexes(doomed: QuerySet, *, db: str) -> int:
    """Drop the log entries' large indexes (_indexes_to_rebuild), DELETE, create them again: building an index over
    the rows that stay is one sort, where the plain DELETE takes each doomed row out of every index one by one."""
    connection = connections[db]
    model = InteractionLogEntry
    indexes = _indexes_to_rebuild(db)
    # Not entered: only used to render the CREATE INDEX statements (entering it is not allowed inside a
    # transaction on SQLite, and no schema change other than these statements is made).
    editor = connection.schema_editor()
    statements = [str(index.create_sql(model, editor)) for index in indexes]
    with connection.cursor() as cursor:
        for index in indexes:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(index.name)}")
        deleted = doomed._raw_delete(db)
        for statement in statements:
            cursor.execute(statement)
    return deleted


def _delete_orphaned_documents(candidate_ids: set[int]) -> list[str]:
    """Delete those candidate StoredDocuments that nothing references any more; returns their file names."""
    references = _references_to(StoredDocument)
    file_names: list[str] = []
    ids = sorted(candidate_ids)
    for start in range(0, len(ids), DOCUMENT_CHUNK):
        chunk = ids[start : start + DOCUMENT_CHUNK]
        # Lock first, then look for references (a later statement, so it sees what a writer that pinned one of
        # these documents committed while we waited): see interactions.document_pins.
        list(StoredDocument.objects.select_for_update().filter(pk__in=chunk).order_by("pk").values_list("pk"))
        orphans = StoredDocument.objects.filter(pk__in=chunk)
        for related_model, attname, _ in references:
            orphans = orphans.exclude(
                pk__in=related_model._base_manager.filter(**{f"{attname}__in": chunk}).values(attname)
            )
        rows = list(orphans.values_list("pk", "file"))
        if rows:
            file_names += [name for _, name in rows if name]
            doomed = StoredDocument.objects.filter(pk__in=[pk for pk, _ in rows])
            doomed._raw_delete(doomed.db)
    return file_names


def stored_documents_delete_unused(candidate_ids: set[int]) -> None:
    """Inside the caller's transaction: delete those of these StoredDocuments that nothing references any more
    (any model's foreign key, found through the model metadata). Their files go after commit, so a rolled-back
    transaction never loses one."""
    names = _delete_orphaned_documents(candidate_ids)
    if names:
        transaction.on_commit(lambda: _delete_files(names))


def _delete_files(names: list[str]) -> None:
    storage = StoredDocument._meta.get_field("file").storage
    for name in names:
        try:
            storage.delete(name)
        except OSError:
            pass  # already gone; the row is what matters


def log_entries_delete_canceled(
    *,
    user: User | None = None,
    dry_run: bool = False,
    expected: int | None = None,
    **filters: Unpack[CanceledEntryFilters],
) -> int:
    """Delete the canceled entries matching every given filter (CanceledEntryFilters); returns how many were deleted.

    Only canceled entries ever go: `canceled=True` is part of every statement. With `dry_run`, only counts.
    `expected`: the number the user was shown and confirmed; when the DELETE removes any other number (entries
    were canceled or deleted since), the transaction is rolled back and a ValidationError says so (issue 14,
    docs/SECURITY.md) — the check is on the DELETE itself, so nothing can slip in between a count and it.

    1. Resolve the arguments (unknown codes, bad dates → ValidationError, nothing deleted).
    2. Note the stored documents the doomed entries use (their ids only).
    3. Detach or delete whatever points at the entries, then one raw DELETE (no rows loaded, no per-row signals).
       When the doomed entries are a large share of the table (REBUILD_INDEXES_FROM_SHARE), the table's indexes
       (but partial ones holding few rows) are dropped before the DELETE and built again after it, in the same
       transaction: same rows deleted, same locks (SQLite's write lock is the whole database either way), and much
       less work for a large share. SQLite's checkpoint of such a commit then runs on a thread (crm.sqlite_wal).
    4. Delete the noted documents nothing references any more; their files go after commit, so a rollback never
       leaves rows pointing at missing files.
    """
    doomed = canceled_entries_to_delete(**filters)
    if dry_run:
        return doomed.count()
    with checkpoint_after_commit(router.db_for_write(InteractionLogEntry)) as checkpoint, transaction.atomic():
        candidates: set[int] = set()
        for column in ("document_id", "merge_template_id"):
            # `IS NOT NULL` (exclude() would write `NOT (… IS NULL)`): SQLite then reads the column's partial index,
            # the entries that have a document, instead of every doomed row (docs/PERFORMANCE.md).
            having = doomed.filter(**{f"{column}__isnull": False})
            candidates.update(having.order_by().values_list(column, flat=True).distinct())
        named = list(doomed.order_by("pk").values_list("pk", flat=True)[:NAMED_LIMIT])
        _detach_references_to_entries(doomed)
        deleted = _delete_entries(doomed)
        # As many rows as make the indexes worth rebuilding: a WAL worth checkpointing on a thread (crm.sqlite_wal).
        checkpoint.wanted = (deleted or 0) >= REBUILD_INDEXES_MIN_ROWS
        if expected is not None and (deleted or 0) != expected:
            raise ValidationError(
                f"The canceled entries matching these filters changed since you looked: {deleted or 0:,} now "
                f"match, not the {expected:,} you confirmed. Nothing was deleted; check the count and confirm again.",
                code="count_changed",
            )
        if deleted:
            audit_record(
                AuditEvent.Action.ENTRIES_DELETED,
                user=user,
                count=deleted,
                summary=(
                    f"Deleted {count_of(deleted, 'canceled entry', 'canceled entries')}: {named_list(named, deleted)}"
                ),
            )
        if candidates:
            stored_documents_delete_unused(candidates)
        return deleted or 0
