"""What happens to log entries and worksheet lines when a row they point at is deleted.

Log entries and segment-line overrides have no database foreign-key constraints (see InteractionLogEntry and
SegmentLineValues: PostgreSQL's per-row checks broke the logging budget). These tests pin down that Django's
on_delete still holds every reference sound: PROTECT refuses and changes nothing, SET_NULL detaches, and the
contact service moves a person's history to its company.
"""

import pytest
from django.db.models import ProtectedError

from crm import services as crm_services
from interactions.models import InteractionLogEntry, StoredDocument
from interactions.storage import store_document
from tests.factories import (
    CompanyFactory,
    InteractionGroupFactory,
    InteractionLogEntryFactory,
    InteractionTemplateFactory,
    PersonFactory,
    SalespersonFactory,
    SegmentLineFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def stored(name="letter.docx") -> StoredDocument:
    return store_document(b"PK " + name.encode(), filename=name, content_type="application/octet-stream")


def test_a_template_used_by_an_entry_cannot_be_deleted():
    entry = InteractionLogEntryFactory()
    with pytest.raises(ProtectedError):
        entry.template.delete()
    entry.refresh_from_db()
    assert entry.template_id is not None and entry.template.pk == entry.template_id


def test_a_group_used_by_an_entry_cannot_be_deleted():
    group = InteractionGroupFactory()  # used by this entry only (its template is in another group)
    entry = InteractionLogEntryFactory(group=group)
    with pytest.raises(ProtectedError):
        group.delete()
    assert InteractionLogEntry.objects.filter(pk=entry.pk, group=group).exists()


@pytest.mark.parametrize("field", ["document", "merge_template"])
def test_a_stored_document_used_by_an_entry_cannot_be_deleted(field):
    document = stored()
    entry = InteractionLogEntryFactory(**{field: document})
    with pytest.raises(ProtectedError):
        document.delete()
    assert InteractionLogEntry.objects.filter(pk=entry.pk, **{f"{field}_id": document.pk}).exists()


def test_a_deleted_salesperson_leaves_the_entries_without_one():
    salesperson = SalespersonFactory()
    entry = InteractionLogEntryFactory(salesperson=salesperson)
    salesperson.delete()
    entry.refresh_from_db()
    assert entry.salesperson_id is None
    assert entry.description  # the entry itself stays


def test_a_deleted_user_leaves_the_entries_without_user_and_canceled_by():
    user = UserFactory()
    entry = InteractionLogEntryFactory(user=user, canceled=True, canceled_by=user)
    user.delete()
    entry.refresh_from_db()
    assert (entry.user_id, entry.canceled_by_id, entry.canceled) == (None, None, True)


def test_deleting_a_person_moves_its_entries_to_its_company():
    company = CompanyFactory()
    person = PersonFactory(company=company)
    entry = InteractionLogEntryFactory(contact=person)
    crm_services.contact_delete(person)
    entry.refresh_from_db()
    assert (entry.contact_id, entry.contact_company_id) == (company.pk, company.pk)


def test_deleting_a_company_keeps_its_entries_detached():
    company = CompanyFactory()
    entry = InteractionLogEntryFactory(contact=company)
    crm_services.contact_delete(company)
    entry.refresh_from_db()
    assert (entry.contact_id, entry.contact_company_id) == (None, None)
    assert entry.description


def test_a_template_or_letter_overriding_a_worksheet_line_cannot_be_deleted():
    template, letter = InteractionTemplateFactory(), stored("line-letter.docx")
    line = SegmentLineFactory(template=template, letter=letter)
    with pytest.raises(ProtectedError):
        template.delete()
    with pytest.raises(ProtectedError):
        letter.delete()
    line.refresh_from_db()
    assert (line.template_id, line.letter_id) == (template.pk, letter.pk)


def test_a_deleted_salesperson_leaves_the_worksheet_line_without_one():
    salesperson = SalespersonFactory()
    line = SegmentLineFactory(salesperson=salesperson)
    salesperson.delete()
    line.refresh_from_db()
    assert line.salesperson_id is None
