"""Reads for the worksheet: its lines, what each line resolves to, and the steps in words."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from crm.filters import describe_criteria
from crm.models import CorrespondenceType
from interactions.letters import resolve_correspondence_type
from interactions.models import InteractionTemplate, LoggedSegment

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


def worksheet_segments() -> QuerySet:
    return Segment.objects.select_related("template", "salesperson", "created_by")


def describe_step(step: SegmentCriteriaAction) -> str:
    """'Added contacts: city = Berlin, mailing group = gift (1,204 added)'."""
    criteria = describe_criteria(step.criteria or {})
    options = [OPTION_WORDS.get(name, name) for name, on in (step.options or {}).items() if on]
    if step.action == Action.ADD_LINE:
        options = [o for o in options if o != "ignore exclusion"]
    suffix = f" [{', '.join(options)}]" if options else ""
    n = f"{step.affected:,}"
    if step.action == Action.ADD:
        return f"Added contacts: {criteria}{suffix} ({n} added)"
    if step.action == Action.REDUCE:
        return f"Reduced contacts: {criteria}{suffix} ({n} removed)"
    if step.action == Action.REFINE:
        return f"Refined contacts: {criteria}{suffix} ({n} removed)"
    if step.action == Action.ADD_LINE:
        return f"Added a line by hand: {criteria}{suffix} ({n} added)"
    if step.action == Action.REMOVE_LINE:
        return f"Removed a line by hand: {criteria} ({n} removed)"
    if step.action == Action.REUSE_LOGGED:
        logged_id = (step.criteria or {}).get("logged_segment", "")
        logged = LoggedSegment.objects.filter(pk=logged_id).values_list("segment_no", flat=True).first()
        name = f"logged segment {logged_id}" + (f" ({logged})" if logged else "")
        return f"Reused {name} ({n} added)"
    return f"{step.get_action_display()}: {criteria} ({n})"


@dataclass
class ResolvedLine:
    template: InteractionTemplate | None
    correspondence_type: str
    language_code: str

    @property
    def correspondence_type_display(self) -> str:
        return dict(CorrespondenceType.choices).get(self.correspondence_type, "")


class LineResolver:
    """What each line means once the header defaults are applied (SPEC 3.3; reference 2.2, 2.3).

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

    def correspondence_type(self, line: SegmentLine, template: InteractionTemplate | None) -> str:
        if line.correspondence_type:
            resolved = line.correspondence_type
        else:
            resolved = resolve_correspondence_type(
                segment_type=self.segment.correspondence_type,
                segment_ignores_contact=self.segment.ignore_contact_correspondence_type,
                template_type=template.correspondence_type if template else "",
                template_ignores_contact=template.ignore_contact_correspondence_type if template else False,
                contact_type=line.contact.correspondence_type,
            )
        # A contact without an e-mail address cannot get e-mail (reference 2.2: the type is reset to blank).
        if resolved == CorrespondenceType.EMAIL and not line.contact.email:
            return ""
        return resolved

    def resolve(self, line: SegmentLine) -> ResolvedLine:
        template = self.template(line)
        return ResolvedLine(
            template=template,
            correspondence_type=self.correspondence_type(line, template),
            language_code=self.language(line, template),
        )
