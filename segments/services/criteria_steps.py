"""Criteria steps on a segment worksheet: add, reduce, refine, go back, save and reuse (docs/BEHAVIOUR.md §6).

Each step validates its criteria once (`crm.filters.validate_criteria`) and hands the validated criteria down:
what is stored on the step, the contacts it matches, and the ids its codes named all come from that one
validation. The step, its lines and its undo history are written through `step_history.py`, which also says
how a step locks the segment and why the SQL is set-based.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import BooleanField, Exists, F, Func, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from crm.audit import audit_record
from crm.filters import ValidCriteria, validate_criteria
from crm.models import AuditEvent, Contact
from crm.wording import count_of
from interactions.models import InteractionLogEntry, LoggedSegment

from ..models import SavedSegmentCriteria, SavedSegmentCriteriaStep, Segment, SegmentCriteriaAction, SegmentLine
from .step_history import company_key, lines_delete, lines_insert, segment_lock, step_finish, step_start, step_undo

if TYPE_CHECKING:
    from django.contrib.auth.models import User

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

ADD_OPTIONS = ("allow_existing", "expand_companies", "allow_related_companies", "ignore_exclusion")
REMOVE_OPTIONS = ("entire_companies",)

# Membership criteria tested by the id their code named (see `_matching`): criteria -> (through table, its column).
MEMBERSHIP = {
    "mailing_group": (Contact.mailing_groups.through, "mailinggroup_id"),
    "job_responsibility": (Contact.job_responsibilities.through, "jobresponsibility_id"),
}


class _PkInArray(Func):
    """`id = ANY(ARRAY(<subquery>))` (PostgreSQL): the subquery's ids are read once into an array, and the contacts
    are then fetched through the primary key in id order, whatever the planner thinks of the set's size."""

    output_field = BooleanField()

    def __init__(self, ids: QuerySet) -> None:
        super().__init__(F("pk"), Subquery(ids))

    def as_sql(self, compiler: Any, connection: Any, **extra_context: Any) -> tuple[str, tuple]:  # type: ignore[override]
        (pk_sql, pk_params), (ids_sql, ids_params) = (compiler.compile(e) for e in self.get_source_expressions())
        return f"{pk_sql} = ANY(ARRAY{ids_sql})", (*pk_params, *ids_params)


def _matching(criteria: ValidCriteria) -> QuerySet:
    """The contacts matching a validated criteria, shaped so that the database can start from the smallest set.

    ContactFilter tests mailing groups and job responsibilities with a correlated EXISTS per contact. Here the
    group is tested by the id its code named when the criteria was validated: the same contacts, but started
    from the members. SQLite, given `id IN (that group's members)`, looks the members up by rowid. PostgreSQL
    would hash-join that form with a scan of every contact (1,000,000 rows to find 100,000), so it gets
    `id = ANY(ARRAY(members))`: the members' ids read once, then an index scan of the contacts in id order
    (docs/PERFORMANCE.md, "Add contacts").
    """
    matched = criteria.contacts(leave_out=MEMBERSHIP)
    for key, (through, column) in MEMBERSHIP.items():
        if key in criteria.code_ids:
            members = through.objects.filter(**{column: criteria.code_ids[key]}).values("contact_id")
            if connection.vendor == "postgresql":
                matched = matched.filter(_PkInArray(members))
            else:
                matched = matched.filter(pk__in=members)
    logged_segment = criteria.cleaned.get("logged_segment")
    if logged_segment is not None:
        # Besides the filter's EXISTS (non-canceled entries): lets the database start from this segment's entries.
        entries = InteractionLogEntry.objects.filter(logged_segment_id=int(logged_segment))
        matched = matched.filter(pk__in=entries.values("contact_id"))
    return matched


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
            # Every contact of each selected contact's company, the company included: a selected company brings
            # its persons, a selected person their company and its other persons (reference 2.4, scenario 31).
            companies = matched.annotate(key=company_key()).values("key")
            wanted |= Q(pk__in=companies) | Q(company_id__in=companies)
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


