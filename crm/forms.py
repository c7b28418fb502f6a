"""Forms of the contact and sales document pages: validation only, the services save."""

from decimal import Decimal

from django import forms
from django.apps import apps
from django.db.models import CharField, F, Value
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from .models import (
    Contact,
    IndustryGroup,
    JobResponsibility,
    MailingGroup,
    SalesDocument,
    Salesperson,
    Salutation,
)

# A code list is a small table (groups, salespeople, templates); the cap only keeps a page bounded if one is not.
MAX_CODE_OPTIONS = 500


class CodeListInput(forms.TextInput):
    """A text field for a code with the list of codes and their descriptions offered as a <datalist>: pick one, or
    type it in any case (the filter matches codes case-insensitively, docs/BEHAVIOUR.md §1a Finding a contact).

    `model` is "app_label.ModelName" (crm's filters name interactions' tables without importing them), or
    `options` gives the (value, label) pairs, or a function returning them; the list is read when the field is
    drawn, so a new code shows at once.
    """

    def __init__(self, model: str = "", *, label_field: str = "description", options=None, attrs=None):
        self.model, self.label_field, self.fixed_options = model, label_field, options
        super().__init__({"autocomplete": "off", **(attrs or {})})

    code_lists: "CodeLists | None" = None  # set by share_code_lists: one query for all the form's lists

    def options(self) -> list[tuple[str, str]]:
        if callable(self.fixed_options):
            return list(self.fixed_options())
        if self.fixed_options is not None:
            return list(self.fixed_options)
        if self.code_lists is not None:
            return self.code_lists.options(self.model, self.label_field)
        rows = apps.get_model(self.model).objects.order_by("code").values_list("code", self.label_field)
        return list(rows[:MAX_CODE_OPTIONS])

    def render(self, name, value, attrs=None, renderer=None):
        attrs = dict(attrs or {})
        list_id = f"{attrs.get('id') or 'id_' + name}-codes"
        field = super().render(name, value, {**attrs, "list": list_id}, renderer)
        options = format_html_join("", '<option value="{}">{}</option>', self.options())
        return format_html('{}<datalist id="{}">{}</datalist>', field, list_id, options)


class CodeLists:
    """The code lists of one form's CodeListInputs, read in one UNION query when the first is drawn: a list page
    offers up to five of them, and its query budget is constant and small (docs/PERFORMANCE.md)."""

    def __init__(self, keys: set[tuple[str, str]]):
        self.keys = sorted(keys)
        self._options: dict[tuple[str, str], list[tuple[str, str]]] | None = None

    def options(self, model: str, label_field: str) -> list[tuple[str, str]]:
        if self._options is None:
            self._options = self._load()
        return self._options.get((model, label_field), [])

    def _load(self) -> dict[tuple[str, str], list[tuple[str, str]]]:
        querysets = [
            apps.get_model(model)
            .objects.annotate(list_key=Value(str(index), output_field=CharField()), list_label=F(label_field))
            .values_list("list_key", "code", "list_label")
            .order_by()
            for index, (model, label_field) in enumerate(self.keys)
        ]
        options: dict[tuple[str, str], list[tuple[str, str]]] = {key: [] for key in self.keys}
        for index, code, label in querysets[0].union(*querysets[1:], all=True):
            options[self.keys[int(index)]].append((code, label or ""))
        for rows in options.values():
            rows.sort()
            del rows[MAX_CODE_OPTIONS:]
        return options


def share_code_lists(form: forms.BaseForm) -> forms.BaseForm:
    """Let every CodeListInput of `form` that reads a table share one CodeLists (so one query for all)."""
    widgets = [
        field.widget
        for field in form.fields.values()
        if isinstance(field.widget, CodeListInput) and field.widget.fixed_options is None
    ]
    if len(widgets) > 1:
        shared = CodeLists({(widget.model, widget.label_field) for widget in widgets})
        for widget in widgets:
            widget.code_lists = shared
    return form


class ContactPicker(forms.TextInput):
    """A text field for a contact's number. static/js/contact-picker.js turns it into a combobox that suggests
    contacts by number, name or company name as the user types (the /contacts/lookup/ answer); without
    JavaScript it stays a plain field that takes the number. Never a <select>: there may be a million contacts
    (docs/BEHAVIOUR.md §1a Finding a contact)."""

    def __init__(self, attrs=None, *, companies_only: bool = False):
        defaults = {"autocomplete": "off", "spellcheck": "false", "data-contact-picker": "", "class": "contact-picker"}
        if companies_only:
            defaults["data-kind"] = "company"
        super().__init__({**defaults, **(attrs or {})})

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"]["data-lookup-url"] = reverse("crm:contact_lookup")
        return context


class ContactNoField(forms.CharField):
    """A contact typed as its number, in any case (ct000001 is CT000001); cleans to the Contact, or None when
    left blank. An unknown number is the field's error, in the same words on every page."""

    default_error_messages = {
        "unknown": "There is no contact with the number %(no)s.",
        "not_company": "%(no)s is a person; a person's company must be a company.",
    }

    def __init__(self, *, companies_only: bool = False, **kwargs):
        self.companies_only = companies_only
        kwargs.setdefault("widget", ContactPicker(companies_only=companies_only))
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        no = value.upper()
        contact = Contact.objects.select_related("company", "salesperson").filter(no=no).first()
        if contact is None:
            raise forms.ValidationError(self.error_messages["unknown"], code="unknown", params={"no": no})
        if self.companies_only and contact.type != Contact.Type.COMPANY:
            raise forms.ValidationError(self.error_messages["not_company"], code="not_company", params={"no": no})
        return contact


