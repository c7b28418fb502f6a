import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from interactions.letters import entry_document_bytes
from interactions.models import InteractionLogEntry
from interactions.services import interaction_create, interaction_preview
from tests.factories import (
    CompanyFactory,
    InteractionTemplateFactory,
    PersonFactory,
    SalespersonFactory,
    UserFactory,
)
from tests.interactions.factories import docx_text, german_variant, html_template, word_template

pytestmark = pytest.mark.django_db


@pytest.fixture
def seller():
    return SalespersonFactory(code="JS", name="Jane Seller")


@pytest.fixture
def person(seller):
    return PersonFactory(
        name="Ada Lovelace", salesperson=seller, email="ada@example.com", company__name="Analytical Ltd"
    )


def test_an_interaction_takes_its_defaults_from_the_template(person, seller):
    template = InteractionTemplateFactory(
        unit_cost=Decimal("3.20"),
        unit_duration_minutes=12,
        information_flow="inbound",
        initiated_by="them",
        correspondence_type="",
        subject="Call back",
    )
    user = UserFactory()
    entry = interaction_create(contact=person, template=template, description="Called about prices", user=user)
    entry.refresh_from_db()
    assert entry.contact == person and entry.contact_company == person.company
    assert (entry.cost, entry.duration_minutes) == (Decimal("3.20"), 12)
    assert (entry.information_flow, entry.initiated_by, entry.group) == ("inbound", "them", template.group)
    assert entry.subject == "Call back"
    assert entry.salesperson == seller and entry.user == user
    assert entry.date is not None and entry.time is not None
    assert entry.attempt_failed is False and entry.delivery_status == ""
    from crm.models import AuditEvent

    event = AuditEvent.objects.get(action="interaction_created")
    assert event.user == user and event.object_url == f"/interactions/{entry.pk}/"


def test_values_given_by_the_user_override_the_template(person):
    other = SalespersonFactory(code="OT")
    entry = interaction_create(
        contact=person,
        template=InteractionTemplateFactory(correspondence_type=""),
        description="Meeting",
        user=None,
        salesperson=other,
        date=datetime.date(2024, 5, 2),
        time=datetime.time(9, 30),
        information_flow="inbound",
        initiated_by="them",
        evaluation="positive",
        attempt_failed=True,
        cost=Decimal("99.00"),
        duration_minutes=60,
        correspondence_type="hard_copy",
    )
    entry.refresh_from_db()
    assert (entry.salesperson, entry.date, entry.time) == (other, datetime.date(2024, 5, 2), datetime.time(9, 30))
    assert (entry.information_flow, entry.initiated_by, entry.evaluation) == ("inbound", "them", "positive")
    assert entry.attempt_failed and entry.cost == Decimal("99.00") and entry.duration_minutes == 60
    assert entry.correspondence_type == "hard_copy"


def test_the_users_own_salesperson_is_the_default_before_the_contacts(person):
    user = UserFactory()
    mine = SalespersonFactory(code="ME", user=user)
    entry = interaction_create(contact=person, template=InteractionTemplateFactory(), description="x", user=user)
    assert entry.salesperson == mine


def test_a_company_is_its_own_contact_company():
    company = CompanyFactory()
    entry = interaction_create(contact=company, template=InteractionTemplateFactory(), description="Visit", user=None)
    assert entry.contact_company == company


def test_template_and_description_are_mandatory(person):
    with pytest.raises(ValidationError) as error:
        interaction_create(contact=person, template=None, description="  ", user=None)
    assert error.value.message_dict == {
        "template": ["Interaction Template Code is mandatory."],
        "description": ["Description is mandatory."],
    }
    assert not InteractionLogEntry.objects.exists()


def test_a_privacy_blocked_contact_is_refused(person):
    person.privacy_blocked = True
    person.save()
    with pytest.raises(ValidationError) as error:
        interaction_create(contact=person, template=InteractionTemplateFactory(), description="Call", user=None)
    assert error.value.messages == [
        f"You cannot use contact {person.no} Ada Lovelace because they are marked as blocked due to privacy."
    ]
    assert not InteractionLogEntry.objects.exists()