def _lines_matching(segment: Segment, criteria: ValidCriteria, *, entire_companies: bool) -> QuerySet:
    matched = _matching(criteria)
    lines = SegmentLine.objects.filter(segment_id=segment.pk)
    if entire_companies:
        # A match anywhere in a company takes the whole company: every line whose contact shares its company.
        companies = matched.annotate(key=company_key()).values("key")
        return lines.annotate(key=Coalesce(F("contact__company_id"), F("contact_id"))).filter(key__in=companies)
    return lines.filter(contact_id__in=matched.values("pk"))


def _options(names: tuple[str, ...], given: dict[str, Any]) -> dict[str, bool]:
    unknown = sorted(set(given) - set(names))
    if unknown:
        raise ValidationError(f"Unknown option: {', '.join(unknown)}. Use: {', '.join(names)}.")
    return {name: bool(given.get(name, False)) for name in names}


def _add(
    segment: Segment, *, criteria: Mapping[str, Any], options: dict, user: User | None, action: str = Action.ADD
) -> int:
    valid = validate_criteria(criteria)
    options = _options(ADD_OPTIONS, options)
    targets = _add_targets(segment, _matching(valid), **options)
    step = step_start(segment, action=action, criteria=valid.values, options=options, user=user)
    return step_finish(step, lines_insert(segment, step, targets))


def _remove(segment: Segment, *, action: str, criteria: Mapping[str, Any], options: dict, user: User | None) -> int:
    valid = validate_criteria(criteria)
    options = _options(REMOVE_OPTIONS, options)
    matching = _lines_matching(segment, valid, entire_companies=options["entire_companies"])
    if action == Action.REFINE:
        doomed = SegmentLine.objects.filter(segment_id=segment.pk).exclude(pk__in=matching.values("pk"))
    else:
        doomed = matching
    step = step_start(segment, action=action, criteria=valid.values, options=options, user=user)
    return step_finish(step, lines_delete(step, doomed))


def _reuse_logged(segment: Segment, *, logged_segment_id: int, user: User | None) -> int:
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
    step = step_start(
        segment, action=Action.REUSE_LOGGED, criteria={"logged_segment": str(logged_segment_id)}, options={}, user=user
    )
    return step_finish(step, lines_insert(segment, step, targets))


