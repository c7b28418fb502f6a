"""The crm list pages' FilterSets (every one a ListFilterSet), and the one FilterSet over contacts: the contact
list page and the segment criteria both use it (docs/BEHAVIOUR.md §5).

A criteria is a plain dict of these parameters, exactly the list page's query string. `validate_criteria`
checks it strictly, once: an unknown parameter or a bad value is a ValidationError, never silently ignored;
what it returns filters contacts without checking again.
"""

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import django_filters
from django import forms
from django.apps import apps
from django.conf import global_settings
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q, QuerySet

from .forms import CodeListInput, share_code_lists
from .models import (
    AuditEvent,
    Contact,
    CorrespondenceType,
    IndustryGroup,
    JobResponsibility,
    MailingGroup,
    SalesDocument,
    Salesperson,
)

# The interaction parameters share one EXISTS: "has at least one non-canceled entry matching all of them".
INTERACTION_PARAMS = ("interaction_template", "interaction_date_after", "interaction_date_before", "logged_segment")

# Query-string keys a list page reads for itself (pagination, sorting, shown columns), not filters; a form that
# posts back to the page carries its CSRF token and `next`.
PAGE_PARAMS = frozenset({"page", "sort", "per_page", "columns", "csrfmiddlewaretoken", "next"})


def unknown_params(params: Iterable[str], known: Iterable[str]) -> list[str]:
    """The query-string keys that are neither a known filter nor a page parameter: a mistyped filter is reported
    by name, never silently ignored (docs/SECURITY.md)."""
    return sorted(set(params) - set(known) - PAGE_PARAMS)


def whole_id(number: Decimal | None) -> int | None:
    """A number typed as an entry number (`?logged_segment=…`) as an id: None when it is not a whole number within
    the id column's range (1.5 is not 1, and a bigger number would overflow the query)."""
    if number is None or number != number.to_integral_value() or not 1 <= number < 2**63:
        return None
    return int(number)


class ListFilterSet(django_filters.FilterSet):
    """The base of every list page's FilterSet."""

    @property
    def form(self):
        # django-filter builds the form once per FilterSet (a request); its code lists are read in one query.
        if not hasattr(self, "_form"):
            share_code_lists(super().form)
        return self._form

    def unknown_params(self, params: Iterable[str]) -> list[str]:
        return unknown_params(params, self.filters)


def code_lookup(model, text: str, *, field: str = "code"):
    """The row of a small code table (groups, salespeople, templates) with this code, whatever the case: the code
    exactly as typed first (codes are unique as stored), else the first case-insensitive match. Not for contacts:
    a case-insensitive comparison cannot use the index of a big table."""
    text = text.strip()
    return (
        model.objects.filter(**{field: text}).first()
        or model.objects.filter(**{f"{field}__iexact": text}).order_by(field).first()
    )


def normal_language_code(text: str) -> str:
    """A language code as contacts store it (BCP 47 case: de, pt-BR, zh-Hans), whatever the case it was typed in."""
    language, _, rest = text.strip().partition("-")
    if not rest:
        return language.lower()
    return f"{language.lower()}-{rest.upper() if len(rest) == 2 else rest.title()}"


# The language codes offered in a list: Django's own list of languages, with their English names.
LANGUAGE_OPTIONS = tuple((normal_language_code(code), name) for code, name in global_settings.LANGUAGES)


class ContainsFilter(django_filters.CharFilter):
    """A list page's search box: the text typed (spaces around it dropped), contained in any of `fields`, in any
    case; a blank box filters nothing."""

    def __init__(self, *args, fields: Iterable[str], **kwargs):
        self.search_fields = tuple(fields)
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        value = (value or "").strip()
        if not value:
            return qs
        condition = Q()
        for field in self.search_fields:
            condition |= Q(**{f"{field}__icontains": value})
        return qs.filter(condition)


class CodeChoiceFilter(django_filters.CharFilter):
    """A code (salesperson, mailing group …) that must exist: a typo is an error, not an empty result. Typed in any
    case (“gift” is GIFT) and chosen from the list of codes with their descriptions."""

    def __init__(self, *args, model=None, **kwargs):
        self.code_model = model
        label_field = "name" if model is Salesperson else "description"
        kwargs.setdefault("widget", CodeListInput(model._meta.label, label_field=label_field))
        super().__init__(*args, **kwargs)


