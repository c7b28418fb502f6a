import pytest
from django.core import mail

from interactions.models import InteractionLogEntry
from interactions.sending import entries_deliver, entry_deliver
from interactions.services import interaction_create
from tests.factories import InteractionLogEntryFactory, PersonFactory
from tests.interactions.factories import docx_text, html_template, letter_entry, letter_recipient, word_template

pytestmark = pytest.mark.django_db

FAILING = "tests.interactions.mail_backends.FailingBackend"


@pytest.fixture
def person():
    return letter_recipient()


def _email_entry(person, template, **fields) -> InteractionLogEntry:
    fields = {
        "correspondence_type": "email",
        "delivery_status": "in_progress",
        "subject": "Welcome to Northwind",
        **fields,
    }
    return letter_entry(person, template, **fields)


def test_a_word_letter_is_sent_as_an_attachment(person):
    entry = _email_entry(person, word_template())
    assert entry_deliver(entry) is True
    entry.refresh_from_db()
    assert entry.delivery_status == "" and entry.delivery_error == ""
    (message,) = mail.outbox
    assert message.subject == "Welcome to Northwind"
    assert message.to == ["Ada Lovelace <ada@example.com>"]
    assert message.reply_to == ["Jane Seller <jane@northwind.example>"]
    filename, data, content_type = message.attachments[0]
    assert filename == "Analytical Ltd - Ada Lovelace.docx" and content_type.endswith("wordprocessingml.document")
    assert "Hope to see you soon" in docx_text(data)


def test_an_html_body_is_sent_inline(person):
    entry = _email_entry(person, html_template())
    assert entry_deliver(entry) is True
    (message,) = mail.outbox
    html, mime = message.alternatives[0]
    assert mime == "text/html" and "Dear Ms Lovelace" in html and "Hope to see you soon" in html
    assert "Dear Ms Lovelace" in message.body and "<p>" not in message.body
    assert message.attachments == []


def test_a_failing_mail_server_leaves_the_entry_in_error_with_the_reason_and_the_retry_works(person, settings):
    entry = _email_entry(person, word_template())
    settings.EMAIL_BACKEND = FAILING
    assert entry_deliver(entry) is False
    entry.refresh_from_db()
    assert entry.delivery_status == "error"
    assert entry.delivery_error == "550 Mailbox unavailable (test server)"

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert entry_deliver(entry) is True
    entry.refresh_from_db()
    assert (entry.delivery_status, entry.delivery_error) == ("", "")
    assert len(mail.outbox) == 1


def test_a_delivered_entry_is_not_sent_twice(person):
    entry = _email_entry(person, word_template())
    assert entry_deliver(entry) is True
    assert entry_deliver(entry) is False
    assert len(mail.outbox) == 1


def test_a_contact_without_address_is_an_error_when_sending(person):
    entry = _email_entry(person, word_template())
    person.email = ""
    person.save()
    assert entry_deliver(entry) is False
    entry.refresh_from_db()
    assert entry.delivery_status == "error" and "has no e-mail address" in entry.delivery_error


def test_a_hard_copy_entry_is_not_sent(person):
    entry = _email_entry(
        person,
        word_template(),
    )
    InteractionLogEntry.objects.filter(pk=entry.pk).update(correspondence_type="hard_copy")
    assert entry_deliver(entry) is False and mail.outbox == []


def test_contact_names_and_subjects_cannot_inject_headers(person):
    person.name = "Ada\r\nBcc: victim@example.com"
    person.save()
    entry = _email_entry(person, word_template())
    InteractionLogEntry.objects.filter(pk=entry.pk).update(subject="Hello\nBcc: victim@example.com")
    assert entry_deliver(entry) is True
    (message,) = mail.outbox
    raw = message.message().as_string()
    assert "\nBcc:" not in raw
    assert message.bcc == [] and message.subject == "Hello Bcc: victim@example.com"


def test_entries_deliver_sends_each_and_marks_only_the_failures(person):
    good = _email_entry(person, word_template())
    other = PersonFactory(email="")
    bad = _email_entry(other, word_template())
    done = InteractionLogEntryFactory(correspondence_type="email", delivery_status="")
    assert entries_deliver([good.pk, bad.pk, done.pk]) == 1
    good.refresh_from_db(), bad.refresh_from_db()
    assert good.delivery_status == "" and bad.delivery_status == "error"
    assert len(mail.outbox) == 1


def test_interaction_create_with_a_failing_server_logs_the_entry_in_error(
    person, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = FAILING
    with django_capture_on_commit_callbacks(execute=True):
        entry = interaction_create(
            contact=person, template=word_template(correspondence_type="email"), description="Welcome", user=None
        )
    entry.refresh_from_db()
    assert entry.delivery_status == "error" and "550" in entry.delivery_error
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert entries_deliver([entry.pk]) == 1
    entry.refresh_from_db()
    assert entry.delivery_status == ""
    assert len(mail.outbox) == 1
