"""The audit trail page: who changed what, newest first."""

from ..filters import AuditEventFilter
from ..models import AuditEvent
from ..tables import AuditEventTable
from .lists import ListPageView


class AuditEventListView(ListPageView):
    permission = "crm.view_auditevent"
    table_class = AuditEventTable
    filterset_class = AuditEventFilter
    template_name = "crm/audit_list.html"

    def get_queryset(self):
        return AuditEvent.objects.select_related("user")
