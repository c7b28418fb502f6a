"""Forms of the worksheet page. They validate; the services in segments/services change things."""

from __future__ import annotations

from django import forms

from crm.filters import ContactFilter
from crm.forms import CodeListInput, ContactNoField, VersionedForm
from crm.models import Contact, MailingGroup
from interactions.models import LoggedSegment
from interactions.validators import PERSONAL_NOTE_MAX_LENGTH

from .models import SavedSegmentCriteria, Segment, SegmentCriteriaAction, SegmentLine
from .selectors import RECENT_LOGGED_SEGMENTS, recent_logged_segments
from .services.worksheet import HEADER_FIELDS, LINE_FIELDS

CRITERIA_PREFIX = "c"
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class SegmentHeaderForm(forms.ModelForm):
    class Meta:
        model = Segment
        fields = HEADER_FIELDS
        widgets = {"date": DATE_INPUT}
        help_texts = {
            "template": "Language, cost, duration, flow, correspondence type and subject default from it.",
            "ignore_contact_correspondence_type": "Use the correspondence type above for every line.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Left blank, these take the template's values (segment_create) or stay as they are.
        for name in ("unit_cost", "unit_duration_minutes"):
            self.fields[name].required = False

    def service_fields(self) -> dict:
        fields = {}
        for name in self.Meta.fields:
            value = self.cleaned_data.get(name)
            if name not in self.changed_data or (value is None and not Segment._meta.get_field(name).null):
                continue
            fields[name] = value
        return fields


class SegmentHeaderEditForm(VersionedForm, SegmentHeaderForm):
    push_to_lines = forms.BooleanField(
        required=False,
        label="Update the lines too",
        help_text=(
            "Lines that still use the header template drop their own values of the changed fields; you see which "
            "lines before anything is saved."
        ),
    )

    def service_fields(self) -> dict:
        # The header's changed fields (SegmentHeaderForm), not VersionedForm's every cleaned value, which would
        # pass "Update the lines too" and the unchanged fields to the services as header fields.
        return SegmentHeaderForm.service_fields(self)


def criteria_filter(data=None) -> ContactFilter:
    """The contact list's FilterSet as the worksheet's criteria form (prefixed: the header has fields of the
    same names on the same page)."""
    return ContactFilter(data=data, queryset=Contact.objects.none(), prefix=CRITERIA_PREFIX)


def criteria_from(data) -> dict[str, str]:
    """The non-empty criteria of a posted criteria form; validated once by the step (crm.filters.validate_criteria)."""
    criteria = {}
    for name in ContactFilter.base_filters:
        value = (data.get(f"{CRITERIA_PREFIX}-{name}") or "").strip()
        if value:
            criteria[name] = value
    return criteria


class CriteriaStepForm(forms.Form):
    ACTIONS = [
        (SegmentCriteriaAction.Action.ADD, "Add contacts"),
        (SegmentCriteriaAction.Action.REDUCE, "Reduce (remove the matches)"),
        (SegmentCriteriaAction.Action.REFINE, "Refine (keep only the matches)"),
    ]
    action = forms.ChoiceField(choices=ACTIONS, initial="add", widget=forms.RadioSelect)
    allow_existing = forms.BooleanField(required=False, help_text="Add contacts already on the segment again.")
    expand_companies = forms.BooleanField(required=False, help_text="Add all persons of each selected company.")
    allow_related_companies = forms.BooleanField(required=False, help_text="Add the company of each selected person.")
    ignore_exclusion = forms.BooleanField(required=False, help_text="Include contacts excluded from segments.")
    entire_companies = forms.BooleanField(
        required=False, help_text="Reduce / refine: a match takes its whole company (all persons and the company)."
    )

    ADD_OPTIONS = ("allow_existing", "expand_companies", "allow_related_companies", "ignore_exclusion")
    REMOVE_OPTIONS = ("entire_companies",)

    def options(self) -> dict[str, bool]:
        names = self.ADD_OPTIONS if self.cleaned_data["action"] == "add" else self.REMOVE_OPTIONS
        return {name: self.cleaned_data[name] for name in names}


class SaveCriteriaForm(forms.Form):
    code = forms.CharField(max_length=20)
    description = forms.CharField(max_length=100, required=False)


class ReuseCriteriaForm(forms.Form):
    saved = forms.ModelChoiceField(SavedSegmentCriteria.objects.all(), label="Saved criteria")
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)


class ReuseLoggedForm(forms.Form):
    logged_segment = forms.IntegerField(
        label="Logged segment (entry no.)",
        min_value=1,
        widget=CodeListInput(options=recent_logged_segments, attrs={"inputmode": "numeric"}),
        help_text=f"Choose one of the {RECENT_LOGGED_SEGMENTS} most recent, or type the entry no. of an older one.",
    )
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def clean_logged_segment(self):
        pk = self.cleaned_data["logged_segment"]
        logged = LoggedSegment.objects.filter(pk=pk).first()
        if logged is None:
            raise forms.ValidationError(f"There is no logged segment with the entry no. {pk}.")
        return logged


class ApplyMailingGroupForm(forms.Form):
    mailing_group = forms.ModelChoiceField(
        MailingGroup.objects.order_by("code"),
        label="Mailing group",
        error_messages={"required": "Specify a mailing group code."},
    )
    remove_old_assignments = forms.BooleanField(
        required=False, label="Remove old assignments (contacts not on this worksheet leave the group)"
    )


class LineAddForm(forms.Form):
    contact_no = ContactNoField(label="Contact no.", help_text="Type the contact's number or name.")
    allow_existing = forms.BooleanField(required=False, label="Allow a second line for the same contact")

    def __init__(self, *args, **kwargs):
        # The worksheet also shows the criteria step form, which has an allow_existing field: distinct ids keep
        # each label tied to its own checkbox.
        kwargs.setdefault("auto_id", "line_add_%s")
        super().__init__(*args, **kwargs)


class SegmentLineForm(VersionedForm):
    class Meta:
        model = SegmentLine
        fields = LINE_FIELDS
        widgets = {
            "date": DATE_INPUT,
            "personal_note": forms.Textarea(attrs={"rows": 4, "maxlength": PERSONAL_NOTE_MAX_LENGTH}),
        }
        help_texts = {
            "personal_note": "Merged into this contact's letter only (the {{ personal_note }} field).",
        }

    def __init__(self, *args, segment: Segment, **kwargs):
        super().__init__(*args, **kwargs)
        header = {
            "description": segment.description,
            "subject": segment.subject,
            "language_code": segment.language_code,
        }
        for name, value in header.items():
            self.fields[name].widget.attrs["placeholder"] = value or "as the header"
        self.fields["template"].empty_label = (
            f"As the header ({segment.template.code})" if segment.template else "As the header"
        )
        self.fields["salesperson"].empty_label = (
            f"As the header ({segment.salesperson.code})" if segment.salesperson else "As the header"
        )
        self.fields["correspondence_type"].choices = [("", "As resolved from header and contact")] + [
            c for c in self.fields["correspondence_type"].choices if c[0]
        ]
        self.fields["unit_cost"].widget.attrs["placeholder"] = str(segment.unit_cost)
        self.fields["unit_duration_minutes"].widget.attrs["placeholder"] = str(segment.unit_duration_minutes)

    def service_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class LetterUploadForm(forms.Form):
    letter = forms.FileField(label="Word letter (.docx)", help_text="Replaces the template letter for this contact.")
