"""Forms of the contact and sales document pages: validation only, the services save."""

from decimal import Decimal

from django import forms
from django.utils import timezone

from .models import Contact, IndustryGroup, JobResponsibility, MailingGroup, SalesDocument, Salesperson


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


class ContactForm(VersionedForm):
    # A text box for the company's number: a select with every company does not scale to a big contact table.
    company_no = forms.CharField(
        label="Company no.", required=False, help_text="The company a person works for, e.g. CT000001."
    )

    class Meta:
        model = Contact
        fields = [
            "type",
            "name",
            "company_no",
            "job_title",
            "salutation",
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

    def clean_company_no(self):
        value = self.cleaned_data["company_no"].strip().upper()
        if not value:
            return None
        company = Contact.objects.filter(no=value).first()
        if company is None:
            raise forms.ValidationError(f"There is no contact with the number {value}.")
        if company.type != Contact.Type.COMPANY:
            raise forms.ValidationError(f"{value} is a person; a person's company must be a company.")
        return company

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("type") == Contact.Type.COMPANY and cleaned.get("company_no"):
            self.add_error("company_no", "A company cannot belong to another company.")
        return cleaned

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("row_version", None)
        data["company"] = data.pop("company_no")
        return data


class SalesDocumentForm(VersionedForm):
    # A text box for the contact's number: a select with every contact does not scale (as on the contact form).
    contact_no = forms.CharField(label="Bill-to contact no.", help_text="The customer's contact number, e.g. CT000001.")

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

    def clean_contact_no(self):
        value = self.cleaned_data["contact_no"].strip().upper()
        contact = Contact.objects.select_related("company").filter(no=value).first()
        if contact is None:
            raise forms.ValidationError(f"There is no contact with the number {value}.")
        return contact

    def clean(self):
        cleaned = super().clean()
        date, due_date = cleaned.get("date"), cleaned.get("due_date")
        if date and due_date and due_date < date:
            self.add_error("due_date", "The due date is before the document date.")
        return cleaned

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("row_version", None)
        data["contact"] = data.pop("contact_no")
        return data


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
