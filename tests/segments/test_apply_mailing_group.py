"""Apply mailing group to a worksheet's contacts (reference 3, related segment actions; docs/BEHAVIOUR.md §6)."""

import csv
import io

import pytest
from django.core.exceptions import ValidationError

from segments.services import segment_apply_mailing_group
from tests.factories import MailingGroupFactory, PersonFactory, SegmentFactory, SegmentLineFactory

pytestmark = pytest.mark.django_db


def members(group):
    return sorted(group.contacts.values_list("pk", flat=True))


def test_given_a_worksheet_when_a_mailing_group_is_applied_then_every_contact_is_a_member_once(marketer):
    group = MailingGroupFactory()
    outsider = PersonFactory()
    outsider.mailing_groups.add(group)
    segment = SegmentFactory()
    first, second = PersonFactory(), PersonFactory()
    first.mailing_groups.add(group)  # already a member
    for contact in (first, second, second):  # a contact on two lines
        SegmentLineFactory(segment=segment, contact=contact)
    added = segment_apply_mailing_group(segment, mailing_group=group, user=marketer)
    assert added == 1
    assert members(group) == sorted([outsider.pk, first.pk, second.pk])


def test_removing_old_assignments_makes_the_group_exactly_the_worksheets_contacts(marketer):
    group, other_group = MailingGroupFactory(), MailingGroupFactory()
    outsider = PersonFactory()
    outsider.mailing_groups.add(group, other_group)
    segment = SegmentFactory()
    contact = PersonFactory()
    SegmentLineFactory(segment=segment, contact=contact)
    segment_apply_mailing_group(segment, mailing_group=group, user=marketer, remove_old_assignments=True)
    assert members(group) == [contact.pk]
    assert members(other_group) == [outsider.pk]  # other groups are not touched


def test_without_a_mailing_group_it_is_refused_and_nothing_changes(marketer):
    group = MailingGroupFactory()
    segment = SegmentFactory()
    SegmentLineFactory(segment=segment)
    with pytest.raises(ValidationError, match="Specify a mailing group code."):
        segment_apply_mailing_group(segment, mailing_group=None, user=marketer, remove_old_assignments=True)
    assert members(group) == []


def test_a_marketer_applies_a_mailing_group_from_the_worksheet_page(marketer_client, viewer_client):
    group = MailingGroupFactory()
    segment = SegmentFactory()
    contact = PersonFactory()
    SegmentLineFactory(segment=segment, contact=contact)
    assert "Apply mailing group" in marketer_client.get(f"/segments/{segment.pk}/").content.decode()
    url = f"/segments/{segment.pk}/mailing-group/"
    assert viewer_client.post(url, {"mailing_group": group.pk}).status_code == 403
    missing = marketer_client.post(url, {}, follow=True)
    assert "Specify a mailing group code." in missing.content.decode()
    assert members(group) == []
    done = marketer_client.post(url, {"mailing_group": group.pk}, follow=True)
    assert f"1 contact added to mailing group {group.code}." in done.content.decode()
    assert members(group) == [contact.pk]


# --- export contacts (reference 3, related segment actions) ----------------------------------------------------


def test_the_worksheets_contacts_export_as_csv_in_line_order_with_formulas_guarded(viewer_client, stranger_client):
    segment = SegmentFactory()
    first = PersonFactory(name="=HYPERLINK(1)", city="Kiel")
    second = PersonFactory(name="Plain Name", city="Ulm")
    for contact in (first, second):
        SegmentLineFactory(segment=segment, contact=contact)
    url = f"/segments/{segment.pk}/contacts.csv"
    assert stranger_client.get(url).status_code == 403
    response = viewer_client.get(url)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:4] == ["Line", "Contact no.", "Type", "Name"]
    assert [row[:2] for row in rows[1:]] == [["1", first.no], ["2", second.no]]
    assert rows[1][3] == "'=HYPERLINK(1)" and rows[2][3] == "Plain Name"
