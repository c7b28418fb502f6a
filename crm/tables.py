"""django-tables2 tables. Every list page's table subclasses BaseTable (one template, one look)."""

import django_tables2 as tables
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe

from .models import Contact, SalesDocument


class BaseTable(tables.Table):
    class Meta:
        template_name = "includes/table.html"
        attrs = {"class": "table"}
        empty_text = "Nothing matches these filters."


class FastRowsTable(BaseTable):
    """Renders its body with one plain function per cell (`cell_html`), instead of django-tables2's per-cell
    machinery, which costs about a millisecond per row; headers, sorting and pagination stay django-tables2's."""

    cell_html: dict = {}

    class Meta(BaseTable.Meta):
        template_name = "includes/fast_table.html"

    def body_html(self) -> str:
        renderers = [
            (self.cell_html[column.name], column.column.attrs.get("td", {}).get("class")) for column in self.columns
        ]
        rows = []
        for record in (row.record for row in self.paginated_rows):
            cells = "".join(
                f'<td class="{css}">{render(record)}</td>' if css else f"<td>{render(record)}</td>"
                for render, css in renderers
            )
            rows.append(f"<tr>{cells}</tr>")
        return mark_safe("".join(rows))


def _contact_link(contact, text) -> str:
    return format_html('<a href="/contacts/{}/">{}</a>', contact.pk, text)


class ContactTable(FastRowsTable):
    no = tables.Column("No.", linkify=True)
    name = tables.Column(linkify=True)
    type = tables.Column()
    company = tables.Column("Company", accessor="company__name", order_by=("company__name",), orderable=False)
    city = tables.Column()
    post_code = tables.Column("Post code")
    country_code = tables.Column("Country")
    email = tables.EmailColumn(verbose_name="E-mail", orderable=False)
    phone = tables.Column(orderable=False)
    salesperson = tables.Column("Salesperson", accessor="salesperson__code", orderable=False)

    cell_html = {
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

    class Meta(FastRowsTable.Meta):
        model = Contact
        fields = ("no", "name", "type", "company", "city", "post_code", "country_code", "email", "phone", "salesperson")
        order_by = ("no",)


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
