"""Reads for the worksheet: its lines, what each line resolves to, and the steps in words."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, QuerySet

from crm.filters import describe_criteria
from crm.ids import parse_id
from crm.models import CorrespondenceType
from interactions.letters import resolve_correspondence_type, template_has_letter
from interactions.models import InteractionLogEntry, InteractionTemplate, LoggedSegment

from .models import Segment, SegmentCriteriaAction, SegmentLine

Action = SegmentCriteriaAction.Action

OPTION_WORDS = {
    "allow_existing": "allow existing",
    "expand_companies": "expand companies",
    "allow_related_companies": "allow related companies",
    "ignore_exclusion": "ignore exclusion",
    "entire_companies": "entire companies",
}


def worksheet_lines(segment: Segment) -> QuerySet:
    """The lines with everything the table and the letters show, in insertion order."""
    return (
        SegmentLine.objects.filter(segment=segment)
        .select_related("contact__company", "contact__salesperson", "salesperson", "template", "letter")
        .order_by("id")
    )


RECENT_LOGGED_SEGMENTS = 50


def recent_logged_segments(limit: int = RECENT_LOGGED_SEGMENTS) -> list[tuple[int, str]]:
    """The most recent logged segments to reuse, as (entry no., "SEG00003 · description · date · N interactions"):
    two queries, the count one GROUP BY over these segments' entries (indexed on logged_segment), as on the logged
    segments list."""
    logged = list(LoggedSegment.objects.order_by("-id").only("id", "segment_no", "description", "created_at")[:limit])
    counts = dict(
        InteractionLogEntry.objects.filter(logged_segment_id__in=[row.pk for row in logged])
        .order_by()
        .values("logged_segment_id")
        .annotate(n=Count("id"))
        .values_list("logged_segment_id", "n")
    )
    options = []
    for row in logged:
        count = counts.get(row.pk, 0)
        words = [
            row.segment_no,
            row.description,
            f"{row.created_at:%Y-%m-%d}",
            f"{count:,} interaction{'s' if count != 1 else ''}",
        ]
        options.append((row.pk, " · ".join(word for word in words if word)))
    return options


def worksheet_segments() -> QuerySet:
    return Segment.objects.select_related("template", "salesperson", "created_by")


# Per action: what the worksheet's step list says it did, what the saved criteria page says replaying it will do,
# and what its count counts.
ACTION_WORDS = {
    Action.ADD: ("Added contacts", "Add contacts", "added"),
    Action.REDUCE: ("Reduced contacts", "Reduce contacts", "removed"),
    Action.REFINE: ("Refined contacts", "Refine contacts", "removed"),
    Action.ADD_LINE: ("Added a line by hand", "Add a line by hand", "added"),
    Action.REMOVE_LINE: ("Removed a line by hand", "Remove a line by hand", "removed"),
}


def describe_steps(steps: Iterable) -> list[tuple[object, str]]:
    """Each worksheet step with what it did: 'Added contacts: city = Berlin, mailing group = GIFT (1,204 added)'."""
    return _described(steps, done=True)


def describe_saved_steps(steps: Iterable) -> list[tuple[object, str]]:
    """Each saved step with what replaying it does ('Add contacts: city = Berlin [expand companies]'): no count,
    since it is replayed against other contacts."""
    return _described(steps, done=False)


def describe_step(step: SegmentCriteriaAction) -> str:
    return describe_steps([step])[0][1]


def _described(steps: Iterable, *, done: bool) -> list[tuple[object, str]]:
    steps = list(steps)
    # The segment numbers of reused logged segments, in one query for all steps.
    logged_ids = {_logged_id(step) for step in steps if step.action == Action.REUSE_LOGGED} - {None}
    logged_nos = dict(LoggedSegment.objects.filter(pk__in=logged_ids).values_list("pk", "segment_no"))
    return [(step, _describe(step, logged_nos, done=done)) for step in steps]


def _logged_id(step) -> int | None:
    return parse_id(str((step.criteria or {}).get("logged_segment", "")))


def _describe(step, logged_nos: dict[int, str], *, done: bool) -> str:
    """`step` is a SegmentCriteriaAction (done: with its count) or a SavedSegmentCriteriaStep (to do)."""
    criteria = describe_criteria(step.criteria or {})
    options = [OPTION_WORDS.get(name, name) for name, on in (step.options or {}).items() if on]
    if step.action == Action.ADD_LINE:
        # A line added by hand ignores the exclusion flag by construction; saying so is noise.
        options = [option for option in options if option != "ignore exclusion"]
    suffix = f" [{', '.join(options)}]" if options else ""
    if step.action == Action.REUSE_LOGGED:
        logged_id = _logged_id(step)
        segment_no = logged_nos.get(logged_id)
        name = f"logged segment {logged_id or '?'}" + (f" ({segment_no})" if segment_no else "")
        if done:
            return f"Reused {name} ({step.affected:,} added)"
        return f"Reuse {name}" if segment_no else f"Reuse {name} (deleted since: replaying this step is refused)"
    if step.action not in ACTION_WORDS:
        return f"{step.get_action_display()}: {criteria}" + (f" ({step.affected:,})" if done else "")
    past, imperative, counted = ACTION_WORDS[step.action]
    if step.action == Action.REMOVE_LINE:
        suffix = "" if done else " (replayed as reduce)"
    if done:
        return f"{past}: {criteria}{suffix} ({step.affected:,} {counted})"
    return f"{imperative}: {criteria}{suffix}"


@dataclass
class ResolvedLine:
    template: InteractionTemplate | None
    correspondence_type: str
    language_code: str

    @property
    def correspondence_type_display(self) -> str:
        return dict(CorrespondenceType.choices).get(self.correspondence_type, "")


class LineResolver:
    """What each line means once the header defaults are applied (docs/BEHAVIOUR.md §3, §4).

    Loads the templates involved once, with their language variants, so resolving a page of lines costs no
    query per line.
    """

    def __init__(self, segment: Segment, template_ids=None):
        self.segment = segment
        wanted = set(template_ids or ())
        if segment.template_id:
            wanted.add(segment.template_id)
        self.templates = {
            t.pk: t for t in InteractionTemplate.objects.filter(pk__in=wanted).prefetch_related("languages")
        }

    @classmethod
    def for_segment(cls, segment: Segment) -> LineResolver:
        own = segment.lines.exclude(template=None).order_by().values_list("template_id", flat=True).distinct()
        return cls(segment, template_ids=list(own))

    def template(self, line: SegmentLine) -> InteractionTemplate | None:
        template_id = line.template_id or self.segment.template_id
        if template_id and template_id not in self.templates:
            self.templates[template_id] = InteractionTemplate.objects.prefetch_related("languages").get(pk=template_id)
        return self.templates.get(template_id) if template_id else None

    def language(self, line: SegmentLine, template: InteractionTemplate | None) -> str:
        if line.language_code:
            return line.language_code
        contact_language = line.contact.language_code
        if template is not None and contact_language:
            variants = {row.language_code for row in template.languages.all()}
            if contact_language in variants or contact_language == template.language_code:
                return contact_language
        # The header's default language (copied from the template), else the template's.
        return self.segment.language_code or (template.language_code if template else "")

    def correspondence_type(self, line: SegmentLine, template: InteractionTemplate | None, language: str) -> str:
        has_letter = bool(line.letter_id) or (template is not None and template_has_letter(template, language))
        resolved = resolve_correspondence_type(
            line_type=line.correspondence_type,
            segment_type=self.segment.correspondence_type,
            segment_ignores_contact=self.segment.ignore_contact_correspondence_type,
            template_type=template.correspondence_type if template else "",
            template_ignores_contact=template.ignore_contact_correspondence_type if template else False,
            contact_type=line.contact.correspondence_type,
            has_letter=has_letter,
        )
        # A contact without an e-mail address cannot get e-mail (docs/BEHAVIOUR.md §3: the type is reset to blank).
        if resolved == CorrespondenceType.EMAIL and not line.contact.email:
            return ""
        return resolved

    def resolve(self, line: SegmentLine) -> ResolvedLine:
        template = self.template(line)
        language = self.language(line, template)
        return ResolvedLine(
            template=template,
            correspondence_type=self.correspondence_type(line, template, language),
            language_code=language,
        )


def logged_segment_of_worksheet(worksheet_id: int) -> LoggedSegment | None:
    """The logged segment a deleted worksheet became, if it was logged (its old URL redirects there)."""
    return LoggedSegment.objects.filter(worksheet_id=worksheet_id).only("pk", "segment_no").first()
