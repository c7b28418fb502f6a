"""The Interaction Log Entries table: Business Central's columns, a default set shown, the rest chosen per page.

Only columns backed by an index are orderable (entry no. = primary key, date = ile_date_id, description =
ile_description): a sort the database cannot read off an index would sort a million rows for every page.
"""

import django_tables2 as tables
from django.utils.html import escape
from django.utils.safestring import mark_safe

from crm.models import CorrespondenceType
from crm.tables import BaseTable, url_format
from crm.wording import money

from .models import DeliveryStatus, DocumentType, Evaluation, InformationFlow, InitiatedBy, InteractionLogEntry

# Shown unless the page asks for other columns with ?columns=…
DEFAULT_COLUMNS = (
    "canceled",
    "delivery_status",
    "date",
    "correspondence_type",
    "template",
    "description",
    "attachment",
    "contact",
    "company",
    "salesperson",
    "entry_no",
)
CANCELED_BADGE = mark_safe('<span class="badge">Canceled</span>')
FAILED_BADGE = mark_safe('<span class="badge warn">Failed</span>')
IN_PROGRESS_BADGE = mark_safe('<span class="badge info">In progress</span>')
SENDING_BADGE = mark_safe('<span class="badge info">Sending</span>')
# Always there, whatever is chosen.
FIXED_COLUMNS = ("select",)


def _text(value) -> str:
    return escape(value) if value else ""


def _link(url: str, text) -> str:
    return f'<a href="{url}">{escape(text)}</a>' if text else ""


def _delivery(entry) -> str:
    if entry.delivery_status == DeliveryStatus.ERROR:
        return f'<span class="badge error" title="{escape(entry.delivery_error)}">Error</span>'
    if entry.delivery_status == DeliveryStatus.IN_PROGRESS:
        return IN_PROGRESS_BADGE
    if entry.delivery_status == DeliveryStatus.SENDING:
        return SENDING_BADGE
    return ""


def _document(entry) -> str:
    if not entry.document_type:
        return ""
    return escape(f"{DOCUMENT_TYPES.get(entry.document_type, entry.document_type)} {entry.document_no}".strip())


CORRESPONDENCE_TYPES = dict(CorrespondenceType.choices)
EVALUATIONS = dict(Evaluation.choices)
FLOWS = dict(InformationFlow.choices)
INITIATORS = dict(InitiatedBy.choices)
DOCUMENT_TYPES = dict(DocumentType.choices)

# One function per column: entry -> escaped HTML of its cell.
CELLS = {
    "select": lambda e: (
        f'<input type="checkbox" name="ids" value="{e.pk}" form="bulk-actions" aria-label="Select entry {e.pk}">'
    ),
    "canceled": lambda e: CANCELED_BADGE if e.canceled else "",
    "attempt_failed": lambda e: FAILED_BADGE if e.attempt_failed else "",
    "delivery_status": _delivery,
    "date": lambda e: e.date.isoformat(),
    "time": lambda e: e.time.strftime("%H:%M") if e.time else "",
    "correspondence_type": lambda e: (
        CORRESPONDENCE_TYPES.get(e.correspondence_type, "") if e.correspondence_type else ""
    ),
    "group": lambda e: _text(e.group.code) if e.group_id else "",
    "template": lambda e: _text(e.template.code) if e.template_id else "",
    "description": lambda e: _link(
        url_format("interactions:interaction_detail").format(e.pk), e.description or f"Entry {e.pk}"
    ),
    "attachment": lambda e: (
        f'<a href="{url_format("interactions:interaction_document").format(e.pk)}" download>Download</a>'
        if e.document_id or e.merge_template_id
        else ""
    ),
    "information_flow": lambda e: FLOWS.get(e.information_flow, "") if e.information_flow else "",
    "initiated_by": lambda e: INITIATORS.get(e.initiated_by, "") if e.initiated_by else "",
    "contact": lambda e: (
        _link(url_format("crm:contact_detail").format(e.contact_id), e.contact.name) if e.contact_id else ""
    ),
    "company": lambda e: (
        _link(url_format("crm:contact_detail").format(e.contact_company_id), e.contact_company.name)
        if e.contact_company_id
        else ""
    ),
    "evaluation": lambda e: EVALUATIONS.get(e.evaluation, "") if e.evaluation else "",
    "cost": lambda e: money(e.cost),
    "duration_minutes": lambda e: f"{e.duration_minutes:,}",
    "salesperson": lambda e: _text(e.salesperson.code) if e.salesperson_id else "",
    "user": lambda e: _text(e.user.username) if e.user_id else "",
    "segment_no": lambda e: _text(e.segment_no),
    "document": _document,
    "entry_no": lambda e: f'<a href="{url_format("interactions:interaction_detail").format(e.pk)}">{e.pk}</a>',
}


