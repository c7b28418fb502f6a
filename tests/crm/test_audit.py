import pytest

from crm.audit import audit_record
from crm.models import AuditEvent
from tests.factories import CompanyFactory

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
