"""Criteria steps on a segment worksheet: add, reduce, refine, go back, save and reuse (docs/BEHAVIOUR.md §6).

Every step is one `SegmentCriteriaAction` plus its `SegmentHistory` rows (which lines it inserted, which it
deleted, the deleted ones with their per-line overrides), so `segment_go_back` undoes the last step exactly.

Set-based on purpose: adding 100,000 contacts is two `INSERT … SELECT` statements (the lines, then their
history rows from the freshly inserted lines, found by id range), removing is `INSERT … SELECT` into the
history and one `DELETE`, going back is one `DELETE` and one `INSERT … SELECT` from the history. No contact id
travels through Python.

Locking: every step starts by locking the segment row (`select_for_update`), so two users editing the same
worksheet cannot interleave steps, and step numbers and the id-range trick stay sound (nobody else inserts
lines into this segment while we hold the lock).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import BigIntegerField, CharField, Exists, F, Max, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Coalesce

from crm.filters import clean_criteria, filter_contacts
from crm.models import Contact, JobResponsibility, MailingGroup
from interactions.models import InteractionLogEntry, LoggedSegment

from ..models import (
    SavedSegmentCriteria,
    SavedSegmentCriteriaStep,
    Segment,
    SegmentCriteriaAction,
    SegmentHistory,
    SegmentLine,
)

__all__ = [
    "segment_add_contacts",
    "segment_reduce_contacts",
    "segment_refine_contacts",
    "segment_go_back",
    "segment_save_criteria",
    "segment_reuse_criteria",
    "segment_reuse_logged",
    "segment_preview_step",
]

Action = SegmentCriteriaAction.Action
Kind = SegmentHistory.Kind

ADD_OPTIONS = ("allow_existing", "expand_companies", "allow_related_companies", "ignore_exclusion")
REMOVE_OPTIONS = ("entire_companies",)

# Per-line override columns (SegmentLineValues): copied line -> history on deletion and back on go back.
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


def _insert_select(model, columns: dict[str, Any], queryset: QuerySet) -> int:
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


def _const(value, field) -> Value:
    return Value(value, output_field=field)


def _blank() -> Value:
    return _const("", CharField())


# --- steps ------------------------------------------------------------------------------------------------------


def _lock(segment: Segment) -> Segment:
    try:
        return Segment.objects.select_for_update().get(pk=segment.pk)
    except Segment.DoesNotExist:
        raise ValidationError("This segment no longer exists (it was logged or deleted).")


def delete_steps(segment: Segment) -> int:
    """Delete the segment's criteria steps with their undo history; the number of steps.

    By the (few) step ids, not a join: PostgreSQL then deletes the history (100,000 rows after a big add) through
    the (action, kind) index whatever its statistics say; a join here once planned as a nested loop over them.
    """
    steps = list(SegmentCriteriaAction.objects.filter(segment_id=segment.pk).values_list("id", flat=True))
    SegmentHistory.objects.filter(action_id__in=steps).delete()
    SegmentCriteriaAction.objects.filter(pk__in=steps).delete()
    return len(steps)


def delete_worksheet(segment: Segment) -> None:
    """Delete a worksheet's rows, each kind in one DELETE (no per-row signals): steps and history, lines, header.
    The caller holds the segment's lock (`_lock`)."""
    delete_steps(segment)
    SegmentLine.objects.filter(segment_id=segment.pk).delete()
    Segment.objects.filter(pk=segment.pk).delete()


def _new_step(segment: Segment, *, action: str, criteria: dict, options: dict, user) -> SegmentCriteriaAction:
    last = segment.criteria_actions.aggregate(last=Max("step"))["last"] or 0
    return SegmentCriteriaAction.objects.create(
        segment=segment, step=last + 1, action=action, criteria=criteria, options=options, user=user
    )


def _finish_step(step: SegmentCriteriaAction, affected: int) -> int:
    step.affected = affected
    step.save(update_fields=["affected"])
    return affected


def _matching(criteria: dict) -> QuerySet:
    """The contacts matching a (cleaned) criteria, shaped so that the database can start from the smallest set.

    ContactFilter tests mailing groups and job responsibilities with a correlated EXISTS per contact. Here the
    group is resolved to its id first and tested as `id IN (that group's members)` instead: the same contacts,
    but SQLite starts from the members (100,000 look-ups rather than 1,000,000) and PostgreSQL, knowing the
    group's size from its statistics, hash-joins (figures in docs/PERFORMANCE.md).
    """
    membership = {
        "mailing_group": (MailingGroup, Contact.mailing_groups.through, "mailinggroup_id"),
        "job_responsibility": (JobResponsibility, Contact.job_responsibilities.through, "jobresponsibility_id"),
    }
    matched = filter_contacts({key: value for key, value in criteria.items() if key not in membership})
    for key, (model, through, column) in membership.items():
        code = str(criteria.get(key) or "").strip()
        if not code:
            continue
        group_id = model.objects.filter(code=code).values_list("pk", flat=True).first()
        members = through.objects.filter(**{column: group_id}).values("contact_id")
        matched = matched.filter(pk__in=members) if group_id is not None else matched.none()
    if criteria.get("logged_segment"):
        entries = InteractionLogEntry.objects.filter(logged_segment_id=int(criteria["logged_segment"]))
        matched = matched.filter(pk__in=entries.values("contact_id"))
    return matched


