"""Filters of the Logged Segments page."""

import django_filters
from django import forms

from interactions.models import LoggedSegment

DATE_WIDGET = forms.DateInput(attrs={"type": "date"})


class LoggedSegmentFilter(django_filters.FilterSet):
    segment_no = django_filters.CharFilter(label="Segment no.", lookup_expr="iexact")
    description = django_filters.CharFilter(label="Description contains", lookup_expr="icontains")
    canceled = django_filters.ChoiceFilter(
        label="Canceled",
        choices=[("true", "Canceled"), ("false", "Not canceled")],
        empty_label="Any",
        method="filter_canceled",
    )
    created_after = django_filters.DateFilter(
        field_name="created_at", lookup_expr="date__gte", label="Created on or after", widget=DATE_WIDGET
    )
    created_before = django_filters.DateFilter(
        field_name="created_at", lookup_expr="date__lte", label="Created on or before", widget=DATE_WIDGET
    )

    class Meta:
        model = LoggedSegment
        fields: list[str] = []

    def filter_canceled(self, queryset, name, value):
        return queryset.filter(canceled=value == "true")
