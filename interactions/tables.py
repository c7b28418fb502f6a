"""The Interaction Log Entries table: the reference's columns, a default set shown, the rest chosen per page.

Only columns backed by an index are orderable (entry no. = primary key, date = ile_date_id, description =
ile_description): a sort the database cannot read off an index would sort a million rows for every page.
"""

import django_tables2 as tables
from django.utils.html import format_html

from crm.tables import BaseTable

from .models import DeliveryStatus, InteractionLogEntry

# Shown unless the page asks for other columns with ?columns=…
DEFAULT_COLUMNS = (
    "canceled", "date", "correspondence_type", "template", "description", "attachment",
    "contact", "company", "salesperson", "evaluation", "delivery_status", "entry_no",
)
# Always there, whatever is chosen.
FIXED_COLUMNS = ("select",)


class LogEntryTable(BaseTable):
    select = tables.CheckBoxColumn(
        accessor="pk",
        attrs={
            "th__input": {"data-select-all": "ids", "aria-label": "Select all entries on this page", "form": "bulk-actions"},
            "td__input": {"name": "ids", "form": "bulk-actions", "aria-label": lambda record: f"Select entry {record.pk}"},
            "th": {"class": "select"},
            "td": {"class": "select"},
        },
    )
    canceled = tables.Column("Canceled", orderable=False, empty_values=())
    attempt_failed = tables.Column("Attempt failed", orderable=False, empty_values=())
    delivery_status = tables.Column("Delivery", orderable=False, empty_values=())
    date = tables.DateColumn(format="Y-m-d", order_by=("date", "id"), attrs={"td": {"class": "nowrap"}})
    time = tables.TimeColumn(format="H:i", orderable=False)
    correspondence_type = tables.Column("Type", orderable=False)
    group = tables.Column("Group", accessor="group__code", orderable=False)
    template = tables.Column("Template", accessor="template__code", orderable=False)
    description = tables.Column(linkify=True, order_by=("description", "id"))
    attachment = tables.Column("Document", accessor="pk", orderable=False, empty_values=())
    information_flow = tables.Column("Flow", orderable=False)
    initiated_by = tables.Column("Initiated by", orderable=False)
    contact = tables.Column("Contact", accessor="contact__name", orderable=False, linkify=lambda record: record.contact)
    company = tables.Column(
        "Company", accessor="contact_company__name", orderable=False, linkify=lambda record: record.contact_company
    )
    evaluation = tables.Column(orderable=False)
    cost = tables.Column(orderable=False, attrs={"td": {"class": "numeric"}, "th": {"class": "numeric"}})
    duration_minutes = tables.Column(
        "Duration (min.)", orderable=False, attrs={"td": {"class": "numeric"}, "th": {"class": "numeric"}}
    )
    salesperson = tables.Column("Salesperson", accessor="salesperson__code", orderable=False)
    user = tables.Column("User", accessor="user__username", orderable=False)
    segment_no = tables.Column("Segment no.", orderable=False)
    document = tables.Column("Document type and no.", accessor="document_no", orderable=False, empty_values=())
    entry_no = tables.Column(
        "Entry no.", accessor="pk", order_by=("id",), linkify=True,
        attrs={"td": {"class": "numeric"}, "th": {"class": "numeric"}},
    )

    class Meta(BaseTable.Meta):
        model = InteractionLogEntry
        fields: tuple = ()
        sequence = (
            "select", "canceled", "attempt_failed", "delivery_status", "date", "time", "correspondence_type",
            "group", "template", "description", "attachment", "information_flow", "initiated_by", "contact",
            "company", "evaluation", "cost", "duration_minutes", "salesperson", "user", "segment_no", "document",
            "entry_no",
        )
        order_by = ("-entry_no",)
        row_attrs = {"class": lambda record: "is-canceled" if record.canceled else ""}

    def render_canceled(self, record):
        return format_html('<span class="badge">Canceled</span>') if record.canceled else ""

    def render_attempt_failed(self, record):
        return format_html('<span class="badge warn">Failed</span>') if record.attempt_failed else ""

    def render_delivery_status(self, record):
        if record.delivery_status == DeliveryStatus.ERROR:
            return format_html('<span class="badge error" title="{}">Error</span>', record.delivery_error)
        if record.delivery_status == DeliveryStatus.IN_PROGRESS:
            return format_html('<span class="badge info">In progress</span>')
        return ""

    def render_correspondence_type(self, record):
        return record.get_correspondence_type_display()

    def render_attachment(self, record):
        if not record.has_document:
            return ""
        return format_html('<a href="/interactions/{}/document/" download>Download</a>', record.pk)

    def render_evaluation(self, record):
        return record.get_evaluation_display() if record.evaluation else ""

    def render_document(self, record):
        if not record.document_type:
            return ""
        return f"{record.get_document_type_display()} {record.document_no}".strip()

    @classmethod
    def column_choices(cls) -> list[tuple[str, str]]:
        """(name, header) of every column a user can show or hide."""
        names = [name for name in cls.Meta.sequence if name not in FIXED_COLUMNS]
        return [(name, str(cls.base_columns[name].verbose_name or name.replace("_", " ").capitalize())) for name in names]

    def show_only(self, names, *, selectable: bool = True) -> None:
        """Show these columns (plus the row checkboxes when the user may act on rows), hide the rest."""
        wanted = set(names) | (set(FIXED_COLUMNS) if selectable else set())
        for name in self.columns.names():
            if name in wanted:
                self.columns.show(name)
            else:
                self.columns.hide(name)

