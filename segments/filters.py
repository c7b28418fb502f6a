"""Filters of the segment list pages: worksheets, logged segments, saved criteria."""

import django_filters
from django import forms
from django.db.models import Q

from crm.filters import ListFilterSet
from interactions.models import LoggedSegment

from .models import SavedSegmentCriteria, Segment


class SegmentFilter(ListFilterSet):
    no = django_filters.CharFilter(label="No.", lookup_expr="icontains")
    description = django_filters.CharFilter(label="Description contains", lookup_expr="icontains")
    template = django_filters.CharFilter(field_name="template__code", lookup_expr="iexact", label="Template (code)")
    salesperson = django_filters.CharFilter(
        field_name="salesperson__code", lookup_expr="iexact", label="Salesperson (code)"
    )

    class Meta:
        model = Segment
        fields: list[str] = []


DATE_WIDGET = forms.DateInput(attrs={"type": "date"})


class LoggedSegmentFilter(ListFilterSet):
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


class SavedCriteriaFilter(ListFilterSet):
    q = django_filters.CharFilter(label="Code or description contains", method="filter_text")

    class Meta:
        model = SavedSegmentCriteria
        fields: list[str] = []

    def filter_text(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(code__icontains=value) | Q(description__icontains=value))
