"""The saved criteria list's filter: one text box over code and description."""

import django_filters
from django.db.models import Q

from .models import SavedSegmentCriteria


class SavedCriteriaFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label="Code or description contains", method="filter_text")

    class Meta:
        model = SavedSegmentCriteria
        fields: list[str] = []

    def filter_text(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(code__icontains=value) | Q(description__icontains=value))
