import django_filters
import django_tables2 as tables
from django import forms
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin
from django_tables2.paginators import LazyPaginator

from ..access import require_perm
from ..models import AuditEvent
from ..tables import BaseTable


class AuditEventFilter(django_filters.FilterSet):
    action = django_filters.ChoiceFilter(choices=AuditEvent.Action.choices)
    user = django_filters.CharFilter(field_name="user__username", label="User name")
    after = django_filters.DateFilter(
        field_name="created_at", lookup_expr="date__gte", label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    before = django_filters.DateFilter(
        field_name="created_at", lookup_expr="date__lte", label="To", widget=forms.DateInput(attrs={"type": "date"})
    )

    class Meta:
        model = AuditEvent
        fields: list[str] = []


class AuditEventTable(BaseTable):
    created_at = tables.DateTimeColumn(verbose_name="When", format="Y-m-d H:i:s")
    action = tables.Column(orderable=False)
    user = tables.Column(accessor="user__username", orderable=False, default="—")
    object_repr = tables.TemplateColumn(
        '{% if record.object_url %}<a href="{{ record.object_url }}">{{ record.object_repr }}</a>'
        "{% else %}{{ record.object_repr }}{% endif %}",
        verbose_name="What",
        orderable=False,
    )
    count = tables.Column("Records", orderable=False, attrs={"td": {"class": "numeric"}})
    details = tables.Column(orderable=False)

    class Meta(BaseTable.Meta):
        model = AuditEvent
        fields = ("created_at", "action", "user", "object_repr", "count", "details")
        order_by = ("-created_at",)

    def render_details(self, value):
        return ", ".join(f"{key}: {item}" for key, item in value.items()) if value else "—"


class AuditEventListView(SingleTableMixin, FilterView):
    model = AuditEvent
    table_class = AuditEventTable
    filterset_class = AuditEventFilter
    template_name = "crm/audit_list.html"
    table_pagination = {"per_page": 50, "paginator_class": LazyPaginator}

    def dispatch(self, request, *args, **kwargs):
        require_perm(request, "crm.view_auditevent")
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        return AuditEvent.objects.select_related("user")
