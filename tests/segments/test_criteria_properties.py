"""Properties of the criteria steps, over small random worksheets."""

from contextlib import contextmanager

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from segments.models import SegmentLine
from segments.services import (
    segment_add_contacts,
    segment_go_back,
    segment_line_update,
    segment_reduce_contacts,
    segment_refine_contacts,
)
from tests.factories import CompanyFactory, PersonFactory, SegmentFactory

pytestmark = pytest.mark.django_db

CITIES = ["Berlin", "Hamburg", "Kiel"]
FEW = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# A company (its city) with persons (their cities); a few companies per example.
companies_strategy = st.lists(
    st.tuples(st.sampled_from(CITIES), st.lists(st.sampled_from(CITIES), max_size=3)), min_size=1, max_size=4
)
criteria_strategy = st.fixed_dictionaries(
    {}, optional={"city": st.sampled_from(CITIES), "type": st.sampled_from(["company", "person"])}
)


@contextmanager
def rolled_back():
    """Each example runs in a savepoint that is rolled back, so examples don't see each other's rows."""
    savepoint = transaction.savepoint()
    try:
        yield
    finally:
        transaction.savepoint_rollback(savepoint)


def build(companies):
    for company_city, person_cities in companies:
        company = CompanyFactory(city=company_city)
        for city in person_cities:
            PersonFactory(company=company, city=city)


def snapshot(segment):
    return sorted(SegmentLine.objects.filter(segment=segment).values_list("id", "contact_id", "personal_note"))


@FEW
@given(
    companies=companies_strategy,
    first=criteria_strategy,
    second=criteria_strategy,
    options=st.fixed_dictionaries(
        {name: st.booleans() for name in ("allow_existing", "expand_companies", "allow_related_companies")}
    ),
)
def test_add_then_go_back_returns_the_same_lines(marketer, companies, first, second, options):
    with rolled_back():
        build(companies)
        segment = SegmentFactory()
        segment_add_contacts(segment, criteria=first, user=marketer)
        for line in SegmentLine.objects.filter(segment=segment)[:2]:
            segment_line_update(line, user=marketer, personal_note=f"note {line.pk}")
        before = snapshot(segment)
        segment_add_contacts(segment, criteria=second, user=marketer, **options)
        segment_go_back(segment, user=marketer)
        assert snapshot(segment) == before


@FEW
@given(companies=companies_strategy, criteria=criteria_strategy, entire_companies=st.booleans())
def test_reduce_and_refine_with_the_same_criteria_partition_the_segment(
    marketer, companies, criteria, entire_companies
):
    with rolled_back():
        build(companies)
        segment = SegmentFactory()
        segment_add_contacts(segment, criteria={}, user=marketer)
        everything = set(snapshot(segment))

        segment_reduce_contacts(segment, criteria=criteria, user=marketer, entire_companies=entire_companies)
        kept_by_reduce = set(snapshot(segment))
        segment_go_back(segment, user=marketer)
        assert set(snapshot(segment)) == everything

        segment_refine_contacts(segment, criteria=criteria, user=marketer, entire_companies=entire_companies)
        kept_by_refine = set(snapshot(segment))

        assert kept_by_reduce.isdisjoint(kept_by_refine)
        assert kept_by_reduce | kept_by_refine == everything
