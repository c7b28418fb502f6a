"""Log with Send: every line that cannot be e-mailed named at once, with one-click ways out (issue 15 §3,
docs/BEHAVIOUR.md §7)."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.models import AuditEvent
from interactions.models import InteractionLogEntry, LoggedSegment
from segments.models import SegmentLine
from segments.services import segment_log, segment_unsendable_lines_set_type
from segments.services.entry_insert_sql import entries_insert
from segments.services.unsendable_lines import lines_without_email_address, unsendable_refusal
from tests.factories import PersonFactory, SegmentFactory, SegmentLineFactory
from tests.segments.logging_helpers import template_with_letter

pytestmark = pytest.mark.django_db


@pytest.fixture
def mailing():
    """A worksheet e-mailing a letter to five contacts, three of whom have no e-mail address."""
    segment = SegmentFactory(template=template_with_letter(correspondence_type="email"), description="Spring mailing")
    with_address = [SegmentLineFactory(segment=segment, contact=PersonFactory(name=f"Reachable {n}")) for n in (1, 2)]
    without = [
        SegmentLineFactory(segment=segment, contact=PersonFactory(name=name, email=""))
        for name in ("Ada Lovelace", "Grace Hopper", "Alan Turing")
    ]
    return segment, with_address, without


def _names(lines):
    return ", ".join(f"{line.contact.no} {line.contact.name}" for line in lines)


def test_logging_with_send_names_every_contact_without_an_address_and_logs_nothing(marketer, mailing):
    segment, _, without = mailing

    with pytest.raises(ValidationError) as error:
        segment_log(segment, user=marketer, send=True)

    assert error.value.messages == [
        f"3 lines are to be sent by e-mail, but their contacts have no e-mail address: {_names(without)}. Switch "
        "those lines to hard copy or to no correspondence type, or log without sending."
    ]
    assert not LoggedSegment.objects.exists() and not InteractionLogEntry.objects.exists()
    assert SegmentLine.objects.filter(segment=segment).count() == 5


def test_the_refusal_names_ten_contacts_then_counts_the_rest_in_one_query(marketer):
    segment = SegmentFactory(template=template_with_letter(correspondence_type="email"))
    lines = [SegmentLineFactory(segment=segment, contact=PersonFactory(email="")) for _ in range(13)]
    logged = LoggedSegment.objects.create(segment_no=segment.no, description="x", user=marketer)
    entries_insert(segment, logged, user=marketer, send=True)

    with CaptureQueriesContext(connection) as queries:
        refusal = unsendable_refusal(logged)

    assert len(queries) == 1
    assert refusal.messages[0].startswith(
        f"13 lines are to be sent by e-mail, but their contacts have no e-mail address: {_names(lines[:10])} and 3 "
        "more. Switch"
    )


def test_one_line_without_an_address_is_named_in_the_singular(marketer):
    segment = SegmentFactory(template=template_with_letter(correspondence_type="email"))
    line = SegmentLineFactory(segment=segment, contact=PersonFactory(name="Acme Inc.", email=""))

    with pytest.raises(ValidationError) as error:
        segment_log(segment, user=marketer, send=True)

    assert error.value.messages[0].startswith(
        f"1 line is to be sent by e-mail, but its contact has no e-mail address: {line.contact.no} Acme Inc. Switch"
    ), "no doubled full stop after a name that ends in one"


def test_switching_them_to_hard_copy_changes_only_those_lines_in_one_audited_step(marketer, mailing):
    segment, with_address, without = mailing

    changed = segment_unsendable_lines_set_type(segment, correspondence_type="hard_copy", user=marketer)

    assert changed == 3
    types = dict(SegmentLine.objects.values_list("pk", "correspondence_type"))
    assert [types[line.pk] for line in without] == ["hard_copy"] * 3
    assert [types[line.pk] for line in with_address] == ["", ""]
    event = AuditEvent.objects.get(action=AuditEvent.Action.SEGMENT_CHANGED)
    assert event.count == 3 and event.user == marketer
    logged = segment_log(segment, user=marketer, send=True)
    entries = dict(logged.entries.values_list("contact_id", "correspondence_type"))
    assert [entries[line.contact_id] for line in without] == ["hard_copy"] * 3
    assert [entries[line.contact_id] for line in with_address] == ["email", "email"]


def test_switching_them_to_no_correspondence_type_logs_them_blank_with_send(marketer, mailing):
    segment, with_address, without = mailing

    segment_unsendable_lines_set_type(segment, correspondence_type="none", user=marketer)
    logged = segment_log(segment, user=marketer, send=True)

    entries = dict(logged.entries.values_list("contact_id", "correspondence_type"))
    assert [entries[line.contact_id] for line in without] == ["", "", ""]
    assert [entries[line.contact_id] for line in with_address] == ["email", "email"]


def test_switching_to_an_unknown_type_is_refused_and_changes_nothing(marketer, mailing):
    segment, _, _ = mailing

    with pytest.raises(ValidationError, match="can be switched to “hard_copy” or “none” only"):
        segment_unsendable_lines_set_type(segment, correspondence_type="email", user=marketer)

    assert set(SegmentLine.objects.values_list("correspondence_type", flat=True)) == {""}
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.SEGMENT_CHANGED).exists()


# --- the worksheet page -------------------------------------------------------------------------------------------


def test_the_worksheet_counts_and_names_them_linked_to_their_lines_before_anyone_presses_log(marketer_client, mailing):
    segment, _, without = mailing

    page = marketer_client.get(f"/segments/{segment.pk}/").content.decode()

    assert "3 lines are to be sent by e-mail, but their contacts have no e-mail address" in page
    for line in without:
        assert f'href="/segments/{segment.pk}/lines/{line.pk}/">{line.contact.no} {line.contact.name}</a>' in page
    assert "Switch them to hard copy" in page and "Switch them to no correspondence type" in page
    assert "Log without sending" in page


def test_a_worksheet_whose_lines_can_all_be_sent_says_nothing_of_it(marketer_client):
    segment = SegmentFactory(template=template_with_letter(correspondence_type="email"))
    SegmentLineFactory(segment=segment)

    assert "no e-mail address" not in marketer_client.get(f"/segments/{segment.pk}/").content.decode()


def test_one_click_on_the_page_switches_all_of_them(marketer_client, mailing):
    segment, _, without = mailing

    response = marketer_client.post(
        f"/segments/{segment.pk}/lines/unsendable/", {"correspondence_type": "hard_copy"}, follow=True
    )

    page = response.content.decode()
    assert "3 lines were switched to hard copy." in page
    assert "no e-mail address" not in page
    assert set(
        SegmentLine.objects.filter(pk__in=[line.pk for line in without]).values_list("correspondence_type", flat=True)
    ) == {"hard_copy"}


def test_a_viewer_cannot_switch_them(viewer_client, mailing):
    segment, _, _ = mailing

    response = viewer_client.post(f"/segments/{segment.pk}/lines/unsendable/", {"correspondence_type": "hard_copy"})

    assert response.status_code == 403
    assert set(SegmentLine.objects.values_list("correspondence_type", flat=True)) == {""}


def test_the_refused_log_leads_back_to_the_worksheet_with_the_names_and_the_ways_out(marketer_client, mailing):
    segment, _, without = mailing

    response = marketer_client.post(f"/segments/{segment.pk}/log/", {"send": "on"}, follow=True)

    page = response.content.decode()
    assert f"their contacts have no e-mail address: {_names(without)}." in page
    assert "Switch them to hard copy" in page
    assert not LoggedSegment.objects.exists()


def test_log_without_sending_logs_them_with_a_blank_type(marketer_client, mailing):
    segment, _, without = mailing

    marketer_client.post(f"/segments/{segment.pk}/log/", {})

    logged = LoggedSegment.objects.get()
    entries = dict(logged.entries.values_list("contact_id", "correspondence_type"))
    assert [entries[line.contact_id] for line in without] == ["", "", ""]


def test_the_lines_that_cannot_be_e_mailed_are_only_the_segments_own(mailing):
    # The query tests the line ids alone (the SQL keeps to the segment): another worksheet's lines stay out.
    segment, _, without = mailing
    other = SegmentFactory(template=segment.template)
    SegmentLineFactory(segment=other, contact=PersonFactory(name="Elsewhere", email=""))

    assert sorted(lines_without_email_address(segment).values_list("pk", flat=True)) == sorted(
        line.pk for line in without
    )
