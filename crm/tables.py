"""The crm list pages' tables. Every list page's table in the product subclasses BaseTable."""

import functools
from collections.abc import Callable
from typing import Any

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import conditional_escape, escape, format_html
from django.utils.safestring import mark_safe
from django_tables2.utils import AttributeDict, computed_values

from .models import AuditEvent, Contact, SalesDocument

_PK_MARKER = 987654321


@functools.cache
def url_format(name: str) -> str:
    """The path of the URL `name` (one `pk` argument) as a format string with `{}` for the pk: a fast table body
    links every row, and formatting a string is far cheaper than a `reverse()` per cell."""
    return reverse(name, args=[_PK_MARKER]).replace(str(_PK_MARKER), "{}")


class BaseTable(tables.Table):
    """The base of every list page's table: one template (includes/table.html), one look.

    A table that shows many rows at a time may name one plain function per column in `cell_html` (record ->
    escaped HTML of the cell); its body is then rendered by `body_html`, without django-tables2's per-cell
    machinery (accessor resolution, signature inspection and attribute computation for every cell), which
    dominates the render time of a 50-row page (docs/PERFORMANCE.md). Headers, sorting and pagination stay
    django-tables2's, and rows carry their own attributes through `Meta.row_attrs` in both cases.
    """

    cell_html: dict[str, Callable[[Any], str]] = {}

    class Meta:
        template_name = "includes/table.html"
        attrs = {"class": "table"}
        empty_text = "Nothing matches these filters."

    def body_html(self) -> str:
        opening = []
        renderers = []
        for column in self.columns:
            css = column.column.attrs.get("td", {}).get("class")
            opening.append(f'<td class="{css}">' if css else "<td>")
            renderers.append(self.cell_html[column.name])
        cells = list(zip(opening, renderers, strict=True))
        row_attrs = self.row_attrs
        html = []
        for row in self.paginated_rows:
            record = row.record
            attrs = AttributeDict(computed_values(row_attrs, kwargs={"record": record})).as_html() if row_attrs else ""
            html.append(f"<tr {attrs}>" if attrs else "<tr>")
            for open_tag, render in cells:
                html.append(open_tag)
                html.append(render(record))
                html.append("</td>")
            html.append("</tr>\n")
        return mark_safe("".join(html))


def contact_history_rows(entries, *, with_contact: bool) -> str:
    """The rows of a contact page's interaction history (templates/crm/contact_detail.html), the HTML its template
    loop gave character for character, written out like a BaseTable body: the template engine's lookups and filters
    for 50 rows of 7 cells were a quarter of the page's time (docs/PERFORMANCE.md, Throughput at saturation)."""
    detail = url_format("interactions:interaction_detail")
    html = []
    for entry in entries:
        canceled = entry.canceled
        badges = (' <span class="badge">Canceled</span>' if canceled else "") + (
            ' <span class="badge error">Delivery error</span>' if entry.delivery_status == "error" else ""
        )
        template = conditional_escape(entry.template.code or "") if entry.template_id else ""
        contact = f"<td>{conditional_escape(entry.contact.name or '') if entry.contact_id else ''}</td>"
        document = f" · {conditional_escape(entry.document_no)}" if entry.document_no else ""
        salesperson = conditional_escape(entry.salesperson.code or "") if entry.salesperson_id else ""
        html.append(
            f'\n  <tr class="{"is-canceled" if canceled else ""}">\n'
            f"    <td>{entry.date.isoformat() if entry.date else ''}</td>"
            f"<td>{conditional_escape(entry.description)}{badges}</td>\n"
            f"    <td>{template}</td>{contact if with_contact else ''}\n"
            f"    <td>{conditional_escape(entry.get_correspondence_type_display())}{document}</td>"
            f"<td>{salesperson}</td>\n"
            f'    <td><a href="{detail.format(entry.pk)}">{entry.pk}</a></td>\n'
            "  </tr>\n  "
        )
    return mark_safe("".join(html))


def _date(value) -> str:
    return f"{value:%Y-%m-%d}" if value else "—"


def _contact_link(contact, text) -> str:
    return format_html('<a href="{}">{}</a>', url_format("crm:contact_detail").format(contact.pk), text)