def _company_key():
    """The contact's company, or the contact itself for a company (or a person without one)."""
    return Coalesce(F("company_id"), F("id"))


def _add_targets(
    segment: Segment,
    matched: QuerySet,
    *,
    allow_existing: bool,
    expand_companies: bool,
    allow_related_companies: bool,
    ignore_exclusion: bool,
) -> QuerySet:
    """The contacts an Add step inserts: matches, expanded, minus blocked / excluded / already present."""
    targets = Contact.objects.all()
    if expand_companies or allow_related_companies:
        wanted = Q(pk__in=matched.values("pk"))
        if expand_companies:
            # All persons of each selected company (the company itself is already a match).
            wanted |= Q(company_id__in=matched.filter(type=Contact.Type.COMPANY).values("pk"))
        if allow_related_companies:
            wanted |= Q(pk__in=matched.filter(type=Contact.Type.PERSON, company__isnull=False).values("company_id"))
        targets = targets.filter(wanted)
    else:
        targets = matched
    # Privacy-blocked contacts never go on a segment; excluded ones only when asked.
    targets = targets.filter(privacy_blocked=False)
    if not ignore_exclusion:
        targets = targets.filter(exclude_from_segment=False)
    # (On an empty worksheet there is nothing to skip: leave the NOT EXISTS out, it costs one probe per contact.)
    if not allow_existing and SegmentLine.objects.filter(segment_id=segment.pk).exists():
        targets = targets.exclude(Exists(SegmentLine.objects.filter(segment_id=segment.pk, contact_id=OuterRef("pk"))))
    return targets


def _insert_lines(segment: Segment, step: SegmentCriteriaAction, contacts: QuerySet) -> int:
    """Insert one line per contact, each company followed by its persons, and an Insertion history row per new
    line. Two statements whatever the number of contacts.

    Deliberate difference from Business Central (docs/BEHAVIOUR.md §14), which sorts by company *name*: lines are
    grouped by company id, so the sort needs no join to the company row, a large share of a 100,000-contact add
    (docs/PERFORMANCE.md).
    """
    # New lines get ids above the current maximum; with the segment locked no one else adds lines to it, so
    # "this segment's lines above that id" are exactly the ones inserted here.
    before = SegmentLine.objects.aggregate(last=Max("id"))["last"] or 0
    ordered = contacts.order_by(_company_key(), "type", "name", "pk")
    columns: dict[str, Any] = {"segment_id": _const(segment.pk, BigIntegerField()), "contact_id": F("pk")}
    columns.update({name: _blank() for name in BLANK_TEXT_FIELDS})
    inserted = _insert_select(SegmentLine, columns, ordered)
    if inserted:
        new_lines = SegmentLine.objects.filter(segment_id=segment.pk, id__gt=before)
        history: dict[str, Any] = {
            "action_id": _const(step.pk, BigIntegerField()),
            "kind": _const(Kind.INSERTION, CharField()),
            "line_id": F("id"),
            "contact_id": F("contact_id"),
        }
        history.update({name: _blank() for name in BLANK_TEXT_FIELDS})
        _insert_select(SegmentHistory, history, new_lines.order_by())
    return inserted


def _delete_lines(step: SegmentCriteriaAction, lines: QuerySet) -> int:
    """Record a Deletion row per line (with its overrides, for go back), then delete those lines."""
    history: dict[str, Any] = {
        "action_id": _const(step.pk, BigIntegerField()),
        "kind": _const(Kind.DELETION, CharField()),
        "line_id": F("id"),
        "contact_id": F("contact_id"),
    }
    history.update({name: F(name) for name in OVERRIDE_FIELDS})
    removed = _insert_select(SegmentHistory, history, lines.order_by())
    if removed:
        _delete_recorded_lines(step, Kind.DELETION)
    return removed


