"""Factories for segment tests (the shared tests/factories.py has SegmentFactory and SegmentLineFactory)."""

import factory

from segments.models import SavedSegmentCriteria, SavedSegmentCriteriaStep
from tests.factories import CompanyFactory, PersonFactory  # noqa: F401  (re-exported for the tests)


class SavedSegmentCriteriaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SavedSegmentCriteria

    code = factory.Sequence(lambda n: f"SAVED{n}")
    description = "Saved for later"


class SavedSegmentCriteriaStepFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SavedSegmentCriteriaStep

    saved = factory.SubFactory(SavedSegmentCriteriaFactory)
    step = factory.Sequence(lambda n: n + 1)
    action = "add"
    criteria = factory.LazyFunction(dict)
    options = factory.LazyFunction(dict)
