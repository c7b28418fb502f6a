"""Factories for segment tests (the shared tests/factories.py has SegmentFactory and SegmentLineFactory)."""

import factory

from segments.models import SavedSegmentCriteria, SavedSegmentCriteriaStep, Segment
from segments.services import segment_add_contacts
from tests.factories import CompanyFactory, PersonFactory, SegmentFactory
from tests.segments.logging_helpers import template_with_letter


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


def add_acme_and_two_people(segment: Segment, user, *, acme_city: str = "Kiel", salutations: bool = False) -> Segment:
    """Acme (in `acme_city`) and two of its people in Kiel, Ada Lovelace and Grace Hopper, added to the worksheet by
    one Add step (city Kiel): three lines, or the two people alone when Acme is elsewhere."""

    def greeting(text: str) -> dict:
        return {"salutation": text} if salutations else {}

    acme = CompanyFactory(name="Acme", city=acme_city, **greeting("Dear Sirs"))
    PersonFactory(name="Ada Lovelace", company=acme, city="Kiel", **greeting("Dear Ada"))
    PersonFactory(name="Grace Hopper", company=acme, city="Kiel", **greeting("Dear Grace"))
    segment_add_contacts(segment, criteria={"city": "Kiel"}, user=user)
    return segment


def acme_letter_worksheet(user, letter: bytes) -> Segment:
    """Three lines with an English Word letter: Acme and two of its people, each with a salutation."""
    template = template_with_letter(letter, code="LETTER", language_code="en")
    segment = SegmentFactory(template=template, description="Spring offer", language_code="en")
    return add_acme_and_two_people(segment, user, salutations=True)
