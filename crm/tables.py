"""django-tables2 tables. Every list page's table subclasses BaseTable (one template, one look)."""

import django_tables2 as tables

from .models import Contact, SalesDocument


class BaseTable(tables.Table):
    class Meta:
        template_name = "includes/table.html"
        attrs = {"class": "table"}
        empty_text = "Nothing matches these filters."


class ContactTable(BaseTable):
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

    class Meta(BaseTable.Meta):
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
            "no", "kind", "date", "contact_no", "contact", "your_reference", "salesperson", "printed_versions",
            "no_printed",
        )
        order_by = ("-date",)
