from django.contrib import admin

from .models import (
    Contact,
    IndustryGroup,
    JobResponsibility,
    MailingGroup,
    SalesDocument,
    SalesDocumentLine,
    Salesperson,
)


@admin.register(Salesperson)
class SalespersonAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "email", "phone", "user")
    search_fields = ("code", "name", "email")
    raw_id_fields = ("user",)


@admin.register(MailingGroup, IndustryGroup, JobResponsibility)
class CodeDescriptionAdmin(admin.ModelAdmin):
    list_display = ("code", "description")
    search_fields = ("code", "description")


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ("no", "name", "type", "company", "city", "country_code", "salesperson")
    list_filter = ("type", "correspondence_type", "country_code")
    list_select_related = ("company", "salesperson")
    search_fields = ("no", "name", "email")
    raw_id_fields = ("company",)
    readonly_fields = ("no",)
    show_full_result_count = False

    def save_model(self, request, obj, form, change):
        # New contacts need a number from the series; the service assigns it.
        from .numbering import next_number

        if not obj.no:
            obj.no = next_number("contact")
        super().save_model(request, obj, form, change)


class SalesDocumentLineInline(admin.TabularInline):
    model = SalesDocumentLine
    extra = 1
    fields = ("line_no", "description", "quantity", "unit_price")


@admin.register(SalesDocument)
class SalesDocumentAdmin(admin.ModelAdmin):
    list_display = ("no", "kind", "date", "contact", "salesperson", "printed_versions")
    list_filter = ("kind",)
    list_select_related = ("contact", "salesperson")
    search_fields = ("no", "contact__name")
    raw_id_fields = ("contact",)
    readonly_fields = ("no", "printed_versions", "no_printed")
    inlines = [SalesDocumentLineInline]

    def save_model(self, request, obj, form, change):
        from .numbering import next_number

        if not obj.no:
            obj.no = next_number(obj.kind)
        super().save_model(request, obj, form, change)
