"""The contact's interaction summary: Business Central's flow fields (reference 1.2; docs/BEHAVIOUR.md §1) on the
contact page, as optional columns of the contact list, and on the salesperson in the admin."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.interaction_summary import (
    NO_INTERACTIONS,
    contact_interaction_summary,
    contacts_interaction_summaries,
    salesperson_interaction_summary,
)
from tests.factories import CompanyFactory, InteractionLogEntryFactory, PersonFactory, SalespersonFactory

pytestmark = pytest.mark.django_db

DAY = datetime.date(2025, 3, 1)


def _on(days: int) -> datetime.date:
    return DAY + datetime.timedelta(days=days)


@pytest.fixture
def company():
    """A company with two persons and these entries:

    Ada: +0 a letter (us, 2.50, 5 min.), +3 a failed call (us), +5 a canceled visit, +9 a postponed call;
    Bob: +4 an inbound e-mail from him (them, 1.00, 10 min.); the company itself: +1 a meeting (us, 4.00, 60 min.).
    """
    company = CompanyFactory(name="Analytical Ltd")
    ada = PersonFactory(name="Ada", company=company)
    bob = PersonFactory(name="Bob", company=company)
    seller = SalespersonFactory(code="JS")
    entry = InteractionLogEntryFactory
    entry(contact=ada, date=_on(0), initiated_by="us", cost=Decimal("2.50"), duration_minutes=5, salesperson=seller)
    entry(contact=ada, date=_on(3), initiated_by="us", attempt_failed=True, cost=0, duration_minutes=1)
    entry(contact=ada, date=_on(5), initiated_by="us", canceled=True, cost=Decimal("99"), salesperson=seller)
    entry(contact=ada, date=_on(9), initiated_by="us", postponed=True, cost=Decimal("99"), salesperson=seller)
    entry(contact=bob, date=_on(4), initiated_by="them", cost=Decimal("1.00"), duration_minutes=10)
    entry(contact=company, date=_on(1), initiated_by="us", cost=Decimal("4.00"), duration_minutes=60)
    company.ada, company.bob, company.seller = ada, bob, seller
    return company


def test_a_persons_figures_leave_canceled_and_postponed_entries_out(company):
    """Given Ada's four entries (one failed, one canceled, one postponed)
    When her summary is read
    Then it counts the two that count, the last interaction is the latest that did not fail,
    And the last attempt is the latest initiated by us, the failed call."""
    summary = contact_interaction_summary(company.ada)
    assert (summary.count, summary.cost, summary.duration_minutes) == (2, Decimal("2.50"), 6)
    assert summary.last_interaction == _on(0)
    assert summary.last_attempted == _on(3)


def test_a_company_counts_its_persons_entries(company):
    """Given a company whose persons have entries
    When the company's summary is read
    Then it includes Ada's, Bob's and its own."""
    summary = contact_interaction_summary(company)
    assert (summary.count, summary.cost, summary.duration_minutes) == (4, Decimal("7.50"), 76)
    assert summary.last_interaction == _on(4)  # Bob's e-mail: not failed, initiated by them
    assert summary.last_attempted == _on(3)


def test_a_contact_without_entries_has_empty_figures():
    assert contact_interaction_summary(PersonFactory()) == NO_INTERACTIONS


def test_a_salespersons_figures(company):
    summary = salesperson_interaction_summary(company.seller)
    assert (summary.count, summary.cost, summary.last_interaction) == (1, Decimal("2.50"), _on(0))


def test_a_page_of_contacts_is_summed_in_two_grouped_queries(company):
    others = [PersonFactory() for _ in range(5)]
    contacts = [company, company.ada, company.bob, *others]
    with CaptureQueriesContext(connection) as queries:
        summaries = contacts_interaction_summaries(contacts)
    assert len(queries) == 2
    assert summaries[company.pk].count == 4 and summaries[company.ada.pk].count == 2
    assert summaries[company.bob.pk].count == 1 and summaries[others[0].pk] == NO_INTERACTIONS


# --- pages ----------------------------------------------------------------------------------------------------------


def test_the_contact_page_shows_the_summary(viewer_client, company):
    page = viewer_client.get(f"/contacts/{company.pk}/").content.decode()
    assert "<dt>Interactions</dt><dd>4 <span" in page and "(with its persons)" in page
    assert "<dt>Cost</dt><dd>7.50</dd>" in page and "<dt>Duration</dt><dd>76 min</dd>" in page
    assert "<dt>Last interaction</dt><dd>2025-03-05</dd>" in page
    assert "<dt>Last attempted</dt><dd>2025-03-04</dd>" in page


def test_the_contact_list_shows_the_figures_only_when_asked(viewer_client, company):
    plain = viewer_client.get("/contacts/").content.decode()
    assert "Last attempted" not in plain and "Show interaction figures" in plain

    page = viewer_client.get("/contacts/", {"columns": "interactions"}).content.decode()

    assert "Last attempted" in page and "Hide interaction figures" in page
    ada_row = next(row for row in page.split("<tr") if ">Ada<" in row)
    assert ">2<" in ada_row and ">2.50<" in ada_row and "2025-03-01" in ada_row and "2025-03-04" in ada_row


def test_the_contact_list_with_figures_costs_a_fixed_number_of_queries(viewer_client, company):
    def queries_for_page() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert viewer_client.get("/contacts/", {"columns": "interactions"}).status_code == 200
        return len(queries)

    before = queries_for_page()
    for _ in range(10):
        InteractionLogEntryFactory(contact=PersonFactory(company=CompanyFactory()))
    assert queries_for_page() == before


def test_the_salesperson_admin_page_shows_the_figures(admin_client, company):
    page = admin_client.get(f"/admin/crm/salesperson/{company.seller.pk}/change/").content.decode()
    assert "Date of last interaction" in page and "2025-03-01" in page and "2.50" in page
    assert admin_client.get("/admin/crm/salesperson/add/").status_code == 200
