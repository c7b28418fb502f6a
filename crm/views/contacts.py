from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST, require_safe

from .. import selectors, services
from ..access import add_service_error, object_action, require_perm
from ..filters import ContactFilter
from ..forms import ContactForm
from ..interaction_summary import contact_interaction_summary, contacts_interaction_summaries
from ..models import Contact
from ..page_cache import cached_page
from ..tables import ContactTable, contact_history_rows
from .lists import ListPageView

HISTORY_ROWS = 50


def _shows_interactions(request) -> bool:
    """?columns=interactions adds the interaction summary columns to the contact list (hidden by default)."""
    return "interactions" in {name for raw in request.GET.getlist("columns") for name in raw.split(",")}


class ContactListView(ListPageView):
    permission = "crm.view_contact"
    table_class = ContactTable
    filterset_class = ContactFilter
    template_name = "crm/contact_list.html"

    def get_queryset(self):
        return Contact.objects.for_list()

    def get_table(self, **kwargs):
        table = super().get_table(**kwargs)
        if _shows_interactions(self.request):
            # Only the page's rows, in one grouped query per kind (crm.interaction_summary), after pagination.
            records = [row.record for row in table.paginated_rows]
            summaries = contacts_interaction_summaries(records)
            for record in records:
                record.interaction_summary = summaries[record.pk]
            table.show_interaction_columns()
        return table

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query.pop("columns", None)
        context["criteria_query"] = query.urlencode()
        context["shows_interactions"] = _shows_interactions(self.request)
        query["columns"] = "interactions"
        context["interactions_query"] = query.urlencode()  # the toggle keeps the filters and the page
        return context


@require_safe
def contact_lookup(request):
    """JSON for the contact pickers and the navigation bar's search: at most 20 contacts whose number, name or
    company name starts with ?q= (docs/BEHAVIOUR.md §1a Finding a contact); ?kind=company for companies only."""
    require_perm(request, "crm.view_contact")
    contacts = selectors.contact_lookup(
        text=request.GET.get("q", ""), companies_only=request.GET.get("kind") == "company"
    )
    return JsonResponse({"results": [selectors.lookup_result(contact) for contact in contacts]})


@require_safe
def contact_search(request):
    """The navigation bar's search without JavaScript: the same look-up as a page; a number that is exactly one
    contact's opens that contact."""
    require_perm(request, "crm.view_contact")
    text = request.GET.get("q", "").strip()
    contacts = selectors.contact_lookup(text=text)
    exact = [contact for contact in contacts if contact.no == text.upper()]
    if exact:
        return redirect(exact[0])
    return render(
        request,
        "crm/contact_search.html",
        {"text": text, "contacts": contacts, "limit": selectors.LOOKUP_LIMIT},
    )


@require_safe
@cached_page  # kept per user until the data changes (crm.page_cache)
def contact_detail(request, pk: int):
    require_perm(request, "crm.view_contact")
    contact = get_object_or_404(Contact.objects.select_related("company", "salesperson", "salutation_code"), pk=pk)
    persons = contact.persons.order_by("name")[:200] if contact.is_company else []
    # A company's history includes its persons' entries (contact_company is the company for both).
    history_source = contact.company_interaction_entries if contact.is_company else contact.interaction_entries
    history = list(
        history_source.select_related("contact", "template", "salesperson").order_by("-date", "-id")[:HISTORY_ROWS]
    )
    return render(
        request,
        "crm/contact_detail.html",
        {
            "contact": contact,
            "persons": persons,
            "history": history,
            "history_html": contact_history_rows(history, with_contact=contact.is_company),
            "history_rows": HISTORY_ROWS,
            "summary": contact_interaction_summary(contact),
            "mailing_groups": contact.mailing_groups.all(),
            "industry_groups": contact.industry_groups.all()
            if contact.is_company or not contact.company_id
            else contact.company.industry_groups.all(),
            "job_responsibilities": contact.job_responsibilities.all(),
        },
    )


def contact_create(request):
    require_perm(request, "crm.add_contact")
    form = ContactForm(request.POST or None, initial={"type": request.GET.get("type", "company")})
    if request.method == "POST" and form.is_valid():
        try:
            contact = services.contact_create(user=request.user, **form.service_fields())
        except ValidationError as error:
            add_service_error(form, error, fields={"company": "company_no"})
        else:
            messages.success(request, f"Contact {contact.no} {contact.name} was created.")
            return redirect(contact)
    return render(request, "crm/contact_form.html", {"form": form, "title": "New contact"})


def contact_edit(request, pk: int):
    require_perm(request, "crm.change_contact")
    contact = get_object_or_404(Contact, pk=pk)
    form = ContactForm(request.POST or None, instance=contact)
    if request.method == "POST" and form.is_valid():
        try:
            services.contact_update(
                Contact.objects.get(pk=pk), user=request.user, row_version=form.edit_version(), **form.service_fields()
            )
        except ValidationError as error:
            add_service_error(form, error, fields={"company": "company_no"})
        else:
            messages.success(request, f"Contact {contact.no} was saved.")
            return redirect(contact)
    return render(request, "crm/contact_form.html", {"form": form, "title": f"Edit {contact.no}", "contact": contact})


@require_POST
@object_action(Contact, perm="crm.delete_contact")
def contact_delete(request, contact: Contact):
    services.contact_delete(contact, user=request.user)
    messages.success(request, f"Contact {contact.no} was deleted.")
    return redirect("crm:contact_list")
