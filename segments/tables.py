"""Tables of the segment pages (subclassing crm.tables.BaseTable: one look everywhere)."""

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from crm.tables import BaseTable

from .models import Segment, SegmentLine


class SegmentTable(BaseTable):
    no = tables.Column("No.", linkify=True)
    description = tables.Column(linkify=True)
    template = tables.Column(accessor="template__code", verbose_name="Template", orderable=False, default="—")
    salesperson = tables.Column(accessor="salesperson__code", orderable=False, default="—")
    date = tables.DateColumn(format="Y-m-d")
    created_at = tables.DateTimeColumn(verbose_name="Created", format="Y-m-d H:i")

    class Meta(BaseTable.Meta):
        model = Segment
        fields = ("no", "description", "template", "salesperson", "date", "created_at")
        order_by = ("-no",)
        empty_text = "No worksheets yet. Create one, or start from the contact list's filters."


class SegmentLineTable(BaseTable):
    """The worksheet's lines. `resolver` (segments.selectors.LineResolver) gives the resolved values."""

    contact_no = tables.Column("Contact no.", accessor="contact__no", orderable=False)
    name = tables.Column("Name", accessor="contact__name", orderable=False)
    company = tables.Column("Company", accessor="contact__company__name", orderable=False, default="")
    correspondence = tables.Column("Correspondence", empty_values=(), orderable=False)
    template = tables.Column("Template", empty_values=(), orderable=False)
    description = tables.Column("Description", empty_values=(), orderable=False)
    language = tables.Column("Language", empty_values=(), orderable=False)
    note = tables.Column("Note", empty_values=(), orderable=False)
    edit = tables.Column("", empty_values=(), orderable=False)

    class Meta(BaseTable.Meta):
        model = SegmentLine
        fields = ()
        sequence = (
            "contact_no",
            "name",
            "company",
            "correspondence",
            "template",
            "description",
            "language",
            "note",
            "edit",
        )
        empty_text = "No lines yet: add contacts with criteria above."

    def __init__(self, *args, resolver, **kwargs):
        self.resolver = resolver
        super().__init__(*args, **kwargs)

    def _resolved(self, record):
        cached = getattr(record, "_resolved", None)
        if cached is None:
            cached = record._resolved = self.resolver.resolve(record)
        return cached

    def render_contact_no(self, record):
        return format_html('<a href="{}">{}</a>', record.contact.get_absolute_url(), record.contact.no)

    def render_correspondence(self, record):
        return self._resolved(record).correspondence_type_display or "—"

    def render_template(self, record):
        template = self._resolved(record).template
        code = template.code if template else "—"
        if record.template_id:
            return format_html('{} <span class="badge info" title="Own template">own</span>', code)
        return code

    def render_description(self, record):
        if record.description:
            return record.description
        return format_html('<span class="muted">{}</span>', self.resolver.segment.description or "—")

    def render_language(self, record):
        return self._resolved(record).language_code or "—"

    def render_note(self, record):
        badges = []
        if record.personal_note:
            badges.append(format_html('<span class="badge ok" title="{}">note</span>', record.personal_note[:200]))
        if record.letter_id:
            badges.append(mark_safe('<span class="badge warn" title="Own letter">letter</span>'))
        return format_html(" ".join(["{}"] * len(badges)), *badges) if badges else ""

    def render_edit(self, record):
        url = reverse("segment_line_edit", args=[record.segment_id, record.pk])
        return format_html('<a href="{}">Edit</a>', url)
