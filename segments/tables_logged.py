"""The Logged Segments table. The number of interactions is counted for the rows of the shown page only."""

import django_tables2 as tables
from django.db.models import Count
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from crm.tables import BaseTable
from interactions.models import InteractionLogEntry, LoggedSegment


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
        row_attrs = {"class": lambda record: "is-canceled" if record.canceled else ""}

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
        return format_html('<a href="/interactions/?logged_segment={}">{}</a>', record.pk, f"{count:,}")
