"""The sales document list's filters: type, bill-to contact no., date range, document no."""

import django_filters
from django import forms

from .models import SalesDocument


class SalesDocumentFilterForm(forms.Form):
    def clean(self):
        cleaned = super().clean()
        after, before = cleaned.get("date_after"), cleaned.get("date_before")
        if after and before and after > before:
            self.add_error("date_before", "The end date is before the start date.")
        return cleaned


class SalesDocumentFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(label="Type", choices=SalesDocument.Kind.choices, empty_label="Any")
    no = django_filters.CharFilter(label="No. contains", lookup_expr="icontains")
    contact = django_filters.CharFilter(label="Bill-to contact no.", field_name="contact__no", lookup_expr="iexact")
    date_after = django_filters.DateFilter(
        label="Date from", field_name="date", lookup_expr="gte", widget=forms.DateInput(attrs={"type": "date"})
    )
    date_before = django_filters.DateFilter(
        label="Date to", field_name="date", lookup_expr="lte", widget=forms.DateInput(attrs={"type": "date"})
    )

    class Meta:
        model = SalesDocument
        fields: list[str] = []
        form = SalesDocumentFilterForm
