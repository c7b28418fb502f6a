"""The saved criteria table (subclassing crm.tables.BaseTable like every list page)."""

import django_tables2 as tables
from django.urls import reverse

from crm.tables import BaseTable

from .models import SavedSegmentCriteria

_NUMERIC = {"td": {"class": "numeric"}, "th": {"class": "numeric"}}


class SavedCriteriaTable(BaseTable):
    # Only the code sorts: it is the one indexed column (unique), and the list is short anyway.
    code = tables.Column("Code", linkify=lambda record: reverse("saved_criteria_detail", args=[record.pk]))
    description = tables.Column(orderable=False, default="—")
    step_count = tables.Column("Steps", orderable=False, attrs=_NUMERIC)
    user = tables.Column("Created by", accessor="user__username", orderable=False, default="—")
    created_at = tables.DateTimeColumn(verbose_name="Created", format="Y-m-d H:i", orderable=False)

    class Meta(BaseTable.Meta):
        model = SavedSegmentCriteria
        fields = ("code", "description", "step_count", "user", "created_at")
        order_by = ("code",)
        empty_text = "No saved criteria. Save a worksheet's steps with “Save criteria” on the worksheet."
