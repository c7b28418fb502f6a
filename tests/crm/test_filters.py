"""crm.filters' pieces that every app's list filters use: the search box (ContainsFilter)."""

import pytest

from interactions.filters import LogEntryFilter, PostponedEntryFilter
from interactions.models import InteractionLogEntry
from segments.filters import SavedCriteriaFilter
from segments.models import SavedSegmentCriteria
from tests.factories import InteractionLogEntryFactory
from tests.segments.factories import SavedSegmentCriteriaFactory

pytestmark = pytest.mark.django_db


def _found(filterset_class, queryset, q, field):
    filterset = filterset_class({"q": q}, queryset=queryset)
    assert filterset.is_valid()
    return sorted(getattr(row, field) for row in filterset.qs)


@pytest.mark.parametrize(
    "q, expected",
    [
        ("gift", ["GIFT24", "XMAS"]),
        ("  Gift  ", ["GIFT24", "XMAS"]),
        ("xmas", ["XMAS"]),
        ("", ["GIFT24", "OTHER", "XMAS"]),
    ],
)
def test_the_saved_criteria_search_finds_the_text_in_the_code_or_the_description_in_any_case(q, expected):
    SavedSegmentCriteriaFactory(code="GIFT24", description="Spring mailing")
    SavedSegmentCriteriaFactory(code="XMAS", description="Christmas gift")
    SavedSegmentCriteriaFactory(code="OTHER", description="Fair")
    assert _found(SavedCriteriaFilter, SavedSegmentCriteria.objects.all(), q, "code") == expected


def test_the_entries_search_finds_the_text_in_the_description_or_the_subject():
    InteractionLogEntryFactory(description="Trade fair invitation", subject="")
    InteractionLogEntryFactory(description="Call", subject="About the FAIR")
    InteractionLogEntryFactory(description="Visit", subject="Prices")
    entries = InteractionLogEntry.objects.all()
    assert _found(LogEntryFilter, entries, "fair", "description") == ["Call", "Trade fair invitation"]
    assert _found(PostponedEntryFilter, entries, "fair", "description") == ["Trade fair invitation"]
    assert _found(PostponedEntryFilter, entries, " ", "description") == ["Call", "Trade fair invitation", "Visit"]
