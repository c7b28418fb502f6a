"""Tables of the segment pages (subclassing crm.tables.BaseTable: one look everywhere).

The Logged Segments table counts interactions for the rows of the shown page only.
"""

import django_tables2 as tables
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from crm.tables import BaseTable
from interactions.models import InteractionLogEntry, LoggedSegment

from .models import SavedSegmentCriteria, Segment, SegmentLine


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

    _short = {"td": {"class": "nowrap"}, "th": {"class": "nowrap"}}

    # The row's place in the list as shown (insertion order unless sorted), counted across pages.
    line_no = tables.Column("Line", empty_values=(), orderable=False, attrs=_short)
    contact_no = tables.Column("Contact no.", accessor="contact__no", order_by=("contact__no",), attrs=_short)
    name = tables.Column("Name", accessor="contact__name", order_by=("contact__name", "id"))
    company = tables.Column(
        "Company", accessor="contact__company__name", order_by=("contact__company__name", "id"), default=""
    )
    email = tables.Column("E-mail", accessor="contact__email", order_by=("contact__email", "id"), default="")
    correspondence = tables.Column("Correspondence", empty_values=(), orderable=False, attrs=_short)
    template = tables.Column("Template", empty_values=(), orderable=False, attrs=_short)
    description = tables.Column("Description", empty_values=(), order_by=("description", "id"))
    language = tables.Column("Language", empty_values=(), orderable=False, attrs=_short)
    note = tables.Column("Note", empty_values=(), orderable=False, attrs=_short)
    edit = tables.Column("", empty_values=(), orderable=False)

    class Meta(BaseTable.Meta):
        model = SegmentLine
        fields = ()
        sequence = (
            "line_no",
            "contact_no",
            "name",
            "company",
            "email",
            "correspondence",
            "template",
            "description",
            "language",
            "note",
            "edit",
        )
        row_attrs = {"id": lambda record: f"line-{record.pk}"}
        empty_text = "No lines yet: add contacts with criteria above."

    def __init__(self, *args, resolver, **kwargs):
        self.resolver = resolver
        super().__init__(*args, **kwargs)

    def _resolved(self, record):
        cached = getattr(record, "_resolved", None)
        if cached is None:
            cached = record._resolved = self.resolver.resolve(record)
        return cached

    def render_line_no(self, bound_row):
        """The line's place on the worksheet, counted across pages (lines are shown in insertion order, which is
        the order a step inserts them in: reference 2.4, scenario 32)."""
        page = getattr(self, "page", None)
        first = getattr(page, "first_row", 1) or 1
        return f"{first + bound_row.row_counter:,}"

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
        url = reverse("segments:segment_line_edit", args=[record.segment_id, record.pk])
        return format_html('<a href="{}">Edit</a>', url)


class LoggedSegmentTable(BaseTable):
    id = tables.Column("No.", linkify=True)
    segment_no = tables.Column("Segment no.")
    description = tables.Column(linkify=True)
    created_at = tables.DateTimeColumn(format="Y-m-d H:i", verbose_name="Created")
    user = tables.Column("User", accessor="user__username", order_by=("user__username",), orderable=False)
    canceled = tables.Column("Canceled")
    interactions = tables.Column(
        "Interactions", empty_values=(), orderable=False, attrs={"td": {"class": "numeric"}, "th": {"class": "numeric"}}
    )
    actions = tables.TemplateColumn(
        template_name="segments/_logged_segment_actions.html", verbose_name="", orderable=False
    )

    class Meta(BaseTable.Meta):
        model = LoggedSegment
        fields = ("id", "segment_no", "description", "created_at", "user", "canceled", "interactions", "actions")
        order_by = ("-id",)
        row_attrs = {"class": lambda record: "is-canceled" if record.canceled else None}

    def before_render(self, request):
        # One GROUP BY over the entries of this page's logged segments (indexed on logged_segment): no N+1,
        # and never a count over the whole entries table.
        rows = [row.record for row in self.page.object_list] if hasattr(self, "page") else []
        ids = [record.pk for record in rows]
        counts = (
            InteractionLogEntry.objects.filter(logged_segment_id__in=ids)
            .order_by()
            .values("logged_segment_id")
            .annotate(n=Count("id"))
        )
        self.interaction_counts = {row["logged_segment_id"]: row["n"] for row in counts}

    def render_canceled(self, value):
        return mark_safe('<span class="badge warn">Canceled</span>') if value else "—"

    def render_interactions(self, record):
        count = getattr(self, "interaction_counts", {}).get(record.pk, 0)
        url = f"{reverse('interactions:interaction_list')}?logged_segment={record.pk}"
        return format_html('<a href="{}">{}</a>', url, f"{count:,}")


_NUMERIC = {"td": {"class": "numeric"}, "th": {"class": "numeric"}}


class SavedCriteriaTable(BaseTable):
    # Only the code sorts: it is the one indexed column (unique), and the list is short anyway.
    code = tables.Column("Code", linkify=lambda record: reverse("segments:saved_criteria_detail", args=[record.pk]))
    description = tables.Column(orderable=False, default="—")
    step_count = tables.Column("Steps", orderable=False, attrs=_NUMERIC)
    user = tables.Column("Created by", accessor="user__username", orderable=False, default="—")
    created_at = tables.DateTimeColumn(verbose_name="Created", format="Y-m-d H:i", orderable=False)

    class Meta(BaseTable.Meta):
        model = SavedSegmentCriteria
        fields = ("code", "description", "step_count", "user", "created_at")
        order_by = ("code",)
        empty_text = "No saved criteria. Save a worksheet's steps with “Save criteria” on the worksheet."