class ContactFilterForm(forms.Form):
    def clean(self):
        cleaned = super().clean()
        # The row each code names, kept for callers that filter by id (one look-up per code, here).
        self.code_ids: dict[str, int] = {}
        for name, field in self.fields.items():
            model = getattr(field, "code_model", None)
            value = cleaned.get(name)
            if model is None or not value:
                continue
            found = code_lookup(model, value)
            if found is None:
                self.add_error(name, f"There is no {model._meta.verbose_name} with the code “{value}”.")
            else:
                self.code_ids[name] = found.pk
                self.cleaned_data[name] = found.code  # as stored, so the filter compares exactly (on the index)
        # Looked up by name (crm must not import interactions); like the codes above, a typo is an error.
        template = cleaned.get("interaction_template")
        if template:
            found = code_lookup(apps.get_model("interactions", "InteractionTemplate"), template)
            if found is None:
                self.add_error("interaction_template", f"There is no interaction template with the code “{template}”.")
            else:
                self.cleaned_data["interaction_template"] = found.code
        segment = cleaned.get("logged_segment")
        if segment is not None and not _logged_segment_exists(segment):
            self.add_error("logged_segment", f"There is no logged segment with the entry number {segment}.")
        after, before = cleaned.get("interaction_date_after"), cleaned.get("interaction_date_before")
        if after and before and after > before:
            self.add_error("interaction_date_before", "The end date is before the start date.")
        return cleaned


def _logged_segment_exists(number) -> bool:
    pk = whole_id(number)
    return pk is not None and apps.get_model("interactions", "LoggedSegment").objects.filter(pk=pk).exists()


