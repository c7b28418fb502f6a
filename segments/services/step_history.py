"""The undo history of a worksheet: its steps, the lines each step inserted or deleted, and undoing the last one.

Every change to a worksheet's lines is one `SegmentCriteriaAction` (a step) plus its undo record: the ids of
the lines it inserted, as a range on the step (`inserted_ids_from` … `inserted_ids_to`), and a `SegmentHistory`
Deletion row per line it deleted (with the line's per-line overrides), so `step_undo` restores the worksheet
exactly. The criteria steps (`criteria_steps.py`) and the lines added or removed by hand (`worksheet.py`) write
their history through these functions.

Set-based on purpose: inserting 100,000 lines is one `INSERT … SELECT` (and a look-up of the last new id),
deleting is `INSERT … SELECT` into the history and one `DELETE`, undoing is one `DELETE` (by the id range, or by
the history's line ids) and one `INSERT … SELECT` from the history. No contact id travels through Python.

Locking: every step starts with `segment_lock` (`select_for_update` of the segment row), so two users editing
the same worksheet cannot interleave steps, and step numbers and the id ranges stay sound: nobody else inserts
lines into this segment while we hold the lock, and a later step's new lines get higher ids (a line restored by
Go back keeps its old id, which lies in the range of the step that first inserted it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import BigIntegerField, Case, CharField, F, Field, Max, QuerySet, Value, When
from django.db.models.functions import Coalesce

from crm.models import Contact

from ..models import Segment, SegmentCriteriaAction, SegmentHistory, SegmentLine

if TYPE_CHECKING:
    from django.contrib.auth.models import User

Kind = SegmentHistory.Kind

# Per-line override columns (SegmentLineValues): copied line -> history on deletion and back on undo.
OVERRIDE_FIELDS = (
    "description",
    "template_id",
    "correspondence_type",
    "subject",
    "language_code",
    "salesperson_id",
    "date",
    "unit_cost",
    "unit_duration_minutes",
    "personal_note",
    "letter_id",
)
# The NOT NULL text columns of a fresh line ("as the header says"); the nullable ones are left to NULL.
BLANK_TEXT_FIELDS = ("description", "correspondence_type", "subject", "language_code", "personal_note")


# --- SQL helpers --------------------------------------------------------------------------------------------------


def _insert_select(model: type[Any], columns: dict[str, Any], queryset: QuerySet) -> int:
    """`INSERT INTO <model> (<columns>) SELECT <expressions> FROM <queryset>`; returns the rows inserted.

    `columns` maps the target column (attname) to an expression over the queryset's model. The ORM compiles
    the SELECT (so criteria, joins and quoting stay the ORM's business on SQLite and PostgreSQL alike); only
    the INSERT prefix is written here, because Django has no INSERT … SELECT.
    """
    aliases = {f"_ins_{i}": expr for i, expr in enumerate(columns.values())}
    select = queryset.annotate(**aliases).values_list(*aliases)
    sql, params = select.query.sql_with_params()
    opts = model._meta
    quote = connection.ops.quote_name
    target = ", ".join(quote(opts.get_field(name).column) for name in columns)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {quote(opts.db_table)} ({target}) {sql}", params)
        return max(cursor.rowcount, 0)


def _const(value: Any, field: Field) -> Value:
    return Value(value, output_field=field)


def _blank() -> Value:
    return _const("", CharField())


# --- steps ------------------------------------------------------------------------------------------------------


def segment_lock(segment: Segment) -> Segment:
    """Lock the segment row for this transaction and return it re-read; refused when it is gone."""
    try:
        return Segment.objects.select_for_update().get(pk=segment.pk)
    except Segment.DoesNotExist:
        raise ValidationError("This segment no longer exists (it was logged or deleted).")


def step_start(
    segment: Segment, *, action: str, criteria: dict, options: dict, user: User | None
) -> SegmentCriteriaAction:
    """Record the next step of a locked segment (its `affected` count follows with `step_finish`)."""
    last = segment.criteria_actions.aggregate(last=Max("step"))["last"] or 0
    return SegmentCriteriaAction.objects.create(
        segment=segment, step=last + 1, action=action, criteria=criteria, options=options, user=user
    )


def step_finish(step: SegmentCriteriaAction, affected: int) -> int:
    """Store how many lines the step added or removed (and the id range of those it inserted); returns that number."""
    step.affected = affected
    step.save(update_fields=["affected", "inserted_ids_from", "inserted_ids_to"])
    return affected


def step_inserted(step: SegmentCriteriaAction, first_id: int, last_id: int) -> None:
    """Note on the step (saved by `step_finish`) that it inserted this segment's lines with ids in this range."""
    step.inserted_ids_from, step.inserted_ids_to = first_id, last_id


def company_key() -> Coalesce:
    """The contact's company, or the contact itself for a company (or a person without one)."""
    return Coalesce(F("company_id"), F("id"))


def _of_company(column: str) -> Case:
    """The contact's company's `column`: its own for a company, its company's for a person, blank without one."""
    return Case(
        When(type=Contact.Type.COMPANY, then=F(column)),
        default=Coalesce(F(f"company__{column}"), _blank()),
        output_field=CharField(),
    )


def lines_insert(segment: Segment, step: SegmentCriteriaAction, contacts: QuerySet) -> int:
    """Insert one line per contact and note their id range on the step. One `INSERT … SELECT` whatever the number
    of contacts, between two look-ups of the largest line id. Returns the lines inserted.

    The lines come in Business Central's order (reference 2.4, scenario 32): company name, company number, type,
    name; so each company is followed by its persons, and persons without a company come first. The ORDER BY is
    part of the INSERT … SELECT; line ids follow it, and the worksheet shows lines (and their numbers) by id.
    """
    # New lines get ids above the current maximum; with the segment locked no one else adds lines to it, so
    # "this segment's lines above that id" are exactly the ones inserted here.
    before = SegmentLine.objects.aggregate(last=Max("id"))["last"] or 0
    ordered = contacts.order_by(_of_company("name"), _of_company("no"), "type", "name", "pk")
    columns: dict[str, Any] = {"segment_id": _const(segment.pk, BigIntegerField()), "contact_id": F("pk")}
    columns.update({name: _blank() for name in BLANK_TEXT_FIELDS})
    inserted = _insert_select(SegmentLine, columns, ordered)
    if inserted:
        # The undo record is the id range (half the rows an add writes, against a history row per line); the
        # last id through the (segment, id) index, one index probe on both databases.
        last = SegmentLine.objects.filter(segment_id=segment.pk).aggregate(last=Max("id"))["last"]
        step_inserted(step, before + 1, last)
    if inserted >= STATISTICS_REFRESH_LINES and connection.vendor == "postgresql":
        _refresh_line_statistics()
    return inserted


# A step adding at least this many lines refreshes PostgreSQL's statistics of the lines table at once (see below).
STATISTICS_REFRESH_LINES = 1_000


def _refresh_line_statistics() -> None:
    """`ANALYZE` the segment lines table (PostgreSQL; it samples a bounded number of rows whatever the table's
    size). Until autovacuum gets to it, the planner counts a segment just filled with thousands of lines as about
    one line, and the worksheet's queries that test its lines against the resolved correspondence type (the lines
    that cannot be e-mailed, the correspondence type and language filters) were then joined line by line: a
    15,000-line worksheet's page ran for minutes (docs/PERFORMANCE.md, "Worksheet page after an add")."""
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {connection.ops.quote_name(SegmentLine._meta.db_table)}")


def lines_delete(step: SegmentCriteriaAction, lines: QuerySet) -> int:
    """Record a Deletion row per line (with its overrides, for undo), then delete those lines."""
    history: dict[str, Any] = {
        "action_id": _const(step.pk, BigIntegerField()),
        "kind": _const(Kind.DELETION, CharField()),
        "line_id": F("id"),
        "contact_id": F("contact_id"),
    }
    history.update({name: F(name) for name in OVERRIDE_FIELDS})
    removed = _insert_select(SegmentHistory, history, lines.order_by())
    if removed:
        _delete_recorded_lines(step)
    return removed


def _delete_recorded_lines(step: SegmentCriteriaAction) -> int:
    """Delete the lines whose ids the step's Deletion history rows hold.

    Raw SQL on purpose. Right after a big step the planner's statistics still say the history is empty, and
    PostgreSQL then planned `id IN (SELECT line_id …)` as a nested loop of 100,000 × 100,000 (minutes).
    `= ANY(ARRAY(SELECT …))` is computed once and then looked up through the primary key, whatever the
    statistics. SQLite already runs the IN form that way.
    """
    quote = connection.ops.quote_name
    lines, history = quote(SegmentLine._meta.db_table), quote(SegmentHistory._meta.db_table)
    recorded = f"SELECT line_id FROM {history} WHERE action_id = %s AND kind = %s"
    match = f"= ANY(ARRAY({recorded}))" if connection.vendor == "postgresql" else f"IN ({recorded})"
    # No "segment_id = …" here: it tempts the planner into the (segment, contact) index with the array as a
    # filter (100,000 × 100,000 again). Line ids are unique, and these were the step's own lines.
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {lines} WHERE id {match}", [step.pk, Kind.DELETION])
        return max(cursor.rowcount, 0)


def step_undo(segment: Segment, step: SegmentCriteriaAction) -> None:
    """Undo a step of a locked segment exactly: delete the lines it inserted (its id range), restore the lines it
    deleted, then forget the step.

    Restored lines keep their id (so older steps' history still points at them) and their per-line
    overrides, personal note and letter (better than Business Central, which re-creates them from the header:
    docs/BEHAVIOUR.md §14).
    """
    if step.inserted_ids_from is not None:
        # Raw SQL for the same reason as `_delete_recorded_lines`: a range of the (segment, id) index, whatever the
        # planner's statistics say, and no per-row work in Django's deletion collector.
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {connection.ops.quote_name(SegmentLine._meta.db_table)} "
                "WHERE segment_id = %s AND id BETWEEN %s AND %s",
                [segment.pk, step.inserted_ids_from, step.inserted_ids_to],
            )
    restored: dict[str, Any] = {
        "id": F("line_id"),
        "segment_id": _const(segment.pk, BigIntegerField()),
        "contact_id": F("contact_id"),
    }
    restored.update({name: F(name) for name in OVERRIDE_FIELDS})
    _insert_select(
        SegmentLine, restored, SegmentHistory.objects.filter(action=step, kind=Kind.DELETION).order_by("line_id")
    )
    SegmentHistory.objects.filter(action=step).delete()
    step.delete()


# --- deleting ---------------------------------------------------------------------------------------------------


def delete_steps(segment: Segment) -> int:
    """Delete the segment's steps with their undo history; the number of steps.

    By the (few) step ids, not a join: PostgreSQL then deletes the history (100,000 rows after a big add) through
    the (action, kind) index whatever its statistics say; a join here once planned as a nested loop over them.
    """
    steps = list(SegmentCriteriaAction.objects.filter(segment_id=segment.pk).values_list("id", flat=True))
    SegmentHistory.objects.filter(action_id__in=steps).delete()
    SegmentCriteriaAction.objects.filter(pk__in=steps).delete()
    return len(steps)


def delete_worksheet(segment: Segment) -> None:
    """Delete a worksheet's rows, each kind in one DELETE (no per-row signals): steps and history, lines, header.
    The caller holds the segment's lock (`segment_lock`)."""
    delete_steps(segment)
    SegmentLine.objects.filter(segment_id=segment.pk).delete()
    Segment.objects.filter(pk=segment.pk).delete()