@transaction.atomic
def segment_add_contacts(
    segment: Segment,
    *,
    criteria: dict,
    user: User | None,
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
    segment = segment_lock(segment)
    options = {
        "allow_existing": allow_existing,
        "expand_companies": expand_companies,
        "allow_related_companies": allow_related_companies,
        "ignore_exclusion": ignore_exclusion,
    }
    return _add(segment, criteria=criteria, options=options, user=user)


@transaction.atomic
def segment_reduce_contacts(
    segment: Segment, *, criteria: dict, user: User | None, entire_companies: bool = False
) -> int:
    """Remove the lines whose contact matches (one undoable step). Returns the lines removed."""
    segment = segment_lock(segment)
    return _remove(
        segment, action=Action.REDUCE, criteria=criteria, options={"entire_companies": entire_companies}, user=user
    )


@transaction.atomic
def segment_refine_contacts(
    segment: Segment, *, criteria: dict, user: User | None, entire_companies: bool = False
) -> int:
    """Keep only the lines whose contact matches (one undoable step). Returns the lines removed."""
    segment = segment_lock(segment)
    return _remove(
        segment, action=Action.REFINE, criteria=criteria, options={"entire_companies": entire_companies}, user=user
    )


@transaction.atomic
def segment_go_back(segment: Segment, *, user: User | None) -> None:
    """Undo the last step exactly: delete the lines it inserted, restore the lines it deleted.

    Restored lines keep their id (so older steps' history still points at them) and their per-line
    overrides, personal note and letter (better than Business Central, which re-creates them from the header:
    docs/BEHAVIOUR.md §14).
    """
    segment = segment_lock(segment)
    step = segment.criteria_actions.order_by("-step").first()
    if step is None:
        raise ValidationError(f"Segment {segment.no} has no criteria actions to undo.")
    step_undo(segment, step)
    audit_record(
        AuditEvent.Action.SEGMENT_STEP_UNDONE,
        user=user,
        obj=segment,
        count=step.affected,
        step=step.step,
        undone=step.action,
        summary=(
            f"Undid step {step.step} ({step.get_action_display()}) of segment {segment.no}: "
            f"{count_of(step.affected, 'line', 'lines')} put back as they were"
        ),
    )


@transaction.atomic
def segment_save_criteria(segment: Segment, *, code: str, description: str, user: User | None) -> SavedSegmentCriteria:
    """Store the segment's steps under a code, to replay them on another segment later."""
    segment = segment_lock(segment)
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
def segment_reuse_criteria(
    segment: Segment, *, saved: SavedSegmentCriteria, user: User | None, confirm: bool = False
) -> None:
    """Replay every saved step, in order, as new undoable steps, honouring every option.

    Unlike Business Central (docs/BEHAVIOUR.md §14), Entire companies on a saved Refine step is honoured. A segment
    that already has steps needs `confirm=True` (the page asks first). All steps or none: one transaction.
    """
    segment = segment_lock(segment)
    _confirm_reuse(segment, confirm=confirm, what="saved criteria")
    for saved_step in saved.steps.order_by("step"):
        _replay(segment, saved_step, user=user)


def reuse_question(segment: Segment, steps: int, *, what: str) -> str:
    """Business Central's question before a reuse on a worksheet that has steps (reference 2.7, 2.8)."""
    return (
        f"Segment {segment.no} already contains {count_of(steps, 'criteria action', 'criteria actions')}. "
        f"Are you sure you want to reuse {what}?"
    )


def _confirm_reuse(segment: Segment, *, confirm: bool, what: str) -> None:
    existing = segment.criteria_actions.count()
    if existing and not confirm:
        raise ValidationError(reuse_question(segment, existing, what=what))


def _replay(segment: Segment, saved_step: SavedSegmentCriteriaStep, *, user: User | None) -> int:
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
def segment_reuse_logged(
    segment: Segment, *, logged_segment: LoggedSegment, user: User | None, confirm: bool = False
) -> int:
    """Append a line for each contact of a logged segment's entries (one undoable step). Returns lines added.

    Excluded, privacy-blocked and duplicate contacts are skipped (Business Central copies them all:
    docs/BEHAVIOUR.md §14). A worksheet that already has steps needs `confirm=True` (the page asks first,
    reference 2.8, scenario 43); without it nothing changes.
    """
    segment = segment_lock(segment)
    _confirm_reuse(segment, confirm=confirm, what="a logged segment")
    return _reuse_logged(segment, logged_segment_id=logged_segment.pk, user=user)


def segment_preview_step(
    segment: Segment, *, action: str, criteria: Mapping[str, Any], options: dict | None = None
) -> int:
    """How many lines a step would add (add) or remove (reduce, refine), without changing anything."""
    valid = validate_criteria(criteria)
    options = options or {}
    if action == Action.ADD:
        return _add_targets(segment, _matching(valid), **_options(ADD_OPTIONS, options)).count()
    if action in (Action.REDUCE, Action.REFINE):
        entire = _options(REMOVE_OPTIONS, options)["entire_companies"]
        matching = _lines_matching(segment, valid, entire_companies=entire)
        if action == Action.REFINE:
            return SegmentLine.objects.filter(segment_id=segment.pk).exclude(pk__in=matching.values("pk")).count()
        return matching.count()
    raise ValidationError(f"Unknown action “{action}”. Use add, reduce or refine.")
