"""Back office for worksheets and saved criteria. Changes to lines go through the worksheet page (services)."""

from django.contrib import admin

from .models import SavedSegmentCriteria, SavedSegmentCriteriaStep, Segment, SegmentCriteriaAction


class SegmentCriteriaActionInline(admin.TabularInline):
    model = SegmentCriteriaAction
    fields = ("step", "action", "criteria", "options", "affected", "user", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Segment)
class SegmentAdmin(admin.ModelAdmin):
    list_display = ("no", "description", "template", "salesperson", "date", "created_by", "created_at")
    list_filter = ("correspondence_type", "date")
    list_select_related = ("template", "salesperson", "created_by")
    search_fields = ("no", "description")
    raw_id_fields = ("template", "salesperson", "created_by")
    readonly_fields = ("no", "created_at")
    inlines = [SegmentCriteriaActionInline]
    show_full_result_count = False

    def save_model(self, request, obj, form, change):
        if not obj.no:
            from crm.numbering import next_number

            obj.no = next_number("segment")
        super().save_model(request, obj, form, change)


class SavedSegmentCriteriaStepInline(admin.TabularInline):
    model = SavedSegmentCriteriaStep
    fields = ("step", "action", "criteria", "options")
    extra = 0


@admin.register(SavedSegmentCriteria)
class SavedSegmentCriteriaAdmin(admin.ModelAdmin):
    list_display = ("code", "description", "user", "created_at")
    list_select_related = ("user",)
    search_fields = ("code", "description")
    raw_id_fields = ("user",)
    inlines = [SavedSegmentCriteriaStepInline]
