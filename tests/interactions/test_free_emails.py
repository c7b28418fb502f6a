"""Free e-mails (reference 2.14, outgoing e-mails; docs/BEHAVIOUR.md §10): interaction_send_email logs an entry with
the "E-mails" setup template, keeps the message as an .eml, and the delivery task sends it after commit. Each
test: given … / when … / then …."""

import email
import email.policy

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from interactions.emails import EML_CONTENT_TYPE, Attachment
from interactions.letters import entry_document_bytes
from interactions.models import InteractionLogEntry, StoredDocument
from interactions.sending import entries_deliver
from interactions.services import interaction_send_email, log_entries_queue_resend
from interactions.services.emails import EMAIL_SETUP_MISSING
from tests.factories import (
    InteractionTemplateFactory,
    InteractionTemplateSetupFactory,
    PersonFactory,
    SalespersonFactory,
)

pytestmark = pytest.mark.django_db

FAILING = "tests.interactions.mail_backends.FailingBackend"


def email_setup(**fields):
    template = InteractionTemplateFactory(**{"code": "EMAIL", "description": "E-mail", **fields})
    InteractionTemplateSetupFactory(event="email", template=template)
    return template


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    """interaction_send_email with a default message, its after-commit delivery run as a real commit would."""

    def send(contact, user, **overrides):
        arguments = {"to": contact.email, "subject": "Your visit on Friday", "body": "Hello,\nsee you then."}
        with django_capture_on_commit_callbacks(execute=True):
            return interaction_send_email(contact, user=user, **{**arguments, **overrides})

    return send


def test_given_an_email_setup_when_an_email_is_written_then_it_is_logged_kept_as_eml_and_sent_after_commit(
    salesperson_user, django_capture_on_commit_callbacks, send
):
    template = email_setup()
    own = SalespersonFactory(user=salesperson_user, email="jane@northwind.example")
    contact = PersonFactory(email="anna@fabrikam.example")

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        entry = interaction_send_email(
            contact,
            user=salesperson_user,
            to=contact.email,
            subject="Your visit on Friday",
            body="Hello,\nsee you then.",
            attachment=SimpleUploadedFile("price list.pdf", b"%PDF-1 list", content_type="application/pdf"),
        )
    assert mail.outbox == [] and entry.delivery_status == "in_progress"  # nothing is sent inside the transaction
    for callback in callbacks:
        callback()

    entry.refresh_from_db()
    assert (entry.template, entry.group, entry.contact) == (template, template.group, contact)
    assert (entry.description, entry.subject) == ("Your visit on Friday", "Your visit on Friday")
    assert entry.correspondence_type == "email" and entry.delivery_status == "" and entry.delivery_error == ""
    assert entry.salesperson == own
    sent = mail.outbox[0]
    assert sent.to == ["anna@fabrikam.example"] and sent.reply_to == ["jane@northwind.example"]
    assert sent.subject == "Your visit on Friday" and sent.body == "Hello,\nsee you then."
    assert sent.attachments[0][:2] == ("price list.pdf", b"%PDF-1 list")

    data, filename, content_type = entry_document_bytes(entry)
    assert (filename, content_type) == ("Your visit on Friday.eml", EML_CONTENT_TYPE)
    kept = email.message_from_bytes(data, policy=email.policy.default)
    assert kept["Message-ID"] == sent.extra_headers["Message-ID"] and kept["Subject"] == "Your visit on Friday"
    assert [part.get_filename() for part in kept.iter_attachments()] == ["price list.pdf"]


def test_given_another_address_when_written_then_the_message_goes_there_not_to_the_contacts(salesperson_user, send):
    email_setup()
    send(PersonFactory(email=""), salesperson_user, to="buyer@fabrikam.example; ceo@fabrikam.example")
    assert mail.outbox[0].to == ["buyer@fabrikam.example", "ceo@fabrikam.example"]
    assert InteractionLogEntry.objects.get().delivery_status == ""


def test_given_the_mail_server_refuses_when_sent_then_the_entry_says_error_and_a_resend_sends_the_same_message(
    salesperson_user, settings, send
):
    email_setup()
    settings.EMAIL_BACKEND = FAILING
    entry = send(PersonFactory(), salesperson_user)
    entry.refresh_from_db()
    assert entry.delivery_status == "error" and "550 Mailbox unavailable" in entry.delivery_error

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert entries_deliver(log_entries_queue_resend([entry], user=salesperson_user)) == 1
    entry.refresh_from_db()
    assert entry.delivery_status == "" and len(mail.outbox) == 1
    kept = email.message_from_bytes(entry.document.read(), policy=email.policy.default)
    assert mail.outbox[0].extra_headers["Message-ID"] == kept["Message-ID"]


def test_given_no_email_setup_when_written_then_it_is_refused_and_nothing_is_stored_or_sent(salesperson_user, send):
    with pytest.raises(ValidationError) as raised:
        send(PersonFactory(), salesperson_user)
    assert raised.value.messages == [EMAIL_SETUP_MISSING]
    assert InteractionLogEntry.objects.count() == 0 and StoredDocument.objects.count() == 0 and mail.outbox == []


@pytest.mark.parametrize(
    "bad, field, message",
    [
        ({"subject": "  "}, "subject", "You must fill in the Subject field."),
        ({"to": ""}, "to", "You must fill in the To field."),
        ({"to": "anna@, bob@example.com"}, "to", "Not an e-mail address: anna@."),
        ({"subject": "x" * 201}, "subject", "The subject can have at most 200 characters."),
        ({"attachment": SimpleUploadedFile("empty.txt", b"")}, "attachment", "The attachment is empty."),
    ],
)
def test_given_bad_input_when_written_then_a_clear_error_and_nothing_changed(
    salesperson_user, bad, field, message, send
):
    email_setup()
    with pytest.raises(ValidationError) as raised:
        send(PersonFactory(), salesperson_user, **bad)
    assert raised.value.message_dict == {field: [message]}
    assert InteractionLogEntry.objects.count() == 0 and StoredDocument.objects.count() == 0 and mail.outbox == []


def test_given_an_attachment_over_the_upload_limit_when_written_then_it_is_refused(salesperson_user, settings, send):
    email_setup()
    settings.MAX_TEMPLATE_BYTES = 1024 * 1024
    too_big = Attachment("scan.pdf", b"x" * (1024 * 1024 + 1), "application/pdf")
    with pytest.raises(ValidationError) as raised:
        send(PersonFactory(), salesperson_user, attachment=too_big)
    assert raised.value.message_dict == {"attachment": ["The file is too large (the limit is 1 MB)."]}
    assert InteractionLogEntry.objects.count() == 0 and StoredDocument.objects.count() == 0 and mail.outbox == []


def test_given_a_subject_with_a_line_break_when_written_then_no_header_can_be_added(salesperson_user, send):
    email_setup()
    send(PersonFactory(), salesperson_user, subject="Hello\r\nBcc: victim@example.com")
    assert mail.outbox[0].subject == "Hello Bcc: victim@example.com" and mail.outbox[0].bcc == []


def test_given_a_privacy_blocked_contact_when_written_then_it_is_refused(salesperson_user, send):
    email_setup()
    with pytest.raises(ValidationError, match="blocked due to privacy"):
        send(PersonFactory(privacy_blocked=True), salesperson_user)
    assert InteractionLogEntry.objects.count() == 0 and StoredDocument.objects.count() == 0 and mail.outbox == []
