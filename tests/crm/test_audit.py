import pytest
from django.core.exceptions import ValidationError

from crm import services as crm_services
from crm.audit import audit_record
from crm.models import AuditEvent
from interactions.services import log_entries_evaluate
from segments.services import (
    saved_criteria_delete,
    segment_add_contacts,
    segment_delete,
    segment_go_back,
    segment_line_add,
    segment_line_update,
    segment_save_criteria,
    segment_update_header,
)
from tests.factories import (
    CompanyFactory,
    InteractionLogEntryFactory,
    PersonFactory,
    SegmentFactory,
    SegmentLineFactory,
)

pytestmark = pytest.mark.django_db


def test_an_event_records_who_did_what_to_which_object(marketer):
    company = CompanyFactory(name="Acme")
    event = audit_record(AuditEvent.Action.ENTRIES_CANCELED, user=marketer, obj=company, count=3, ids=[1, 2, 3])
    assert event.user == marketer and event.count == 3
    assert event.object_url == company.get_absolute_url() and "Acme" in event.object_repr
    assert event.details == {"ids": [1, 2, 3]}


def test_marketing_reads_the_audit_trail(marketer_client, marketer):
    audit_record(AuditEvent.Action.SEGMENT_LOGGED, user=marketer, count=12)
    response = marketer_client.get("/audit/")
    assert response.status_code == 200
    assert "Segment logged" in response.content.decode()


@pytest.mark.parametrize("client_fixture", ["sales_client", "viewer_client", "stranger_client"])
def test_other_roles_cannot_read_the_audit_trail(request, client_fixture):
    assert request.getfixturevalue(client_fixture).get("/audit/").status_code == 403


# Every service that takes the user records who made the change (docs/BEHAVIOUR.md §13).


def _events(action) -> list[tuple]:
    return list(
        AuditEvent.objects.filter(action=action).order_by("id").values_list("user__username", "object_repr", "count")
    )


def test_contact_changes_are_recorded_with_the_user(salesperson_user):
    company = crm_services.contact_create(user=salesperson_user, type="company", name="Acme")
    person = crm_services.contact_create(user=salesperson_user, type="person", name="Ada", company=company)
    # Only what differs is named: the page sends every field.
    crm_services.contact_update(company, user=salesperson_user, name="Acme Ltd", city="", mailing_groups=[])
    InteractionLogEntryFactory(contact=person, contact_company=company)
    crm_services.contact_delete(person, user=salesperson_user)

    assert _events(AuditEvent.Action.CONTACT_CREATED) == [
        ("seller", f"{company.no} Acme", 1),
        ("seller", f"{person.no} Ada", 1),
    ]
    changed = AuditEvent.objects.get(action=AuditEvent.Action.CONTACT_CHANGED)
    assert (changed.user, changed.object_repr, changed.details) == (
        salesperson_user,
        f"{company.no} Acme Ltd",
        {"fields": ["name"]},
    )
    deleted = AuditEvent.objects.get(action=AuditEvent.Action.CONTACT_DELETED)
    assert (deleted.user, deleted.object_repr, deleted.object_url) == (salesperson_user, f"{person.no} Ada", "")
    assert deleted.details == {"entries_moved": 1}


def test_a_refused_contact_change_records_nothing(salesperson_user):
    company = CompanyFactory()
    PersonFactory(company=company)
    with pytest.raises(ValidationError):
        crm_services.contact_update(company, user=salesperson_user, type="person")
    assert not AuditEvent.objects.exists()


def test_document_changes_are_recorded_with_the_user(salesperson_user):
    lines = [{"description": "Shelving", "quantity": 1, "unit_price": 10}]
    document = crm_services.document_create(
        kind="quote", contact=CompanyFactory(), user=salesperson_user, lines=lines, date="2026-03-01"
    )
    crm_services.document_update(document, user=salesperson_user, your_reference="PO 7")
    assert _events(AuditEvent.Action.DOCUMENT_CREATED) == [("seller", str(document), 1)]
    assert _events(AuditEvent.Action.DOCUMENT_CHANGED) == [("seller", str(document), 1)]


def test_evaluating_entries_is_recorded_with_the_user(salesperson_user):
    entries = [InteractionLogEntryFactory().pk, InteractionLogEntryFactory().pk]
    log_entries_evaluate(entries, evaluation="positive", user=salesperson_user)
    log_entries_evaluate(entries, evaluation="positive", user=salesperson_user)  # nothing changes: no event
    assert _events(AuditEvent.Action.ENTRIES_EVALUATED) == [("seller", "", 2)]


def test_worksheet_changes_are_recorded_with_the_user(marketer):
    segment = SegmentFactory(description="Spring mailing")
    line = SegmentLineFactory(segment=segment, contact=PersonFactory())
    segment_update_header(segment, user=marketer, description="Spring letters")
    segment_line_update(line, user=marketer, personal_note="See you soon")
    segment_line_add(segment, contact=PersonFactory(), user=marketer)
    segment_go_back(segment, user=marketer)
    segment_delete(segment, user=marketer)

    assert [event[0] for event in _events(AuditEvent.Action.SEGMENT_CHANGED)] == ["marketer", "marketer"]
    undone = AuditEvent.objects.get(action=AuditEvent.Action.SEGMENT_STEP_UNDONE)
    assert (undone.user, undone.details) == (marketer, {"step": 1, "undone": "add_line"})
    assert _events(AuditEvent.Action.SEGMENT_DELETED) == [("marketer", f"{segment.no} Spring letters", 1)]


def test_deleting_saved_criteria_is_recorded_with_the_user(marketer):
    segment = SegmentFactory()
    segment_add_contacts(segment, criteria={"city": "Berlin"}, user=marketer)
    saved = segment_save_criteria(segment, code="BERLIN", description="Berlin", user=marketer)
    saved_criteria_delete(saved, user=marketer)
    assert _events(AuditEvent.Action.SAVED_CRITERIA_DELETED) == [("marketer", "BERLIN", 1)]