class ContactFilter(ListFilterSet):
    no = django_filters.CharFilter(label="No.", method="filter_upper")
    name = django_filters.CharFilter(label="Name contains", lookup_expr="icontains")
    type = django_filters.ChoiceFilter(choices=Contact.Type.choices)
    # Exact (not iexact) so the index is used: SQLite cannot use an index for a case-insensitive LIKE.
    city = django_filters.CharFilter(lookup_expr="exact")
    post_code = django_filters.CharFilter(lookup_expr="istartswith", label="Post code starts with")
    country_code = django_filters.CharFilter(method="filter_upper", max_length=2)
    language_code = django_filters.CharFilter(
        method="filter_language", widget=CodeListInput(options=LANGUAGE_OPTIONS, attrs={"maxlength": 10})
    )
    salesperson = CodeChoiceFilter(field_name="salesperson__code", model=Salesperson, label="Salesperson (code)")
    mailing_group = CodeChoiceFilter(method="filter_mailing_group", model=MailingGroup, label="Mailing group")
    industry_group = CodeChoiceFilter(method="filter_industry_group", model=IndustryGroup, label="Industry group")
    job_responsibility = CodeChoiceFilter(
        method="filter_job_responsibility", model=JobResponsibility, label="Job responsibility"
    )
    has_email = django_filters.ChoiceFilter(
        method="filter_has_email", label="Has e-mail", choices=[("true", "Yes"), ("false", "No")], empty_label="Any"
    )
    correspondence_type = django_filters.ChoiceFilter(
        choices=[c for c in CorrespondenceType.choices if c[0]], label="Correspondence type"
    )
    interaction_template = django_filters.CharFilter(
        method="filter_noop",
        label="Interaction template (code)",
        widget=CodeListInput("interactions.InteractionTemplate"),
    )
    interaction_date_after = django_filters.DateFilter(
        method="filter_noop", label="Interaction on or after", widget=forms.DateInput(attrs={"type": "date"})
    )
    interaction_date_before = django_filters.DateFilter(
        method="filter_noop", label="Interaction on or before", widget=forms.DateInput(attrs={"type": "date"})
    )
    logged_segment = django_filters.NumberFilter(method="filter_noop", label="Logged segment (entry no.)")

    class Meta:
        model = Contact
        fields: list[str] = []
        form = ContactFilterForm

    def __init__(self, data=None, *args, **kwargs):
        super().__init__(data, *args, **kwargs)
        for name, filter_ in self.filters.items():
            model = getattr(filter_, "code_model", None)
            if model is not None:
                self.form.fields[name].code_model = model

    def filter_upper(self, queryset, name, value):
        # Numbers and country codes are stored in upper case: compare exactly, so the index is used.
        return queryset.filter(**{name: value.strip().upper()})

    def filter_language(self, queryset, name, value):
        # Stored in BCP 47 case: compare exactly, so the index is used.
        return queryset.filter(language_code=normal_language_code(value))

    def filter_noop(self, queryset, name, value):
        return queryset  # applied together in filter_queryset

    def filter_mailing_group(self, queryset, name, value):
        through = Contact.mailing_groups.through
        return queryset.filter(Exists(through.objects.filter(contact_id=OuterRef("pk"), mailinggroup__code=value)))

    def filter_job_responsibility(self, queryset, name, value):
        through = Contact.job_responsibilities.through
        return queryset.filter(Exists(through.objects.filter(contact_id=OuterRef("pk"), jobresponsibility__code=value)))

    def filter_industry_group(self, queryset, name, value):
        # Industry groups belong to companies; a person matches through its company.
        through = Contact.industry_groups.through
        own = Exists(through.objects.filter(contact_id=OuterRef("pk"), industrygroup__code=value))
        via_company = Exists(through.objects.filter(contact_id=OuterRef("company_id"), industrygroup__code=value))
        return queryset.filter(Q(own, type=Contact.Type.COMPANY) | Q(via_company, type=Contact.Type.PERSON))

    def filter_has_email(self, queryset, name, value):
        return queryset.exclude(email="") if value == "true" else queryset.filter(email="")

    def filter_queryset(self, queryset):
        return self.filter_contacts(queryset)

    def filter_contacts(self, queryset: QuerySet, *, leave_out: Collection[str] = ()) -> QuerySet:
        """`filter_queryset` over the validated data, leaving out the parameters a caller applies its own way."""
        data = {name: value for name, value in self.form.cleaned_data.items() if name not in leave_out}
        for name, value in data.items():
            queryset = self.filters[name].filter(queryset, value)
        entry_filter: dict[str, Any] = {}
        if data.get("interaction_template"):
            entry_filter["template__code"] = data["interaction_template"]
        if data.get("interaction_date_after"):
            entry_filter["date__gte"] = data["interaction_date_after"]
        if data.get("interaction_date_before"):
            entry_filter["date__lte"] = data["interaction_date_before"]
        if data.get("logged_segment") is not None:
            entry_filter["logged_segment_id"] = int(data["logged_segment"])
        if entry_filter:
            # Looked up by name: crm must not import interactions (dependency direction crm <- interactions).
            entry_model = apps.get_model("interactions", "InteractionLogEntry")
            entries = entry_model.objects.filter(contact_id=OuterRef("pk"), canceled=False, **entry_filter)
            queryset = queryset.filter(Exists(entries))
        return queryset


@dataclass(frozen=True)
class ValidCriteria:
    """A criteria dict that passed validation: what a step stores, the row id each code named, and the filterset
    that validated it, which filters contacts without validating again."""

    values: dict[str, str]  # normalised: strings, empty values dropped
    code_ids: dict[str, int]  # "mailing_group" -> that group's id, and so on for every code given
    filterset: ContactFilter

    @property
    def cleaned(self) -> dict[str, Any]:
        """The typed values (dates, numbers) of the validated form."""
        return self.filterset.form.cleaned_data

    def contacts(self, queryset: QuerySet | None = None, *, leave_out: Collection[str] = ()) -> QuerySet:
        """The matching contacts; the parameters in `leave_out` are not applied (the caller applies them)."""
        queryset = Contact.objects.all() if queryset is None else queryset
        return self.filterset.filter_contacts(queryset, leave_out=leave_out)