class ContactTable(BaseTable):
    no = tables.Column("No.", linkify=True)
    name = tables.Column(linkify=True)
    type = tables.Column()
    company = tables.Column("Company", accessor="company__name", order_by=("company__name",), orderable=False)
    city = tables.Column()
    post_code = tables.Column("Post code")
    country_code = tables.Column("Country")
    email = tables.EmailColumn(verbose_name="E-mail", orderable=False)
    phone = tables.Column(orderable=False, attrs={"td": {"class": "nowrap"}})
    salesperson = tables.Column("Salesperson", accessor="salesperson__code", orderable=False)

    # The interaction summary (crm.interaction_summary), hidden unless the page asks for it (?columns=interactions);
    # the view sets record.interaction_summary for the page's rows only.
    INTERACTION_COLUMNS = (
        "interaction_count",
        "interaction_cost",
        "interaction_duration",
        "last_interaction",
        "last_attempted",
    )
    _numeric = {"td": {"class": "numeric"}, "th": {"class": "numeric"}}
    interaction_count = tables.Column("Interactions", empty_values=(), orderable=False, visible=False, attrs=_numeric)
    interaction_cost = tables.Column("Cost", empty_values=(), orderable=False, visible=False, attrs=_numeric)
    interaction_duration = tables.Column(
        "Duration (min.)", empty_values=(), orderable=False, visible=False, attrs=_numeric
    )
    last_interaction = tables.Column("Last interaction", empty_values=(), orderable=False, visible=False)
    last_attempted = tables.Column("Last attempted", empty_values=(), orderable=False, visible=False)

    cell_html = {
        "interaction_count": lambda c: f"{c.interaction_summary.count:,}",
        "interaction_cost": lambda c: f"{c.interaction_summary.cost:,.2f}",
        "interaction_duration": lambda c: f"{c.interaction_summary.duration_minutes:,}",
        "last_interaction": lambda c: _date(c.interaction_summary.last_interaction),
        "last_attempted": lambda c: _date(c.interaction_summary.last_attempted),
        "no": lambda c: _contact_link(c, c.no),
        "name": lambda c: _contact_link(c, c.name),
        "type": lambda c: escape(c.get_type_display()),
        "company": lambda c: escape(c.company.name) if c.company_id else "—",
        "city": lambda c: escape(c.city),
        "post_code": lambda c: escape(c.post_code),
        "country_code": lambda c: escape(c.country_code),
        "email": lambda c: format_html('<a href="mailto:{0}">{0}</a>', c.email) if c.email else "",
        "phone": lambda c: escape(c.phone),
        "salesperson": lambda c: escape(c.salesperson.code) if c.salesperson_id else "—",
    }

    class Meta(BaseTable.Meta):
        model = Contact
        fields = ("no", "name", "type", "company", "city", "post_code", "country_code", "email", "phone", "salesperson")
        order_by = ("no",)

    def show_interaction_columns(self) -> None:
        for name in self.INTERACTION_COLUMNS:
            self.columns.show(name)


class SalesDocumentTable(BaseTable):
    _numeric = {"td": {"class": "numeric"}, "th": {"class": "numeric"}}

    no = tables.Column("No.", linkify=True)
    kind = tables.Column("Type")
    date = tables.DateColumn(format="Y-m-d")
    contact_no = tables.Column("Contact no.", accessor="contact__no", orderable=False)
    contact = tables.Column(
        "Bill-to contact",
        accessor="contact__name",
        orderable=False,
        linkify=lambda record: record.contact.get_absolute_url(),
    )
    your_reference = tables.Column("Your reference", orderable=False)
    salesperson = tables.Column("Salesperson", accessor="salesperson__code", orderable=False)
    printed_versions = tables.Column("Versions", orderable=False, attrs=_numeric)
    no_printed = tables.Column("Printed", orderable=False, attrs=_numeric)

    class Meta(BaseTable.Meta):
        model = SalesDocument
        fields = (
            "no",
            "kind",
            "date",
            "contact_no",
            "contact",
            "your_reference",
            "salesperson",
            "printed_versions",
            "no_printed",
        )
        order_by = ("-date",)


def _detail_words(item) -> str:
    """One value of an old audit row's details in words: a list of field names as "personal note, phone"."""
    if isinstance(item, (list, tuple)):
        return ", ".join(str(part).replace("_", " ") for part in item)
    return str(item)


class AuditEventTable(BaseTable):
    created_at = tables.DateTimeColumn(verbose_name="When", format="Y-m-d H:i:s")
    action = tables.Column(orderable=False)
    user = tables.Column("User", accessor="user__username", orderable=False, default="—")
    object_repr = tables.TemplateColumn(
        '{% if record.object_url %}<a href="{{ record.object_url }}">{{ record.object_repr }}</a>'
        "{% else %}{{ record.object_repr }}{% endif %}",
        verbose_name="What",
        orderable=False,
    )
    count = tables.Column("Records", orderable=False, attrs={"td": {"class": "numeric"}})
    summary = tables.Column("What happened", orderable=False, empty_values=())

    class Meta(BaseTable.Meta):
        model = AuditEvent
        fields = ("created_at", "action", "user", "object_repr", "count", "summary")
        order_by = ("-created_at",)

    def render_count(self, value):
        return f"{value:,}"

    def render_summary(self, value, record):
        # Rows written before the services said what they did in words have only their details.
        if value:
            return value
        details = record.details or {}
        return "; ".join(f"{key.replace('_', ' ')}: {_detail_words(item)}" for key, item in details.items()) or "—"
