"""Forms of the interactions pages (creating one interaction, the log entries' bulk actions, statistics):
validation only; the services decide and save."""

import datetime

from django import forms
from django.utils import timezone

from crm.forms import ContactNoField
from crm.ids import parse_id
from crm.models import Contact, CorrespondenceType, Salesperson

from .letters import attachment_kind
from .models import Evaluation, InformationFlow, InitiatedBy, InteractionTemplate
from .validators import PERSONAL_NOTE_MAX_LENGTH

AUTOMATIC = ""
# Blank means "as the template (and the contact's preference) say"; "none" is an explicit "not sent".
CORRESPONDENCE_CHOICES = [
    (AUTOMATIC, "As the template says (blank without a letter)"),
    ("none", "None"),
    (CorrespondenceType.HARD_COPY, "Hard copy"),
    (CorrespondenceType.EMAIL, "E-mail (sends the letter now)"),
]
FROM_TEMPLATE = [("", "As the template says")]


class TemplateSelect(forms.Select):
    """Each option carries what the page script needs: the kind of letter and the default description."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.template_info: dict[str, dict[str, str]] = {}

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        info = self.template_info.get(str(getattr(value, "value", value)))
        if info:
            option["attrs"].update({"data-kind": info["kind"], "data-description": info["description"]})
        return option


class InteractionCreateForm(forms.Form):
    # Typed (number, or name with suggestions), never a <select>: there may be a million contacts.
    contact = ContactNoField(
        label="Contact no.",
        help_text="Type the contact's number, or part of its name to choose from suggestions; e.g. CT000001.",
        error_messages={"required": "You must select a contact to interact with."},
    )
    template = forms.ModelChoiceField(
        queryset=InteractionTemplate.objects.select_related("group").order_by("code"),
        label="Interaction template",
        required=False,
        widget=TemplateSelect,
        empty_label="Choose a template…",
    )
    description = forms.CharField(max_length=100, required=False)
    personal_note = forms.CharField(
        required=False,
        max_length=PERSONAL_NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Goes into the letter where the template has {{ personal_note }}.",
    )
    salesperson = forms.ModelChoiceField(queryset=Salesperson.objects.order_by("code"), required=False)
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    time = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    correspondence_type = forms.ChoiceField(choices=CORRESPONDENCE_CHOICES, required=False)
    information_flow = forms.ChoiceField(choices=FROM_TEMPLATE + InformationFlow.choices[1:], required=False)
    initiated_by = forms.ChoiceField(choices=FROM_TEMPLATE + InitiatedBy.choices[1:], required=False)
    evaluation = forms.ChoiceField(choices=Evaluation.choices, required=False)
    was_successful = forms.BooleanField(required=False, initial=True)
    cost = forms.DecimalField(
        required=False, min_value=0, max_digits=12, decimal_places=2, help_text="Blank: the template's unit cost."
    )
    duration_minutes = forms.IntegerField(
        label="Duration (min.)", required=False, min_value=0, help_text="Blank: the template's unit duration."
    )
    language_code = forms.CharField(
        label="Language",
        max_length=10,
        required=False,
        help_text="Blank: the contact's language if the template has it, else the template's.",
    )

    # The contact (typed, or fixed by the contact's page) and these come first; every other field is shown under
    # "Show more", in the order declared above, as in Business Central (docs/BEHAVIOUR.md §2).
    MAIN_FIELDS = ("template", "description", "personal_note")

    def __init__(self, *args, contact: Contact | None = None, user=None, **kwargs):
        initial = kwargs.setdefault("initial", {})
        now = timezone.localtime()
        initial.setdefault("date", now.date())
        initial.setdefault("time", now.time().replace(second=0, microsecond=0))
        initial.setdefault("was_successful", True)
        if contact is not None:
            initial.setdefault("contact", contact.no)
            own = Salesperson.objects.filter(user=user).first() if user is not None else None
            initial.setdefault("salesperson", own or contact.salesperson)
        super().__init__(*args, **kwargs)
        self.fixed_contact = contact
        if contact is not None:
            self.fields["contact"].widget = forms.HiddenInput()
        templates = list(self.fields["template"].queryset)
        widget = self.fields["template"].widget
        widget.template_info = {
            str(t.pk): {
                "kind": attachment_kind(t.attachment.name) if t.attachment else "",
                "description": t.description,
            }
            for t in templates
        }
        self.fields["template"].choices = [("", "Choose a template…")] + [(t.pk, self._label(t)) for t in templates]

    @staticmethod
    def _label(template: InteractionTemplate) -> str:
        kind = attachment_kind(template.attachment.name) if template.attachment else ""
        suffix = {"docx": " · Word letter", "html": " · e-mail body"}.get(kind, "")
        return f"{template.code} – {template.description}{suffix}"

    def clean_contact(self):
        contact = self.cleaned_data["contact"]
        if self.fixed_contact is not None and contact.pk != self.fixed_contact.pk:
            raise forms.ValidationError("The contact does not match the page.")
        return contact

    def clean_language_code(self):
        return self.cleaned_data["language_code"].strip()

    @property
    def main_fields(self):
        return [self[name] for name in self.MAIN_FIELDS]

    @property
    def more_fields(self):
        return [self[name] for name in self.fields if name != "contact" and name not in self.MAIN_FIELDS]

    @property
    def more_has_errors(self) -> bool:
        return any(field.errors for field in self.more_fields)

    def service_arguments(self) -> dict:
        """Keyword arguments for interaction_create / interaction_preview. None means "the default"."""
        data = self.cleaned_data
        correspondence_type = data.get("correspondence_type") or None
        if correspondence_type == "none":
            correspondence_type = CorrespondenceType.BLANK
        return {
            "contact": data["contact"],
            "template": data.get("template"),
            "description": data.get("description", ""),
            "salesperson": data.get("salesperson"),
            "date": data.get("date"),
            "time": data.get("time"),
            "correspondence_type": correspondence_type,
            "information_flow": data.get("information_flow") or None,
            "initiated_by": data.get("initiated_by") or None,
            "evaluation": data.get("evaluation") or None,
            "attempt_failed": not data.get("was_successful"),
            "cost": data.get("cost"),
            "duration_minutes": data.get("duration_minutes"),
            "language_code": data.get("language_code") or None,
            "personal_note": data.get("personal_note") or None,
        }


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
    # Canceling: also remove the letters that one entry alone has (reference 2.12; default no, as BC's question).
    remove_letters = forms.BooleanField(required=False)

    def __init__(self, data=None, *args, **kwargs):
        super().__init__(data, *args, **kwargs)
        self._raw_ids = data.getlist("ids") if data is not None and hasattr(data, "getlist") else []

    def clean_ids(self) -> list[int]:
        ids: list[int] = []
        for raw in self._raw_ids:
            value = parse_id(raw)
            if value is None:
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


# --- the contact's actions: call, e-mail, cover sheet (docs/BEHAVIOUR.md §10) -------------------------------------
# Presence and content are the services' to check (interaction_log_call, interaction_send_email, cover_sheet_print),
# so their messages, in the reference's words, are the ones shown.

CALL_OUTCOMES = [("successful", "Successful"), ("failed", "Attempt failed (no answer, busy)")]


class CallForm(forms.Form):
    phone_no = forms.ChoiceField(label="Number called", widget=forms.RadioSelect, required=False)
    description = forms.CharField(max_length=100, required=False)
    duration_minutes = forms.IntegerField(label="Duration (min.)", min_value=0, max_value=24 * 60, required=False)
    outcome = forms.ChoiceField(choices=CALL_OUTCOMES, initial="successful", widget=forms.RadioSelect)
    evaluation = forms.ChoiceField(choices=Evaluation.choices, required=False)

    def __init__(self, *args, numbers: list[str], template=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["phone_no"].choices = [(number, number) for number in numbers]
        if numbers:
            self.fields["phone_no"].initial = numbers[0]
        if template is not None:
            self.fields["description"].initial = template.description
            self.fields["duration_minutes"].initial = template.unit_duration_minutes

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "phone_no": data["phone_no"] or None,
            "description": data["description"],
            "duration_minutes": data["duration_minutes"],
            "attempt_failed": data["outcome"] == "failed",
            "evaluation": data["evaluation"],
        }


class EmailForm(forms.Form):
    to = forms.CharField(
        label="To", max_length=2000, required=False, help_text="Several addresses: separate them with commas."
    )
    subject = forms.CharField(max_length=200, required=False)
    body = forms.CharField(label="Text", widget=forms.Textarea(attrs={"rows": 12}), required=False)
    attachment = forms.FileField(required=False)

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {key: data[key] for key in ("to", "subject", "body", "attachment")}


class CoverSheetForm(forms.Form):
    text = forms.CharField(
        label="Text",
        widget=forms.Textarea(attrs={"rows": 10}),
        required=False,
        help_text="Printed below the address; at most 2,000 characters, so that it fits on one page.",
    )
