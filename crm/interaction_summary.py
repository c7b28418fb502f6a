"""A contact's (and a salesperson's) interaction summary: Business Central's flow fields No. of Interactions,
Cost, Duration, Date of Last Interaction and Last Date Attempted (reference 1.2; docs/BEHAVIOUR.md §1).

Every figure leaves canceled and postponed entries out: postponed ones through the entry model's default manager
(interactions.models.LoggedEntryManager), canceled ones here. A company counts its persons' entries too (an
entry's contact_company is the company for both). Each read is one aggregate query over an indexed column:
ile_contact_date for a person, ile_company_date for a company, ile_salesperson_date for a salesperson; a list
page asks for its page's contacts at once (at most two grouped queries), never a subquery per row.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.apps import apps
from django.db.models import Count, Max, Q, QuerySet, Sum

from .models import Contact, Salesperson


@dataclass(frozen=True)
class InteractionSummary:
    count: int = 0
    cost: Decimal = Decimal("0")
    duration_minutes: int = 0
    last_interaction: datetime.date | None = None  # the latest entry whose attempt did not fail
    last_attempted: datetime.date | None = None  # the latest entry initiated by us


NO_INTERACTIONS = InteractionSummary()

_AGGREGATES = {
    "count": Count("id"),
    "cost": Sum("cost"),
    "duration_minutes": Sum("duration_minutes"),
    "last_interaction": Max("date", filter=Q(attempt_failed=False)),
    "last_attempted": Max("date", filter=Q(initiated_by="us")),
}


def _entries() -> QuerySet:
    # Looked up by name: crm must not import interactions (dependency direction crm <- interactions).
    return apps.get_model("interactions", "InteractionLogEntry").objects.filter(canceled=False).order_by()


def _summary(row: dict) -> InteractionSummary:
    return InteractionSummary(
        count=row["count"] or 0,
        cost=Decimal(row["cost"] or 0),
        duration_minutes=int(row["duration_minutes"] or 0),
        last_interaction=row["last_interaction"],
        last_attempted=row["last_attempted"],
    )


def _by_contact(contact: Contact) -> dict:
    # contact_company__isnull=False is implied by the id, but SQLite uses the partial index ile_company_date only
    # when the query repeats its condition.
    if contact.is_company:
        return {"contact_company_id": contact.pk, "contact_company__isnull": False}
    return {"contact_id": contact.pk}


def contact_interaction_summary(contact: Contact) -> InteractionSummary:
    """One contact's figures; a company's include its persons' entries."""
    return _summary(_entries().filter(**_by_contact(contact)).aggregate(**_AGGREGATES))


def contacts_interaction_summaries(contacts: Iterable[Contact]) -> dict[int, InteractionSummary]:
    """The figures of a page of contacts by id: one grouped query for its persons, one for its companies."""
    contacts = list(contacts)
    persons = [c.pk for c in contacts if not c.is_company]
    companies = [c.pk for c in contacts if c.is_company]
    summaries: dict[int, InteractionSummary] = {}
    if persons:
        rows = _entries().filter(contact_id__in=persons).values("contact_id").annotate(**_AGGREGATES)
        summaries.update((row["contact_id"], _summary(row)) for row in rows)
    if companies:
        rows = (
            _entries()
            .filter(contact_company_id__in=companies, contact_company__isnull=False)
            .values("contact_company_id")
            .annotate(**_AGGREGATES)
        )
        summaries.update((row["contact_company_id"], _summary(row)) for row in rows)
    return {c.pk: summaries.get(c.pk, NO_INTERACTIONS) for c in contacts}


def salesperson_interaction_summary(salesperson: Salesperson) -> InteractionSummary:
    """A salesperson's figures over the entries logged for them."""
    return _summary(
        _entries().filter(salesperson_id=salesperson.pk, salesperson__isnull=False).aggregate(**_AGGREGATES)
    )
