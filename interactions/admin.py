"""The back-office for interaction templates (docs/BEHAVIOUR.md §4, §10, §11): groups, templates with language
variants, setup.

Log entries and logged segments are read-only here: they change only through the services (cancel, evaluate,
deliver), which the pages and the one admin action below call.
"""

import datetime

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils import timezone

from crm.admin import ServiceAdmin
from crm.wording import count_of, money

from .models import (
    InteractionGroup,
    InteractionLogEntry,
    InteractionTemplate,
    InteractionTemplateLanguage,
    InteractionTemplateSetup,
    LoggedSegment,
    automatic_logging_refusals,
    templates_for_automatic_logging,
)
from .selectors import counted, statistics_aggregates
from .services.entries import log_entries_resend
from .services.templates import (
    interaction_template_delete,
    interaction_template_language_delete,
    interaction_template_language_save,
    interaction_template_save,
    template_language_row_question,
)

# The name of the buttons that answer the language row question (scenario 2): "yes" or "no".
LANGUAGE_ROW_ANSWER = "_language_row"


class StatisticsPeriodFilter(admin.SimpleListFilter):
    """Chooses the date range the statistics columns count (the rows themselves are not filtered)."""

    title = "statistics period"
    parameter_name = "period"

    def lookups(self, request, model_admin):
        return [
            ("this_year", "This year"),
            ("last_year", "Last year"),
            ("last_12_months", "Last 12 months"),
            ("last_30_days", "Last 30 days"),
        ]

    def queryset(self, request, queryset):
        return queryset  # applied inside the annotations, see statistics_period()


def statistics_period(request) -> tuple[datetime.date | None, datetime.date | None]:
    today = timezone.localdate()
    return {
        "this_year": (today.replace(month=1, day=1), None),
        "last_year": (
            today.replace(year=today.year - 1, month=1, day=1),
            today.replace(year=today.year - 1, month=12, day=31),
        ),
        "last_12_months": (today - datetime.timedelta(days=365), None),
        "last_30_days": (today - datetime.timedelta(days=30), None),
    }.get(request.GET.get(StatisticsPeriodFilter.parameter_name), (None, None))


class StatisticsColumnsMixin:
    """Number of interactions, cost and duration over entries neither canceled nor postponed, in one grouped query."""

    def get_queryset(self, request):
        after, before = statistics_period(request)
        only = counted(through="entries__", date_after=after, date_before=before)
        figures = statistics_aggregates(through="entries__", only=only)
        return (
            super()
            .get_queryset(request)
            .annotate(stat_count=figures["count"], stat_cost=figures["cost"], stat_duration=figures["duration_minutes"])
        )

    @admin.display(description="Interactions", ordering="stat_count")
    def interactions(self, obj):
        return f"{obj.stat_count or 0:,}"

    # SQLite sums a DecimalField in floating point (95.2999999999989): the admin shows money as money.
    @admin.display(description="Cost", ordering="stat_cost")
    def cost(self, obj):
        return money(obj.stat_cost or 0)

    @admin.display(description="Duration (min.)", ordering="stat_duration")
    def duration(self, obj):
        return f"{obj.stat_duration or 0:,}"


@admin.register(InteractionGroup)
class InteractionGroupAdmin(StatisticsColumnsMixin, admin.ModelAdmin):
    list_display = ("code", "description", "interactions", "cost", "duration")
    search_fields = ("code", "description")
    list_filter = (StatisticsPeriodFilter,)


def _used_in_setup(template: InteractionTemplate) -> list[str]:
    if template.pk is None:
        return []
    return [row.get_event_display() for row in template.setup_events.all()]


class InteractionTemplateLanguageFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        kept = [
            f.cleaned_data.get("language_code") or "?"
            for f in self.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]
        refusals = automatic_logging_refusals(self.instance.code, languages=kept, attachment=None)
        if refusals and _used_in_setup(self.instance):
            raise forms.ValidationError(refusals)


class InteractionTemplateLanguageInline(admin.TabularInline):
    model = InteractionTemplateLanguage
    formset = InteractionTemplateLanguageFormSet
    extra = 0
    fields = ("language_code", "description", "subject", "attachment")


class InteractionTemplateForm(forms.ModelForm):
    class Meta:
        model = InteractionTemplate
        fields = [field.name for field in InteractionTemplate._meta.fields if field.editable and not field.auto_created]

    # Set by clean(): the question to show with Yes / No buttons, and whether the answer was yes.
    language_row_question: str | None = None
    create_language_row = False

    def clean(self):
        cleaned = super().clean()
        refusals = automatic_logging_refusals(self.instance.code, languages=(), attachment=cleaned.get("attachment"))
        if refusals and _used_in_setup(self.instance):
            self.add_error("attachment", refusals)
        self._ask_about_language_row(cleaned)
        return cleaned

    def _inline_language_codes(self) -> list[str] | None:
        """The language rows the same POST keeps (the inline below the form), or None without the inline."""
        prefix = "languages"
        total = self.data.get(f"{prefix}-TOTAL_FORMS")
        if total is None or not str(total).isdigit():
            return None
        return [
            self.data.get(f"{prefix}-{index}-language_code", "")
            for index in range(int(total))
            if not self.data.get(f"{prefix}-{index}-DELETE")
        ]

    def _ask_about_language_row(self, cleaned) -> None:
        # Scenario 2 (docs/BEHAVIOUR.md §4): a default language code the template has no row for asks first; the
        # answer comes back as a button of the same form (no JavaScript). "No" never reaches this form: the admin
        # view turns it away before validating (InteractionTemplateAdmin.changeform_view).
        code = cleaned.get("language_code", "")
        question = (
            template_language_row_question(self.instance, code, kept_codes=self._inline_language_codes())
            if code
            else None
        )
        if question is None:
            return
        if self.data.get(LANGUAGE_ROW_ANSWER) == "yes":
            if _used_in_setup(self.instance):
                self.add_error(
                    "language_code", automatic_logging_refusals(self.instance.code, languages=[code], attachment=None)
                )
            else:
                self.create_language_row = True
            return
        self.language_row_question = question
        self.add_error("language_code", question)


