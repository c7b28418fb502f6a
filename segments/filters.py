"""The worksheet list's filters."""

import django_filters

from .models import Segment


class SegmentFilter(django_filters.FilterSet):
    no = django_filters.CharFilter(label="No.", lookup_expr="icontains")
    description = django_filters.CharFilter(label="Description contains", lookup_expr="icontains")
    template = django_filters.CharFilter(field_name="template__code", lookup_expr="iexact", label="Template (code)")
    salesperson = django_filters.CharFilter(
        field_name="salesperson__code", lookup_expr="iexact", label="Salesperson (code)"
    )

    class Meta:
        model = Segment
        fields: list[str] = []