@pytest.mark.parametrize("preference", ["email", "hard_copy", ""])
def test_a_call_is_logged_with_a_blank_type_whatever_the_contact_prefers(person, preference):
    person.correspondence_type = preference
    person.save()
    call = InteractionTemplateFactory(code="CALL", correspondence_type="")

    entry = interaction_create(contact=person, template=call, description="Phoned about the offer", user=None)

    assert entry.correspondence_type == "" and entry.delivery_status == ""
    assert mail.outbox == []


@pytest.mark.parametrize("template_type", ["email", "hard_copy"])
def test_a_template_without_a_letter_never_resolves_to_email_or_hard_copy(person, template_type):
    person.correspondence_type = "email"
    person.save()
    template = InteractionTemplateFactory(correspondence_type=template_type)

    entry = interaction_create(contact=person, template=template, description="Mail", user=None)

    assert entry.correspondence_type == "" and entry.delivery_status == ""


def test_choosing_email_for_a_template_without_a_letter_is_refused_in_the_products_words(person):
    template = InteractionTemplateFactory(code="CALL")
    with pytest.raises(ValidationError) as error:
        interaction_create(contact=person, template=template, description="x", user=None, correspondence_type="email")
    assert error.value.message_dict == {
        "correspondence_type": [
            "Interaction template CALL has no letter to send by e-mail. Put a letter on the template, or choose "
            "another correspondence type."
        ]
    }
    assert "Word template" not in str(error.value) and "attachment" not in str(error.value)
    assert not InteractionLogEntry.objects.exists()


def test_a_resolved_email_to_a_contact_without_address_becomes_blank(person):
    person.email = ""
    person.save()
    entry = interaction_create(
        contact=person, template=word_template(correspondence_type="email"), description="x", user=None
    )
    assert entry.correspondence_type == "" and entry.delivery_status == ""
    assert mail.outbox == []


def test_choosing_email_for_a_contact_without_address_is_an_error(person):
    person.email = ""
    person.save()
    with pytest.raises(ValidationError) as error:
        interaction_create(
            contact=person, template=word_template(), description="x", user=None, correspondence_type="email"
        )
    assert error.value.message_dict["correspondence_type"] == [
        f"Contact {person.no} Ada Lovelace has no e-mail address. Add one to the contact, or choose another "
        "correspondence type."
    ]
    assert not InteractionLogEntry.objects.exists()


@pytest.mark.parametrize("ignores_contact", [False, True])
def test_the_templates_type_wins_over_the_contacts_preference(person, ignores_contact):
    person.correspondence_type = "hard_copy"
    person.save()
    template = word_template(correspondence_type="email", ignore_contact_correspondence_type=ignores_contact)

    entry = interaction_create(contact=person, template=template, description="x", user=None)

    assert entry.correspondence_type == "email"


def test_a_word_letter_is_stored_as_snapshot_and_values_and_contains_the_note(person):
    entry = interaction_create(
        contact=person, template=word_template(), description="Welcome", user=None, personal_note="Lovely to meet you!"
    )
    entry = InteractionLogEntry.objects.get(pk=entry.pk)
    assert entry.merge_template is not None and entry.document is None
    assert entry.merge_values["interaction.entry_no"] == str(entry.pk)
    data, filename, _ = entry_document_bytes(entry)
    text = docx_text(data)
    assert "Ada Lovelace" in text and "Lovely to meet you!" in text and f"Entry {entry.pk}" in text
    assert filename == "Analytical Ltd - Ada Lovelace.docx"
    assert entry_document_bytes(InteractionLogEntry.objects.get(pk=entry.pk))[0] == data