@admin.register(InteractionTemplate)
class InteractionTemplateAdmin(StatisticsColumnsMixin, ServiceAdmin):
    form = InteractionTemplateForm
    inlines = [InteractionTemplateLanguageInline]
    list_display = ("code", "description", "group", "correspondence_type", "letter", "interactions", "cost", "duration")
    list_filter = (StatisticsPeriodFilter, "group", "correspondence_type", "information_flow")
    list_select_related = ("group",)
    search_fields = ("code", "description")
    fieldsets = [
        (None, {"fields": ("code", "group", "description")}),
        (
            "Defaults for interactions",
            {
                "fields": (
                    "information_flow",
                    "initiated_by",
                    "unit_cost",
                    "unit_duration_minutes",
                    "correspondence_type",
                    "ignore_contact_correspondence_type",
                )
            },
        ),
        ("Letter or e-mail", {"fields": ("language_code", "subject", "attachment", "attach_as_pdf")}),
    ]

    change_form_template = "admin/interactions/interactiontemplate/change_form.html"

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method == "POST" and request.POST.get(LANGUAGE_ROW_ANSWER) == "no":
            # Scenario 2: "No" changes nothing, as Business Central's answer aborts the change.
            self.message_user(
                request,
                "Nothing was changed: the template keeps its default language code and its language rows.",
                messages.INFO,
            )
            return redirect(request.get_full_path())
        return super().changeform_view(request, object_id, form_url, extra_context)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        # The language row question is asked through a field error (it keeps the form from saving); when it is the
        # form's only one, the admin's "Please correct the error below." would call a question an error.
        adminform = context.get("adminform")
        form = adminform.form if adminform else None
        if (
            form is not None
            and form.language_row_question
            and list(form.errors) == ["language_code"]
            and len(form.errors["language_code"]) == 1
            and not any(formset.formset.total_error_count() for formset in context.get("inline_admin_formsets", []))
        ):
            context["errors"] = []
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    def save_model(self, request, obj, form, change):
        interaction_template_save(obj, create_language_row=getattr(form, "create_language_row", False))

    def save_formset(self, request, form, formset, change):
        # The language rows go through the services too (docs/BEHAVIOUR.md §10); the admin's history message reads
        # the three lists below after saving.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for inline_form in formset.deleted_forms:
            if inline_form.instance.pk:
                interaction_template_language_delete(inline_form.instance)
                formset.deleted_objects.append(inline_form.instance)
        for inline_form in formset.forms:
            data = getattr(inline_form, "cleaned_data", None)
            if not data or data.get("DELETE") or not inline_form.has_changed():
                continue
            is_new = inline_form.instance.pk is None
            row = inline_form.save(commit=False)
            row.template = form.instance
            interaction_template_language_save(row)
            if not is_new:
                formset.changed_objects.append((row, inline_form.changed_data))
            else:
                formset.new_objects.append(row)

    def delete_model(self, request, obj):
        interaction_template_delete(obj)

    @admin.display(description="Letter")
    def letter(self, obj):
        name = obj.attachment.name.lower() if obj.attachment else ""
        return "Word" if name.endswith(".docx") else "HTML" if name.endswith((".html", ".htm")) else "—"


class InteractionTemplateSetupForm(forms.ModelForm):
    class Meta:
        model = InteractionTemplateSetup
        fields = ("event", "template")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = templates_for_automatic_logging().select_related("group")


@admin.register(InteractionTemplateSetup)
class InteractionTemplateSetupAdmin(admin.ModelAdmin):
    form = InteractionTemplateSetupForm
    list_display = ("event", "template")
    list_select_related = ("template",)


@admin.register(InteractionLogEntry)
class InteractionLogEntryAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "date",
        "contact",
        "description",
        "template",
        "correspondence_type",
        "delivery_status",
        "salesperson",
        "canceled",
    )
    list_select_related = ("contact", "template", "salesperson")
    list_filter = ("canceled", "correspondence_type", "delivery_status", "information_flow", "evaluation", "group")
    search_fields = ("=id", "description", "contact__no", "contact__name", "=segment_no", "=document_no")
    show_full_result_count = False  # no second COUNT(*) over a million rows
    ordering = ("-id",)
    actions = ["resend"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_resend_permission(self, request):
        return request.user.has_perm("interactions.add_interactionlogentry")

    @admin.action(
        description="Resend e-mail of the selected entries that failed or were not sent", permissions=["resend"]
    )
    def resend(self, request, queryset):
        # The entries page's rule and path (interactions.services.log_entries_resend): canceled entries are not
        # resent, the resend is recorded, and the delivery task sends after the commit, not this request.
        try:
            queued = log_entries_resend(queryset, user=request.user)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return
        self.message_user(
            request, f"{count_of(len(queued), 'e-mail', 'e-mails')} queued to be sent again.", messages.SUCCESS
        )


@admin.register(LoggedSegment)
class LoggedSegmentAdmin(admin.ModelAdmin):
    list_display = ("id", "segment_no", "description", "created_at", "user", "canceled")
    list_select_related = ("user",)
    list_filter = ("canceled",)
    search_fields = ("=id", "segment_no", "description")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
