"""Codes in criteria are chosen from their lists and typed in any case (docs/BEHAVIOUR.md §1a Finding a contact)."""

import pytest
from django.core.exceptions import ValidationError

from crm.filters import filter_contacts, validate_criteria
from segments.models import SegmentLine
from segments.services import segment_add_contacts
from tests.factories import (
    InteractionLogEntryFactory,
    InteractionTemplateFactory,
    LoggedSegmentFactory,
    MailingGroupFactory,
    PersonFactory,
    SalespersonFactory,
    SegmentFactory,
)

pytestmark = pytest.mark.django_db


def test_a_criteria_code_typed_in_lower_case_selects_the_contacts_of_that_code(marketer):
    gift = MailingGroupFactory(code="GIFT")
    receivers = PersonFactory.create_batch(2)
    for person in receivers:
        person.mailing_groups.add(gift)
    PersonFactory()  # not in the group
    segment = SegmentFactory()

    added = segment_add_contacts(segment, criteria={"mailing_group": "gift"}, user=marketer)

    assert added == 2
    lines = SegmentLine.objects.filter(segment=segment)
    assert sorted(lines.values_list("contact_id", flat=True)) == sorted(person.pk for person in receivers)


def test_a_criteria_code_is_kept_as_stored_whatever_the_case_it_was_typed_in():
    MailingGroupFactory(code="GIFT")
    SalespersonFactory(code="JS")
    InteractionTemplateFactory(code="CALL")
    criteria = {"mailing_group": "Gift", "salesperson": "js", "interaction_template": "call"}
    assert validate_criteria(criteria).values == {
        "mailing_group": "GIFT",
        "salesperson": "JS",
        "interaction_template": "CALL",
    }


def test_an_exact_code_wins_over_one_that_differs_only_in_case():
    MailingGroupFactory(code="vip")
    upper = MailingGroupFactory(code="VIP")
    person = PersonFactory()
    person.mailing_groups.add(upper)
    assert list(filter_contacts({"mailing_group": "VIP"})) == [person]
    assert list(filter_contacts({"mailing_group": "vip"})) == []


def test_an_unknown_code_is_still_refused_and_changes_nothing(marketer):
    MailingGroupFactory(code="GIFT")
    segment = SegmentFactory()
    with pytest.raises(ValidationError, match="There is no mailing group with the code “gifts”"):
        segment_add_contacts(segment, criteria={"mailing_group": "gifts"}, user=marketer)
    assert not SegmentLine.objects.filter(segment=segment).exists()


def test_a_language_code_matches_whatever_the_case():
    german = PersonFactory(language_code="de")
    brazilian = PersonFactory(language_code="pt-BR")
    assert list(filter_contacts({"language_code": "DE"})) == [german]
    assert list(filter_contacts({"language_code": "PT-br"})) == [brazilian]


def test_the_worksheet_criteria_offer_the_codes_with_their_descriptions(marketer_client):
    MailingGroupFactory(code="GIFT", description="Christmas gift")
    SalespersonFactory(code="JS", name="Jane Seller")
    InteractionTemplateFactory(code="CALL", description="Phone call")
    segment = SegmentFactory()
    text = marketer_client.get(f"/segments/{segment.pk}/").content.decode()
    assert 'list="id_c-mailing_group-codes"' in text
    assert '<option value="GIFT">Christmas gift</option>' in text
    assert '<option value="JS">Jane Seller</option>' in text
    assert '<option value="CALL">Phone call</option>' in text
    assert '<option value="de">German</option>' in text


def test_reusing_a_logged_segment_offers_the_recent_ones_with_their_segment_description_date_and_count(
    marketer_client,
):
    older = LoggedSegmentFactory(segment_no="SEG00001", description="Spring fair")
    recent = LoggedSegmentFactory(segment_no="SEG00002", description="Autumn letter")
    InteractionLogEntryFactory.create_batch(2, logged_segment=recent)
    segment = SegmentFactory()
    text = marketer_client.get(f"/segments/{segment.pk}/").content.decode()
    day = f"{recent.created_at:%Y-%m-%d}"
    assert f'<option value="{recent.pk}">SEG00002 · Autumn letter · {day} · 2 interactions</option>' in text
    assert f'<option value="{older.pk}">SEG00001 · Spring fair' in text
    options = text[text.index('<datalist id="id_logged_segment-codes">') :]
    assert options.index(f'<option value="{recent.pk}">') < options.index(f'<option value="{older.pk}">')


def test_the_reuse_list_is_bounded_to_the_most_recent_fifty_and_a_typed_number_still_works(marketer_client):
    logged = LoggedSegmentFactory.create_batch(52)
    segment = SegmentFactory()
    text = marketer_client.get(f"/segments/{segment.pk}/").content.decode()
    assert f'<option value="{logged[-1].pk}">' in text
    assert f'<option value="{logged[1].pk}">' not in text
    response = marketer_client.post(f"/segments/{segment.pk}/reuse-logged/", {"logged_segment": logged[0].pk})
    assert response.status_code == 302