class VersionedForm(forms.ModelForm):
    """An edit form that carries the row's version as the page was opened (lost updates, crm/versioning.py).

    The hidden field keeps the version the user started from even when the form comes back with errors, so a
    conflict is reported again on every try until the page is reloaded.
    """

    row_version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["row_version"].initial = self.instance.row_version

    def edit_version(self) -> int | None:
        """The version the form was opened at; None for a new row (nothing to conflict with)."""
        return self.cleaned_data.get("row_version") if self.instance.pk else None

    # A contact-number field and the name the service takes its contact under, e.g. ("company_no", "company").
    contact_field: tuple[str, str] | None = None

    def service_fields(self) -> dict:
        """The cleaned values as the service takes them: the version goes on its own (edit_version), the contact
        chosen by its number under the service's name."""
        data = dict(self.cleaned_data)
        data.pop("row_version", None)
        if self.contact_field:
            number, name = self.contact_field
            data[name] = data.pop(number)
        return data


class ContactForm(VersionedForm):
    # The company's number with suggestions as you type: a select with every company does not scale.
    company_no = ContactNoField(
        companies_only=True,
        label="Company no.",
        required=False,
        help_text="The company a person works for: type its number or name, e.g. CT000001.",
    )
    contact_field = ("company_no", "company")
    # docs/BEHAVIOUR.md §1, Salutations: a short code list, read when the form is drawn.
    salutation_code = forms.ModelChoiceField(
        queryset=Salutation.objects.all(),
        required=False,
        label="Salutation code",
        empty_label="— (the salutation above)",
        help_text="Letters use this code's salutation in their language, else the salutation above.",
    )

    class Meta:
        model = Contact
        fields = [
            "type",
            "name",
            "company_no",
            "job_title",
            "salutation",
            "salutation_code",
            "email",
            "phone",
            "mobile",
            "address",
            "address_2",
            "post_code",
            "city",
            "country_code",
            "language_code",
            "salesperson",
            "correspondence_type",
            "exclude_from_segment",
            "privacy_blocked",
            "mailing_groups",
            "industry_groups",
            "job_responsibilities",
        ]
        widgets = {
            "mailing_groups": forms.CheckboxSelectMultiple,
            "industry_groups": forms.CheckboxSelectMultiple,
            "job_responsibilities": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.company_id:
            self.fields["company_no"].initial = self.instance.company.no
        self.fields["mailing_groups"].queryset = MailingGroup.objects.all()
        self.fields["industry_groups"].queryset = IndustryGroup.objects.all()
        self.fields["job_responsibilities"].queryset = JobResponsibility.objects.all()

    def clean_name(self):
        return self.cleaned_data["name"].strip()

    def clean_country_code(self):
        return self.cleaned_data["country_code"].strip().upper()

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("type") == Contact.Type.COMPANY and cleaned.get("company_no"):
            self.add_error("company_no", "A company cannot belong to another company.")
        return cleaned


class SalesDocumentForm(VersionedForm):
    # The contact's number with suggestions as you type (as on the contact form).
    contact_no = ContactNoField(
        label="Bill-to contact no.", help_text="The customer: type the contact's number or name, e.g. CT000001."
    )
    contact_field = ("contact_no", "contact")

    class Meta:
        model = SalesDocument
        fields = ["kind", "contact_no", "date", "due_date", "your_reference", "salesperson", "vat_percent"]
        widgets = {
            "date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "due_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }
        labels = {"kind": "Type", "due_date": "Due date / valid until"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["salesperson"].queryset = Salesperson.objects.all()
        self.fields["salesperson"].help_text = "Blank: the contact's salesperson."
        if self.instance.pk:
            # The number series belongs to the type: a printed SQ-… never becomes an invoice.
            del self.fields["kind"]
            self.fields["contact_no"].initial = self.instance.contact.no
        else:
            self.fields["date"].initial = timezone.localdate()

    def clean(self):
        cleaned = super().clean()
        date, due_date = cleaned.get("date"), cleaned.get("due_date")
        if date and due_date and due_date < date:
            self.add_error("due_date", "The due date is before the document date.")
        return cleaned


class SalesDocumentLineForm(forms.Form):
    description = forms.CharField(max_length=200, required=False)
    quantity = forms.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0"), required=False)
    unit_price = forms.DecimalField(max_digits=12, decimal_places=2, required=False, label="Unit price")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("DELETE"):
            return cleaned
        has_numbers = cleaned.get("quantity") is not None or cleaned.get("unit_price") is not None
        if has_numbers and not (cleaned.get("description") or "").strip():
            self.add_error("description", "A line with a quantity or price needs a description.")
        return cleaned


class BaseLineFormSet(forms.BaseFormSet):
    def lines(self) -> list[dict]:
        """The filled-in, not deleted lines, in order."""
        result = []
        for form in self.forms:
            data = form.cleaned_data
            if not data or data.get("DELETE") or not (data.get("description") or "").strip():
                continue
            result.append(
                {
                    "description": data["description"].strip(),
                    "quantity": data["quantity"] if data.get("quantity") is not None else Decimal("1"),
                    "unit_price": data["unit_price"] if data.get("unit_price") is not None else Decimal("0"),
                }
            )
        return result

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        if not self.lines():
            raise forms.ValidationError("Add at least one line with a description.")


LineFormSet = forms.formset_factory(
    SalesDocumentLineForm, formset=BaseLineFormSet, extra=3, can_delete=True, max_num=500, validate_max=True
)
