"""The Interaction Log Entries page's filters (also used by its CSV export and "delete canceled").

Related objects are typed as codes / numbers, never offered as a <select> (there may be a million contacts): a
contact with suggestions as you type (crm.forms.ContactPicker), a code from the list of codes (crm.forms.CodeListInput),
in any case.
The form resolves each code to its row once (one indexed lookup), so the entries are then filtered by id on
the composite indexes; an unknown code is a form error, never an empty page that looks like "no entries".
"""

import django_filters
from django import forms

from crm.filters import ContainsFilter, ListFilterSet, code_lookup, whole_id
from crm.forms import CodeListInput, ContactPicker
from crm.models import Contact, CorrespondenceType, Salesperson

from .models import (
    DeliveryStatus,
    DocumentType,
    Evaluation,
    InteractionGroup,
    InteractionLogEntry,
    InteractionTemplate,
    LoggedSegment,
)

DATE_WIDGET = forms.DateInput(attrs={"type": "date"})

# filter name -> (model, lookup field, what the error calls it)
RELATED_LOOKUPS = {
    "contact": (Contact, "no", "contact with the number"),
    "company": (Contact, "no", "company with the number"),
    "template": (InteractionTemplate, "code", "interaction template with the code"),
    "group": (InteractionGroup, "code", "interaction group with the code"),
    "salesperson": (Salesperson, "code", "salesperson with the code"),
}


def resolve_code(model, key: str, text: str):
    """The row with this code or number, whatever the case it was typed in. Contact numbers are stored in upper
    case and compared exactly (on the index of a big table); the small code tables match case-insensitively."""
    if model is Contact:
        return model.objects.filter(**{key: text.upper()}).first()
    return code_lookup(model, text, field=key)


class LogEntryFilterForm(forms.Form):
    def clean(self):
        cleaned = super().clean()
        for name, (model, key, label) in RELATED_LOOKUPS.items():
            text = (cleaned.get(name) or "").strip()
            if not text:
                continue
            found = resolve_code(model, key, text)
            if found is None:
                self.add_error(name, f"There is no {label} “{text}”.")
            elif name == "company" and found.type != Contact.Type.COMPANY:
                self.add_error(name, f"{found.no} {found.name} is a person, not a company. Use the contact filter.")
            else:
                cleaned[name] = found
        segment = cleaned.get("logged_segment")
        if segment is not None:
            pk = whole_id(segment)
            found = LoggedSegment.objects.filter(pk=pk).first() if pk is not None else None
            if found is None:
                self.add_error("logged_segment", f"There is no logged segment with the entry number {segment}.")
            else:
                cleaned["logged_segment"] = found
        after, before = cleaned.get("date_after"), cleaned.get("date_before")
        if after and before and after > before:
            self.add_error("date_before", "The end date is before the start date.")
        return cleaned


class RelatedCodeFilter(django_filters.CharFilter):
    """A code or number typed by the user; the form turns it into the row (see LogEntryFilterForm)."""

    def filter(self, qs, value):
        if value in (None, "") or isinstance(value, str):
            return qs  # unresolved: the form reported it
        return qs.filter(**{f"{self.field_name}_id": value.pk})


class LogEntryFilter(ListFilterSet):
    date_after = django_filters.DateFilter(field_name="date", lookup_expr="gte", label="From date", widget=DATE_WIDGET)
    date_before = django_filters.DateFilter(field_name="date", lookup_expr="lte", label="To date", widget=DATE_WIDGET)
    q = ContainsFilter(label="Description or subject contains", fields=("description", "subject"))
    contact = RelatedCodeFilter(field_name="contact", label="Contact no.", widget=ContactPicker())
    company = RelatedCodeFilter(
        field_name="contact_company", label="Company no.", widget=ContactPicker(companies_only=True)
    )
    template = RelatedCodeFilter(
        field_name="template", label="Template (code)", widget=CodeListInput("interactions.InteractionTemplate")
    )
    group = RelatedCodeFilter(
        field_name="group", label="Group (code)", widget=CodeListInput("interactions.InteractionGroup")
    )
    salesperson = RelatedCodeFilter(
        field_name="salesperson",
        label="Salesperson (code)",
        widget=CodeListInput("crm.Salesperson", label_field="name"),
    )
    canceled = django_filters.ChoiceFilter(
        method="filter_canceled", choices=[("no", "Not canceled"), ("yes", "Canceled")], empty_label="Any"
    )
    correspondence_type = django_filters.ChoiceFilter(
        choices=[c for c in CorrespondenceType.choices if c[0]] + [("none", "None")],
        method="filter_blankable",
        label="Correspondence type",
        empty_label="Any",
    )
    delivery_status = django_filters.ChoiceFilter(
        choices=[("done", "Done / not applicable"), *[c for c in DeliveryStatus.choices if c[0]]],
        method="filter_delivery_status",
        empty_label="Any",
    )
    evaluation = django_filters.ChoiceFilter(choices=[c for c in Evaluation.choices if c[0]], empty_label="Any")
    document_type = django_filters.ChoiceFilter(
        choices=[c for c in DocumentType.choices if c[0]], label="Document type", empty_label="Any"
    )
    document_no = django_filters.CharFilter(label="Document no.", method="filter_document_no")
    logged_segment = django_filters.NumberFilter(method="filter_logged_segment", label="Logged segment (entry no.)")

    class Meta:
        model = InteractionLogEntry
        fields: list[str] = []
        form = LogEntryFilterForm

    def filter_canceled(self, queryset, name, value):
        return queryset.filter(canceled=value == "yes")

    def filter_blankable(self, queryset, name, value):
        return queryset.filter(**{name: "" if value == "none" else value})

    def filter_delivery_status(self, queryset, name, value):
        return queryset.filter(delivery_status="" if value == "done" else value)

    def filter_document_no(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        # Spelled so that the partial index ile_document (document_type, document_no) WHERE document_type <> ''
        # serves it even without a type: SQLite only uses a partial index whose condition appears in the query.
        types = [kind for kind in DocumentType.values if kind]
        if not self.form.cleaned_data.get("document_type"):
            queryset = queryset.filter(document_type__in=types)
        return queryset.filter(document_no__in={value, value.upper()}).exclude(document_type="")

    def filter_logged_segment(self, queryset, name, value):
        if isinstance(value, LoggedSegment):
            return queryset.filter(logged_segment_id=value.pk)
        return queryset


class PostponedEntryFilter(ListFilterSet):
    q = ContainsFilter(label="Description contains", fields=("description",))

    class Meta:
        model = InteractionLogEntry
        fields: list[str] = []