class LogEntryTable(BaseTable):
    select = tables.CheckBoxColumn(
        accessor="pk",
        attrs={
            "th__input": {
                "data-select-all": "ids",
                "aria-label": "Select all entries on this page",
                "form": "bulk-actions",
            },
            "td__input": {
                "name": "ids",
                "form": "bulk-actions",
                "aria-label": lambda record: f"Select entry {record.pk}",
            },
            "th": {"class": "select"},
            "td": {"class": "select"},
        },
    )
    canceled = tables.Column("Canceled", orderable=False, empty_values=())
    attempt_failed = tables.Column("Attempt failed", orderable=False, empty_values=())
    delivery_status = tables.Column("Delivery", orderable=False, empty_values=())
    date = tables.DateColumn(format="Y-m-d", order_by=("date", "id"), attrs={"td": {"class": "nowrap"}})
    time = tables.TimeColumn(format="H:i", orderable=False)
    correspondence_type = tables.Column("Type", orderable=False, attrs={"td": {"class": "nowrap"}})
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
        "Entry no.",
        accessor="pk",
        order_by=("id",),
        linkify=True,
        attrs={"td": {"class": "numeric"}, "th": {"class": "numeric"}},
    )

    class Meta(BaseTable.Meta):
        model = InteractionLogEntry
        fields: tuple = ()
        sequence = (
            "select",
            "canceled",
            "attempt_failed",
            "delivery_status",
            "date",
            "time",
            "correspondence_type",
            "group",
            "template",
            "description",
            "attachment",
            "information_flow",
            "initiated_by",
            "contact",
            "company",
            "evaluation",
            "cost",
            "duration_minutes",
            "salesperson",
            "user",
            "segment_no",
            "document",
            "entry_no",
        )
        # Newest first by date: every related filter has a (column, date) index, so a filtered page reads its
        # rows in this order straight off an index (ordering by id would sort all of a template's entries).
        order_by = ("-date",)
        row_attrs = {"class": lambda record: "is-canceled" if record.canceled else None}

    # One function per column (see BaseTable): at 50 rows x 12 columns django-tables2's per-cell work was most
    # of the page's time (docs/PERFORMANCE.md).
    cell_html = CELLS

    @classmethod
    def column_choices(cls) -> list[tuple[str, str]]:
        """(name, header) of every column a user can show or hide."""
        names = [name for name in cls.Meta.sequence if name not in FIXED_COLUMNS]
        return [
            (name, str(cls.base_columns[name].verbose_name or name.replace("_", " ").capitalize())) for name in names
        ]

    def show_only(self, names, *, selectable: bool = True) -> None:
        """Show these columns (plus the row checkboxes when the user may act on rows), hide the rest."""
        wanted = set(names) | (set(FIXED_COLUMNS) if selectable else set())
        for name in self.columns.names():
            if name in wanted:
                self.columns.show(name)
            else:
                self.columns.hide(name)


class PostponedEntryTable(BaseTable):
    """Postponed Interactions: what was saved with "Finish later", newest first (the index ile_postponed_user)."""

    entry_no = tables.Column("Entry no.", accessor="pk", orderable=False)
    date = tables.DateColumn(format="Y-m-d", orderable=False)
    template = tables.Column("Template", accessor="template__code", orderable=False, default="—")
    description = tables.Column(orderable=False)
    contact = tables.Column("Contact", accessor="contact__name", orderable=False, default="—")
    user = tables.Column("Postponed by", accessor="user__username", orderable=False, default="—")
    actions = tables.TemplateColumn(
        template_name="interactions/_postponed_actions.html", verbose_name="", orderable=False
    )

    class Meta(BaseTable.Meta):
        model = InteractionLogEntry
        fields = ("entry_no", "date", "template", "description", "contact", "user", "actions")
        empty_text = "No postponed interactions. “Finish later” on Create interaction puts one here."