# The parameters that name a row of a code table, whatever the case they were typed in (docs/BEHAVIOUR.md §5).
CODE_PARAMS = ("salesperson", "mailing_group", "industry_group", "job_responsibility", "interaction_template")


def validate_criteria(criteria: Mapping[str, Any]) -> ValidCriteria:
    """Validate a criteria dict once (one ContactFilter, one look-up per code). Raises ValidationError with
    every problem, as sentences."""
    errors = []
    unknown = sorted(set(criteria) - set(ContactFilter.base_filters))
    if unknown:
        errors.append(
            "Unknown criteria: " + ", ".join(unknown) + ". Use: " + ", ".join(ContactFilter.base_filters) + "."
        )
    known = {k: v for k, v in criteria.items() if k in ContactFilter.base_filters}
    filterset = ContactFilter(data=_as_strings(known), queryset=Contact.objects.all())
    if not filterset.is_valid():
        for field, messages in filterset.form.errors.items():
            label = filterset.form.fields[field].label if field in filterset.form.fields else field
            errors += [f"{label}: {message}" for message in messages]
    if errors:
        raise ValidationError(errors)
    values = {k: v for k, v in _as_strings(criteria).items() if v != ""}
    for name in values:
        if name in CODE_PARAMS:
            values[name] = filterset.form.cleaned_data[name]  # the code as stored: "gift" is kept as GIFT
    return ValidCriteria(values=values, code_ids=dict(filterset.form.code_ids), filterset=filterset)


def filter_contacts(criteria: Mapping[str, Any], queryset: QuerySet | None = None) -> QuerySet:
    """The contacts matching a criteria dict. Raises ValidationError for unknown parameters or bad values."""
    return validate_criteria(criteria).contacts(queryset)


def describe_criteria(criteria: Mapping[str, Any]) -> str:
    """Readable criteria: 'city = Berlin, mailing group = GIFT'."""
    parts = []
    for name, value in criteria.items():
        if value in ("", None):
            continue
        filter_ = ContactFilter.base_filters.get(name)
        label = (filter_.label or name.replace("_", " ")) if filter_ else name
        parts.append(f"{label.lower()} = {value}")
    return ", ".join(parts) or "all contacts"


def _as_strings(criteria: Mapping[str, Any]) -> dict[str, str]:
    result = {}
    for key, value in criteria.items():
        if isinstance(value, bool):
            value = "true" if value else "false"
        result[key] = "" if value is None else str(value)
    return result


DATE_WIDGET = forms.DateInput(attrs={"type": "date"})


class SalesDocumentFilterForm(forms.Form):
    def clean(self):
        cleaned = super().clean()
        after, before = cleaned.get("date_after"), cleaned.get("date_before")
        if after and before and after > before:
            self.add_error("date_before", "The end date is before the start date.")
        return cleaned


class SalesDocumentFilter(ListFilterSet):
    """The sales document list: type, bill-to contact no., date range, document no."""

    kind = django_filters.ChoiceFilter(label="Type", choices=SalesDocument.Kind.choices, empty_label="Any")
    no = django_filters.CharFilter(label="No. contains", lookup_expr="icontains")
    contact = django_filters.CharFilter(label="Bill-to contact no.", field_name="contact__no", lookup_expr="iexact")
    date_after = django_filters.DateFilter(label="Date from", field_name="date", lookup_expr="gte", widget=DATE_WIDGET)
    date_before = django_filters.DateFilter(label="Date to", field_name="date", lookup_expr="lte", widget=DATE_WIDGET)

    class Meta:
        model = SalesDocument
        fields: list[str] = []
        form = SalesDocumentFilterForm


class AuditEventFilter(ListFilterSet):
    action = django_filters.ChoiceFilter(choices=AuditEvent.Action.choices)
    user = django_filters.CharFilter(field_name="user__username", label="User name")
    after = django_filters.DateFilter(
        field_name="created_at", lookup_expr="date__gte", label="From", widget=DATE_WIDGET
    )
    before = django_filters.DateFilter(field_name="created_at", lookup_expr="date__lte", label="To", widget=DATE_WIDGET)

    class Meta:
        model = AuditEvent
        fields: list[str] = []
