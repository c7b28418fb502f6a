"""Audit rows say in readable words which entries or segments an action touched: their numbers and count, cut with
"and N more" (docs/BEHAVIOUR.md §13); the audit page shows them."""

import re

import pytest

from crm.models import AuditEvent
from crm.wording import named_list
from interactions.services import log_entries_delete_canceled, log_entries_evaluate, log_entries_set_canceled
from segments.services import (
    logged_segment_set_canceled,
    logged_segments_delete_canceled,
    segment_apply_mailing_group,
    segment_line_update,
    segment_log,
    segment_update_header,
)
from tests.factories import InteractionLogEntryFactory, MailingGroupFactory, PersonFactory, SegmentLineFactory
from tests.segments.logging_helpers import segment_with_lines

pytestmark = pytest.mark.django_db


def _summary(action) -> str:
    return AuditEvent.objects.filter(action=action).latest("id").summary


def test_named_list_cuts_after_the_limit_and_counts_the_rest():
    assert named_list([101, 102, 105]) == "101, 102, 105"
    assert named_list(range(1, 13)) == "1, 2, 3, 4, 5, 6, 7, 8, 9, 10 and 2 more"
    assert named_list([1, 2], 1502) == "1, 2 and 1,500 more"
    assert named_list([]) == ""


def test_canceling_entries_names_them(marketer):
    entries = [InteractionLogEntryFactory() for _ in range(3)]
    log_entries_set_canceled([entry.pk for entry in entries], canceled=True, user=marketer)
    numbers = ", ".join(str(entry.pk) for entry in entries)
    assert _summary(AuditEvent.Action.ENTRIES_CANCELED) == f"Canceled 3 entries: {numbers}"

    log_entries_set_canceled([entries[0].pk], canceled=False, user=marketer)
    assert _summary(AuditEvent.Action.ENTRIES_UNCANCELED) == f"Un-canceled 1 entry: {entries[0].pk}"


def test_many_entries_are_cut_with_and_n_more(marketer):
    ids = sorted(InteractionLogEntryFactory().pk for _ in range(12))
    log_entries_evaluate(ids, evaluation="positive", user=marketer)
    first = ", ".join(str(pk) for pk in ids[:10])
    assert _summary(AuditEvent.Action.ENTRIES_EVALUATED) == f"Evaluated 12 entries as Positive: {first} and 2 more"


def test_deleting_canceled_entries_names_them(marketer):
    entries = [InteractionLogEntryFactory() for _ in range(2)]
    log_entries_set_canceled([entry.pk for entry in entries], canceled=True, user=marketer)
    assert log_entries_delete_canceled(user=marketer) == 2
    numbers = ", ".join(str(entry.pk) for entry in entries)
    assert _summary(AuditEvent.Action.ENTRIES_DELETED) == f"Deleted 2 canceled entries: {numbers}"


def test_logging_canceling_and_deleting_a_logged_segment(marketer):
    segment, _ = segment_with_lines(2, description="Spring mailing")
    logged = segment_log(segment, user=marketer)
    assert _summary(AuditEvent.Action.SEGMENT_LOGGED) == f"Logged segment {logged.pk} ({segment.no}): 2 entries"

    logged_segment_set_canceled(logged, canceled=True, user=marketer)
    assert (
        _summary(AuditEvent.Action.LOGGED_SEGMENT_CANCELED)
        == f"Canceled logged segment {logged.pk} ({segment.no}): 2 entries"
    )
    logged_segments_delete_canceled(user=marketer)
    assert (
        _summary(AuditEvent.Action.LOGGED_SEGMENTS_DELETED)
        == f"Deleted 1 canceled logged segment: {logged.pk}; 2 entries kept, detached"
    )


def test_worksheet_changes_say_what_and_how_many_lines(marketer):
    segment, lines = segment_with_lines(2, description="Spring mailing")
    segment_line_update(lines[0], user=marketer, description="Own words")
    segment_update_header(segment, user=marketer, description="Summer mailing", push_to_lines=True)
    assert (
        _summary(AuditEvent.Action.SEGMENT_CHANGED)
        == f"Changed the header of segment {segment.no}: description; 1 line updated too"
    )

    group = MailingGroupFactory(code="GIFT")
    segment_apply_mailing_group(segment, mailing_group=group, user=marketer)
    assert (
        _summary(AuditEvent.Action.SEGMENT_CHANGED)
        == f"Applied mailing group GIFT to segment {segment.no}: 2 contacts added"
    )


def test_the_audit_page_shows_the_words_not_the_data(marketer, marketer_client):
    entries = [InteractionLogEntryFactory() for _ in range(3)]
    log_entries_set_canceled([entry.pk for entry in entries], canceled=True, user=marketer)
    # A row written before the services said what they did in words: its details, readably.
    AuditEvent.objects.create(action=AuditEvent.Action.ENTRIES_DELETED, count=4, details={"letters_removed": 1})
    AuditEvent.objects.create(action=AuditEvent.Action.CONTACT_CHANGED, details={"fields": ["personal_note", "phone"]})

    page = marketer_client.get("/audit/").content.decode()
    text = " ".join(re.sub(r"<[^>]+>", " ", page).split())
    numbers = ", ".join(str(entry.pk) for entry in entries)
    assert "What happened" in text and f"Canceled 3 entries: {numbers}" in text
    assert "letters removed: 1" in text
    assert "fields: personal note, phone" in text
    assert not set("{[") & set(text.split("What happened", 1)[1]), "no raw dicts or lists on the page"


def test_a_line_change_names_the_contact(marketer):
    segment, _ = segment_with_lines(0, description="Spring mailing")
    line = SegmentLineFactory(segment=segment, contact=PersonFactory(name="Ada Lovelace"))
    segment_line_update(line, user=marketer, personal_note="See you soon")
    assert (
        _summary(AuditEvent.Action.SEGMENT_CHANGED)
        == f"Changed the line of contact {line.contact.no} Ada Lovelace on segment {segment.no}: personal note"
    )


def test_a_document_change_names_only_what_differs(salesperson_user):
    from crm import services as crm_services
    from tests.factories import CompanyFactory

    lines = [{"description": "Shelving", "quantity": 1, "unit_price": 10}]
    company = CompanyFactory(name="Acme")
    document = crm_services.document_create(
        kind="quote", contact=company, user=salesperson_user, lines=lines, date="2026-03-01"
    )
    assert _summary(AuditEvent.Action.DOCUMENT_CREATED) == f"Created {document} for contact {company}, with 1 line"
    crm_services.document_update(document, user=salesperson_user, your_reference="PO 7", contact=company)
    assert _summary(AuditEvent.Action.DOCUMENT_CHANGED) == f"Changed {document}: your reference"
