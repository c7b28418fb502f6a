"""The back-office for contacts, sales documents, salespeople and contact groups.

Contacts and sales documents change only through their services (crm/services.py), as on the pages, so the admin
and the pages follow the same rules (docs/BEHAVIOUR.md §1 and §10). A refusal comes back
as an error message on the page the user was on; nothing is saved.
"""

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect

from . import salutation_services, services
from .access import add_validation_error
from .interaction_summary import NO_INTERACTIONS, InteractionSummary, salesperson_interaction_summary
from .models import (
    Contact,
    IndustryGroup,
    JobResponsibility,
    MailingGroup,
    SalesDocument,
    SalesDocumentLine,
    Salesperson,
    Salutation,
    SalutationFormula,
)


@admin.register(Salesperson)
class SalespersonAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "email", "phone", "user")
    search_fields = ("code", "name", "email")
    raw_id_fields = ("user",)
    # The salesperson's interaction summary (docs/BEHAVIOUR.md §1), on the change page: one aggregate query.
    readonly_fields = ("interactions", "cost", "duration", "last_interaction", "last_attempted")

    def _summary(self, obj) -> InteractionSummary:
        if obj is None or obj.pk is None:
            return NO_INTERACTIONS
        if getattr(obj, "_interaction_summary", None) is None:
            obj._interaction_summary = salesperson_interaction_summary(obj)
        return obj._interaction_summary

    @admin.display(description="Interactions")
    def interactions(self, obj):
        return f"{self._summary(obj).count:,}"

    @admin.display(description="Cost")
    def cost(self, obj):
        return f"{self._summary(obj).cost:,.2f}"

    @admin.display(description="Duration (min.)")
    def duration(self, obj):
        return f"{self._summary(obj).duration_minutes:,}"

    @admin.display(description="Date of last interaction")
    def last_interaction(self, obj):
        return self._summary(obj).last_interaction or "—"

    @admin.display(description="Last date attempted")
    def last_attempted(self, obj):
        return self._summary(obj).last_attempted or "—"


@admin.register(MailingGroup, IndustryGroup, JobResponsibility)
class CodeDescriptionAdmin(admin.ModelAdmin):
    list_display = ("code", "description")
    search_fields = ("code", "description")


class ServiceAdmin(admin.ModelAdmin):
    """Saves and deletes through the services; their ValidationError becomes a message, and nothing is saved.

    The admin's add, change and delete views run in one transaction; a refusal raised by a service inside it
    leaves that view, which rolls everything back, and the user is sent back to the same page to read why.
    The bulk "delete selected" action is not offered: it would delete row by row past the services.
    """

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as error:
            add_validation_error(request, error)
            return HttpResponseRedirect(request.get_full_path())

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ValidationError as error:
            add_validation_error(request, error)
            return HttpResponseRedirect(request.get_full_path())

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @staticmethod
    def _adopt(obj, saved) -> None:
        """The admin goes on with its own instance (messages, redirect): give it the saved row's identity."""
        obj.pk, obj.no = saved.pk, saved.no
        obj._state.adding = False


class SalutationFormulaInline(admin.TabularInline):
    model = SalutationFormula
    extra = 2
    fields = ("language_code", "salutation_type", "formula")


@admin.register(Salutation)
class SalutationAdmin(ServiceAdmin):
    """Salutation codes with one formula per language and type (docs/BEHAVIOUR.md §1, "Salutations")."""

    list_display = ("code", "description", "languages")
    search_fields = ("code", "description")
    inlines = [SalutationFormulaInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("formulas")

    @admin.display(description="Formulas")
    def languages(self, obj):
        return ", ".join(
            f"{formula.language_code or '—'} ({formula.salutation_type})" for formula in obj.formulas.all()
        )

    def save_model(self, request, obj, form, change):
        salutation_services.salutation_save(obj)

    def save_formset(self, request, form, formset, change):
        # What the admin's history message lists (it reads these after saving).
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for inline_form in formset.deleted_forms:
            if inline_form.instance.pk:
                salutation_services.salutation_formula_delete(inline_form.instance)
                formset.deleted_objects.append(inline_form.instance)
        for inline_form in formset.forms:
            data = getattr(inline_form, "cleaned_data", None)
            if not data or data.get("DELETE") or not inline_form.has_changed():
                continue
            key = (data["language_code"], data["salutation_type"])
            before = (inline_form.initial.get("language_code"), inline_form.initial.get("salutation_type"))
            if inline_form.instance.pk and before != key:  # moved to another language or type
                salutation_services.salutation_formula_delete(SalutationFormula.objects.get(pk=inline_form.instance.pk))
            row = salutation_services.salutation_formula_set(
                form.instance, language_code=key[0], salutation_type=key[1], formula=data["formula"]
            )
            if inline_form.instance.pk:
                formset.changed_objects.append((row, inline_form.changed_data))
            else:
                formset.new_objects.append(row)

    def delete_model(self, request, obj):
        salutation_services.salutation_delete(obj)


@admin.register(Contact)
class ContactAdmin(ServiceAdmin):
    list_display = ("no", "name", "type", "company", "city", "country_code", "salesperson")
    list_filter = ("type", "correspondence_type", "country_code")
    list_select_related = ("company", "salesperson")
    search_fields = ("no", "name", "email")
    raw_id_fields = ("company",)
    readonly_fields = ("no",)
    show_full_result_count = False

    def save_model(self, request, obj, form, change):
        if change:
            changed = {name: form.cleaned_data[name] for name in form.changed_data}
            services.contact_update(Contact.objects.get(pk=obj.pk), user=request.user, **changed)
        else:
            self._adopt(obj, services.contact_create(user=request.user, **form.cleaned_data))

    def save_related(self, request, form, formsets, change):
        pass  # the service has set the groups (no inlines here)

    def delete_model(self, request, obj):
        services.contact_delete(obj, user=request.user)


class SalesDocumentLineInline(admin.TabularInline):
    model = SalesDocumentLine
    extra = 1
    fields = ("description", "quantity", "unit_price")


@admin.register(SalesDocument)
class SalesDocumentAdmin(ServiceAdmin):
    list_display = ("no", "kind", "date", "contact", "salesperson", "printed_versions")
    list_filter = ("kind",)
    list_select_related = ("contact", "salesperson")
    search_fields = ("no", "contact__name")
    raw_id_fields = ("contact",)
    readonly_fields = ("no", "printed_versions", "no_printed")
    inlines = [SalesDocumentLineInline]

    def get_readonly_fields(self, request, obj=None):
        # The number series belongs to the kind: a document's kind never changes (as on the edit page).
        return (*self.readonly_fields, "kind") if obj is not None else self.readonly_fields

    def save_model(self, request, obj, form, change):
        pass  # the header is saved with its lines by the service, in save_related

    def save_related(self, request, form, formsets, change):
        """One service call for the header and the lines, as the document form does."""
        header = {name: value for name, value in form.cleaned_data.items() if name != "kind"}
        lines = [
            {name: line.cleaned_data.get(name) for name in ("description", "quantity", "unit_price")}
            for formset in formsets
            for line in formset.forms
            if line.cleaned_data and not line.cleaned_data.get("DELETE")
        ]
        if change:
            current = SalesDocument.objects.get(pk=form.instance.pk)
            services.document_update(current, user=request.user, lines=lines, **header)
        else:
            saved = services.document_create(kind=form.cleaned_data["kind"], user=request.user, lines=lines, **header)
            self._adopt(form.instance, saved)
        for formset in formsets:
            # The admin's change message reads these; the service has written the lines.
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