def test_the_letter_does_not_change_when_the_template_is_edited_later(person):
    template = word_template()
    entry = interaction_create(contact=person, template=template, description="Welcome", user=None)
    before = entry_document_bytes(InteractionLogEntry.objects.get(pk=entry.pk))[0]
    from django.core.files.base import ContentFile

    from tests.interactions.factories import letter_docx

    template.attachment.save("changed.docx", ContentFile(letter_docx("Completely different")), save=True)
    assert entry_document_bytes(InteractionLogEntry.objects.get(pk=entry.pk))[0] == before


def test_a_german_contact_gets_the_german_variant(person):
    person.language_code = "de"
    person.save()
    template = word_template()
    german_variant(template, "Sehr geehrte Damen und Herren, {{ contact.name }}")
    entry = interaction_create(contact=person, template=template, description="Willkommen", user=None)
    assert entry.language_code == "de" and entry.subject == "Willkommen"
    assert "Sehr geehrte Damen und Herren, Ada Lovelace" in docx_text(entry_document_bytes(entry)[0])


def test_an_unknown_language_is_refused(person):
    with pytest.raises(ValidationError, match="has no language fr"):
        interaction_create(contact=person, template=word_template(), description="x", user=None, language_code="fr")


def test_a_personal_note_needs_a_letter(person):
    with pytest.raises(ValidationError, match="no letter to put a personal note in"):
        interaction_create(
            contact=person, template=InteractionTemplateFactory(), description="x", user=None, personal_note="Hi"
        )


def test_a_personal_note_over_the_limit_is_refused_and_nothing_is_logged(person):
    with pytest.raises(ValidationError) as refused:
        interaction_create(
            contact=person, template=word_template(), description="x", user=None, personal_note="n" * 2001
        )
    assert refused.value.message_dict == {
        "personal_note": [
            "A personal note can have at most 2,000 characters (this one has 2,001); for a longer text, upload a "
            "letter of its own."
        ]
    }
    assert not InteractionLogEntry.objects.exists()
    entry = interaction_create(
        contact=person, template=word_template("LIMIT"), description="x", user=None, personal_note="n" * 2000
    )
    assert "n" * 2000 in docx_text(entry_document_bytes(entry)[0]), "the limit itself is allowed"


def test_negative_cost_is_refused(person):
    with pytest.raises(ValidationError, match="Cost cannot be negative"):
        interaction_create(
            contact=person, template=InteractionTemplateFactory(), description="x", user=None, cost=Decimal("-1")
        )


def test_an_unknown_field_is_a_programming_error(person):
    with pytest.raises(TypeError, match="colour"):
        interaction_create(
            contact=person, template=InteractionTemplateFactory(), description="x", user=None, colour="red"
        )


def test_an_email_interaction_is_sent_after_commit_with_the_letter(person, django_capture_on_commit_callbacks):
    template = word_template(correspondence_type="email")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        entry = interaction_create(contact=person, template=template, description="Welcome", user=None)
    assert entry.delivery_status == "in_progress" and mail.outbox == []
    for callback in callbacks:
        callback()
    entry.refresh_from_db()
    assert entry.delivery_status == "" and entry.delivery_error == ""
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["Ada Lovelace <ada@example.com>"]
    assert mail.outbox[0].attachments[0][0] == "Analytical Ltd - Ada Lovelace.docx"


def test_the_preview_merges_the_letter_without_logging(person):
    data, filename, _ = interaction_preview(
        contact=person, template=word_template(), description="Welcome", user=None, personal_note="P.S. hello"
    )
    assert "P.S. hello" in docx_text(data) and filename.endswith(".docx")
    assert not InteractionLogEntry.objects.exists()


def test_the_preview_of_an_html_template_is_the_escaped_body(person):
    person.salutation = "Dear <b>Ada</b>"
    person.save()
    data, filename, content_type = interaction_preview(
        contact=person, template=html_template(), description="x", user=None
    )
    assert (
        b"Dear &lt;b&gt;Ada&lt;/b&gt;" in data and filename.endswith(".html") and content_type.startswith("text/html")
    )
