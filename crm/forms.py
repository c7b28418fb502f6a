from django import forms

from .models import Contact, IndustryGroup, JobResponsibility, MailingGroup


class ContactForm(forms.ModelForm):
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
        data["company"] = data.pop("company_no")
        return data