def _delete_recorded_lines(step: SegmentCriteriaAction, kind: str) -> int:
    """Delete the lines whose ids the step's history rows of `kind` hold.

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
        cursor.execute(f"DELETE FROM {lines} WHERE id {match}", [step.pk, kind])
        return max(cursor.rowcount, 0)


def _lines_matching(segment: Segment, criteria: dict, *, entire_companies: bool) -> QuerySet:
    matched = _matching(criteria)
    lines = SegmentLine.objects.filter(segment_id=segment.pk)
    if entire_companies:
        # A match anywhere in a company takes the whole company: every line whose contact shares its company.
        companies = matched.annotate(key=_company_key()).values("key")
        return lines.annotate(key=Coalesce(F("contact__company_id"), F("contact_id"))).filter(key__in=companies)
    return lines.filter(contact_id__in=matched.values("pk"))


def _options(names: tuple[str, ...], given: dict[str, Any]) -> dict[str, bool]:
    unknown = sorted(set(given) - set(names))
    if unknown:
        raise ValidationError(f"Unknown option: {', '.join(unknown)}. Use: {', '.join(names)}.")
    return {name: bool(given.get(name, False)) for name in names}


def _add(segment: Segment, *, criteria: dict, options: dict, user, action: str = Action.ADD) -> int:
    criteria = clean_criteria(criteria)
    options = _options(ADD_OPTIONS, options)
    targets = _add_targets(segment, _matching(criteria), **options)
    step = _new_step(segment, action=action, criteria=criteria, options=options, user=user)
    return _finish_step(step, _insert_lines(segment, step, targets))


def _remove(segment: Segment, *, action: str, criteria: dict, options: dict, user) -> int:
    criteria = clean_criteria(criteria)
    options = _options(REMOVE_OPTIONS, options)
    matching = _lines_matching(segment, criteria, entire_companies=options["entire_companies"])
    if action == Action.REFINE:
        doomed = SegmentLine.objects.filter(segment_id=segment.pk).exclude(pk__in=matching.values("pk"))
    else:
        doomed = matching
    step = _new_step(segment, action=action, criteria=criteria, options=options, user=user)
    return _finish_step(step, _delete_lines(step, doomed))


def _reuse_logged(segment: Segment, *, logged_segment_id: int, user) -> int:
    if not LoggedSegment.objects.filter(pk=logged_segment_id).exists():
        raise ValidationError(f"Logged segment {logged_segment_id} does not exist (it may have been deleted).")
    entries = InteractionLogEntry.objects.filter(logged_segment_id=logged_segment_id, contact_id=OuterRef("pk"))
    contacts = Contact.objects.filter(Exists(entries))
    # Better than Business Central (docs/BEHAVIOUR.md §14): excluded, privacy-blocked and duplicate contacts are
    # skipped, exactly as an Add step without options would.
    targets = _add_targets(
        segment,
        contacts,
        allow_existing=False,
        expand_companies=False,
        allow_related_companies=False,
        ignore_exclusion=False,
    )
    step = _new_step(
        segment, action=Action.REUSE_LOGGED, criteria={"logged_segment": str(logged_segment_id)}, options={}, user=user
    )
    return _finish_step(step, _insert_lines(segment, step, targets))


@transaction.atomic
def segment_add_contacts(
    segment: Segment,
    *,
    criteria: dict,
    user,
    allow_existing: bool = False,
    expand_companies: bool = False,
    allow_related_companies: bool = False,
    ignore_exclusion: bool = False,
) -> int:
    """Add a line for each contact matching the criteria (one undoable step). Returns the lines added.

    1. lock the segment row; 2. validate the criteria (ValidationError, nothing changed);
    3. record the step; 4. INSERT … SELECT the lines; 5. INSERT … SELECT their Insertion history rows.
    Privacy-blocked contacts are always skipped; excluded ones unless `ignore_exclusion`; contacts already on
    the segment unless `allow_existing`.
    """
    segment = _lock(segment)
    options = {
        "allow_existing": allow_existing,
        "expand_companies": expand_companies,
        "allow_related_companies": allow_related_companies,
        "ignore_exclusion": ignore_exclusion,
    }
    return _add(segment, criteria=criteria, options=options, user=user)


@transaction.atomic
def segment_reduce_contacts(segment: Segment, *, criteria: dict, user, entire_companies: bool = False) -> int:
    """Remove the lines whose contact matches (one undoable step). Returns the lines removed."""
    segment = _lock(segment)
    return _remove(
        segment, action=Action.REDUCE, criteria=criteria, options={"entire_companies": entire_companies}, user=user
    )


@transaction.atomic
def segment_refine_contacts(segment: Segment, *, criteria: dict, user, entire_companies: bool = False) -> int:
    """Keep only the lines whose contact matches (one undoable step). Returns the lines removed."""
    segment = _lock(segment)
    return _remove(
        segment, action=Action.REFINE, criteria=criteria, options={"entire_companies": entire_companies}, user=user
    )


@transaction.atomic
def segment_go_back(segment: Segment, *, user) -> None:
    """Undo the last step exactly: delete the lines it inserted, restore the lines it deleted.

    Restored lines keep their id (so older steps' history still points at them) and their per-line
    overrides, personal note and letter (better than Business Central, which re-creates them from the header:
    docs/BEHAVIOUR.md §14).
    """
    segment = _lock(segment)
    step = segment.criteria_actions.order_by("-step").first()
    if step is None:
        raise ValidationError(f"Segment {segment.no} has no criteria actions to undo.")
    _delete_recorded_lines(step, Kind.INSERTION)
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


@transaction.atomic
def segment_save_criteria(segment: Segment, *, code: str, description: str, user) -> SavedSegmentCriteria:
    """Store the segment's steps under a code, to replay them on another segment later."""
    segment = _lock(segment)
    code = (code or "").strip().upper()
    if not code:
        raise ValidationError({"code": "Enter a code for the saved criteria."})
    if len(code) > SavedSegmentCriteria._meta.get_field("code").max_length:
        raise ValidationError({"code": "The code can have at most 20 characters."})
    steps = list(segment.criteria_actions.order_by("step"))
    if not steps:
        raise ValidationError(
            f"Segment {segment.no} has no criteria actions to save. Add, reduce or refine contacts first."
        )
    if SavedSegmentCriteria.objects.filter(code=code).exists():
        raise ValidationError({"code": f"Saved criteria {code} already exists. Choose another code."})
    saved = SavedSegmentCriteria.objects.create(code=code, description=description.strip(), user=user)
    SavedSegmentCriteriaStep.objects.bulk_create(
        SavedSegmentCriteriaStep(saved=saved, step=n, action=s.action, criteria=s.criteria, options=s.options)
        for n, s in enumerate(steps, start=1)
    )
    return saved


@transaction.atomic
def segment_reuse_criteria(segment: Segment, *, saved: SavedSegmentCriteria, user, confirm: bool = False) -> None:
    """Replay every saved step, in order, as new undoable steps, honouring every option.

    Unlike Business Central (docs/BEHAVIOUR.md §14), Entire companies on a saved Refine step is honoured. A segment
    that already has steps needs `confirm=True` (the page asks first). All steps or none: one transaction.
    """
    segment = _lock(segment)
    existing = segment.criteria_actions.count()
    if existing and not confirm:
        raise ValidationError(
            f"Segment {segment.no} already contains {existing} criteria action{'s' if existing != 1 else ''}. "
            "Are you sure you want to reuse saved criteria?"
        )
    for saved_step in saved.steps.order_by("step"):
        _replay(segment, saved_step, user=user)


def _replay(segment: Segment, saved_step: SavedSegmentCriteriaStep, *, user) -> int:
    action, criteria, options = saved_step.action, dict(saved_step.criteria), dict(saved_step.options)
    if action in (Action.ADD, Action.ADD_LINE):
        return _add(segment, criteria=criteria, options=options, user=user, action=action)
    if action in (Action.REDUCE, Action.REFINE):
        return _remove(segment, action=action, criteria=criteria, options=options, user=user)
    if action == Action.REMOVE_LINE:
        # A line removed by hand is replayed as "remove that contact".
        options = {"entire_companies": False}
        return _remove(segment, action=Action.REDUCE, criteria=criteria, options=options, user=user)
    if action == Action.REUSE_LOGGED:
        return _reuse_logged(segment, logged_segment_id=int(criteria["logged_segment"]), user=user)
    raise ValidationError(f"Saved step {saved_step.step} has an unknown action “{action}”.")


@transaction.atomic
def segment_reuse_logged(segment: Segment, *, logged_segment: LoggedSegment, user) -> int:
    """Append a line for each contact of a logged segment's entries (one undoable step). Returns lines added.

    Excluded, privacy-blocked and duplicate contacts are skipped (Business Central copies them all:
    docs/BEHAVIOUR.md §14).
    """
    segment = _lock(segment)
    return _reuse_logged(segment, logged_segment_id=logged_segment.pk, user=user)


def segment_preview_step(segment: Segment, *, action: str, criteria: dict, options: dict | None = None) -> int:
    """How many lines a step would add (add) or remove (reduce, refine), without changing anything."""
    criteria = clean_criteria(criteria)
    options = options or {}
    if action == Action.ADD:
        return _add_targets(segment, _matching(criteria), **_options(ADD_OPTIONS, options)).count()
    if action in (Action.REDUCE, Action.REFINE):
        entire = _options(REMOVE_OPTIONS, options)["entire_companies"]
        matching = _lines_matching(segment, criteria, entire_companies=entire)
        if action == Action.REFINE:
            return SegmentLine.objects.filter(segment_id=segment.pk).exclude(pk__in=matching.values("pk")).count()
        return matching.count()
    raise ValidationError(f"Unknown action “{action}”. Use add, reduce or refine.")
