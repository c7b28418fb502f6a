"""Filters of the segment list pages: worksheets, logged segments, saved criteria, and a worksheet's lines."""

import django_filters
from django import forms
from django.db.models import Q
from django.db.models.expressions import RawSQL

from crm.filters import ContainsFilter, ListFilterSet
from crm.models import CorrespondenceType
from interactions.models import LoggedSegment

from .models import SavedSegmentCriteria, Segment, SegmentLine
from .services.entry_insert_sql import email_lines_without_address_sql, resolved_line_ids_sql


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
    q = ContainsFilter(label="Code or description contains", fields=("code", "description"))

    class Meta:
        model = SavedSegmentCriteria
        fields: list[str] = []


YES_NO = [("yes", "Yes"), ("no", "No")]


class SegmentLineFilter(ListFilterSet):
    """A worksheet's lines (docs/BEHAVIOUR.md §6): search by contact number or name, and filters on what the line
    carries and on what it resolves to, as the worksheet shows it (correspondence type, language: the logging SQL's
    own resolution, `resolved_line_ids_sql`). Bound to one `segment`."""

    q = django_filters.CharFilter(label="Contact no. or name", method="filter_text")
    has_note = django_filters.ChoiceFilter(
        label="Personal note", choices=YES_NO, empty_label="Any", method="filter_has_note"
    )
    has_letter = django_filters.ChoiceFilter(
        label="Own letter", choices=YES_NO, empty_label="Any", method="filter_has_letter"
    )
    correspondence_type = django_filters.ChoiceFilter(
        label="Correspondence",
        choices=[
            (CorrespondenceType.EMAIL.value, "E-mail"),
            (CorrespondenceType.HARD_COPY.value, "Hard copy"),
            ("none", "None"),
        ],
        empty_label="Any",
        method="filter_correspondence_type",
    )
    no_email = django_filters.ChoiceFilter(
        label="No e-mail address", choices=YES_NO, empty_label="Any", method="filter_no_email"
    )
    cannot_send = django_filters.ChoiceFilter(
        label="E-mail without an address",
        choices=[("yes", "Yes")],
        empty_label="Any",
        method="filter_cannot_send",
    )
    language = django_filters.CharFilter(label="Language", method="filter_language")

    class Meta:
        model = SegmentLine
        fields: list[str] = []

    def __init__(self, *args, segment: Segment, **kwargs):
        self.segment = segment
        super().__init__(*args, **kwargs)

    def filter_text(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(contact__no__istartswith=value) | Q(contact__name__icontains=value))

    def filter_has_note(self, queryset, name, value):
        return queryset.exclude(personal_note="") if value == "yes" else queryset.filter(personal_note="")

    def filter_has_letter(self, queryset, name, value):
        return queryset.filter(letter__isnull=value != "yes")

    def filter_no_email(self, queryset, name, value):
        return queryset.filter(contact__email="") if value == "yes" else queryset.exclude(contact__email="")

    def filter_correspondence_type(self, queryset, name, value):
        sql, params = resolved_line_ids_sql(self.segment, correspondence_type="" if value == "none" else value)
        return queryset.filter(pk__in=RawSQL(sql, params))

    def filter_language(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        sql, params = resolved_line_ids_sql(self.segment, language_code=value)
        return queryset.filter(pk__in=RawSQL(sql, params))

    def filter_cannot_send(self, queryset, name, value):
        sql, params = email_lines_without_address_sql(self.segment)
        return queryset.filter(pk__in=RawSQL(sql, params))
