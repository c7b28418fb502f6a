"""Forms of the Interaction Log Entries pages: validation only, the services do the work."""

import datetime

from django import forms
from django.utils.http import url_has_allowed_host_and_scheme

from .models import Evaluation

MAX_SELECTED = 10_000


class BulkActionForm(forms.Form):
    ACTIONS = [
        ("cancel", "Cancel"),
        ("uncancel", "Un-cancel"),
        ("switch_canceled", "Switch canceled"),
        ("evaluate", "Evaluate"),
        ("resend", "Resend e-mail"),
    ]

    action = forms.ChoiceField(choices=ACTIONS, error_messages={"required": "Choose an action."})
    ids = forms.CharField(required=False)  # replaced by the list of ids in clean_ids
    evaluation = forms.ChoiceField(choices=[c for c in Evaluation.choices if c[0]], required=False)
    next = forms.CharField(required=False)

    def __init__(self, data=None, *args, **kwargs):
        super().__init__(data, *args, **kwargs)
        self._raw_ids = data.getlist("ids") if data is not None and hasattr(data, "getlist") else []

    def clean_ids(self) -> list[int]:
        ids: list[int] = []
        for raw in self._raw_ids:
            try:
                value = int(raw)
            except (TypeError, ValueError):
                raise forms.ValidationError(f"“{raw}” is not an entry number.")
            if value not in ids:
                ids.append(value)  # keeps the order of the page: "switch" looks at the first selected row
        if not ids:
            raise forms.ValidationError("Select one or more entries first.")
        if len(ids) > MAX_SELECTED:
            raise forms.ValidationError(f"Select at most {MAX_SELECTED:,} entries at a time.")
        return ids

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("action") == "evaluate" and not cleaned.get("evaluation"):
            self.add_error("evaluation", "Choose an evaluation (very positive … very negative).")
        return cleaned

    def safe_next(self, request, default: str) -> str:
        target = self.cleaned_data.get("next") or ""
        if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            return target
        return default


class StatisticsForm(forms.Form):
    INTERVALS = [("auto", "Automatic"), ("week", "Week"), ("month", "Month")]

    date_after = forms.DateField(required=False, label="From date", widget=forms.DateInput(attrs={"type": "date"}))
    date_before = forms.DateField(required=False, label="To date", widget=forms.DateInput(attrs={"type": "date"}))
    interval = forms.ChoiceField(choices=INTERVALS, required=False, label="Chart by")

    def clean(self):
        cleaned = super().clean()
        after, before = cleaned.get("date_after"), cleaned.get("date_before")
        if after and before and after > before:
            self.add_error("date_before", "The end date is before the start date.")
        for name in ("date_after", "date_before"):
            value = cleaned.get(name)
            if value and not (datetime.date(1900, 1, 1) <= value <= datetime.date(2999, 12, 31)):
                self.add_error(name, "Enter a date between 1900 and 2999.")
        return cleaned
