import re
from urllib.parse import unquote

import pytest
from django.core import mail

from crm.filenames import visible_filename
from interactions.forms import InteractionCreateForm
from interactions.merge.package import letter_filename
from interactions.models import InteractionLogEntry
from tests.factories import InteractionLogEntryFactory, InteractionTemplateFactory, PersonFactory, SalespersonFactory
from tests.interactions.factories import docx_text, word_template
from tests.interactions.test_letter_pdf import needs_libreoffice, pdf_text

pytestmark = pytest.mark.django_db


def _form(person, template, **extra):
    data = {
        "contact": person.no,
        "template": template.pk if template else "",
        "description": "Welcome",
        "date": "2025-03-12",
        "time": "10:30",
        "was_successful": "on",
    }
    data.update(extra)
    return data


def test_the_page_shows_the_form_for_the_contact(sales_client, person):
    word_template("WELCOME", description="Welcome letter")
    response = sales_client.get(f"/interactions/new/?contact={person.pk}")
    assert response.status_code == 200
    content = response.content.decode()
    assert "Create interaction" in content and "Ada Lovelace" in content
    assert "WELCOME – Welcome letter · Word letter" in content
    assert "Show more" in content and "Preview letter" in content and "Personal note" in content


def test_a_user_without_the_permission_gets_403(viewer_client, stranger_client, person):
    template = InteractionTemplateFactory()
    assert viewer_client.get(f"/interactions/new/?contact={person.pk}").status_code == 403
    assert viewer_client.post(f"/interactions/new/?contact={person.pk}", _form(person, template)).status_code == 403
    assert (
        viewer_client.post(f"/interactions/new/preview/?contact={person.pk}", _form(person, template)).status_code
        == 403
    )
    assert stranger_client.get(f"/interactions/new/?contact={person.pk}").status_code == 403
    assert not InteractionLogEntry.objects.exists()


def test_an_unknown_contact_is_404(sales_client):
    assert sales_client.get("/interactions/new/?contact=999999").status_code == 404
    assert sales_client.get("/interactions/new/?contact=abc").status_code == 404


def test_logging_redirects_to_the_contact_with_a_link_to_the_entry(sales_client, person):
    template = word_template()
    response = sales_client.post(
        f"/interactions/new/?contact={person.pk}", _form(person, template, personal_note="See you in Berlin")
    )
    entry = InteractionLogEntry.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/contacts/{person.pk}/"
    page = sales_client.get(response["Location"]).content.decode()
    assert f'href="/interactions/{entry.pk}/"' in page and "was logged for Ada Lovelace" in page
    assert f'href="/interactions/{entry.pk}/document/"' in page
    assert entry.merge_values["personal_note"] == "See you in Berlin"
    assert entry.attempt_failed is False and str(entry.date) == "2025-03-12"


def test_the_mandatory_fields_are_reported_and_nothing_is_logged(sales_client, person):
    response = sales_client.post(f"/interactions/new/?contact={person.pk}", _form(person, None, description=""))
    content = response.content.decode()
    assert response.status_code == 200
    assert "Interaction Template Code is mandatory." in content and "Description is mandatory." in content
    assert not InteractionLogEntry.objects.exists()


def test_a_too_long_personal_note_is_reported_in_the_form_and_nothing_is_logged(sales_client, person):
    template = word_template("WELCOME")
    page = sales_client.get(f"/interactions/new/?contact={person.pk}").content.decode()
    assert 'maxlength="2000"' in page, "the browser stops the typing at the limit too"
    response = sales_client.post(
        f"/interactions/new/?contact={person.pk}", _form(person, template, personal_note="n" * 2001)
    )
    assert response.status_code == 200
    assert "Ensure this value has at most 2000 characters (it has 2001)." in response.content.decode()
    assert not InteractionLogEntry.objects.exists()


def test_choosing_email_for_a_template_without_a_letter_says_so_next_to_the_field(sales_client, person):
    template = InteractionTemplateFactory(code="CALL", correspondence_type="email")
    response = sales_client.post(
        f"/interactions/new/?contact={person.pk}", _form(person, template, correspondence_type="email")
    )
    html = response.content.decode()
    assert "Interaction template CALL has no letter to send by e-mail." in html
    assert "Word template" not in html
    assert not InteractionLogEntry.objects.exists()


def test_a_call_for_a_contact_who_prefers_email_is_logged_from_the_page(sales_client, person):
    person.correspondence_type = "email"
    person.save()
    template = InteractionTemplateFactory(code="CALL", correspondence_type="")

    response = sales_client.post(f"/interactions/new/?contact={person.pk}", _form(person, template))

    assert response.status_code == 302
    assert InteractionLogEntry.objects.get().correspondence_type == ""


def test_a_privacy_blocked_contact_is_refused_on_the_page(sales_client, person):
    person.privacy_blocked = True
    person.save()
    template = InteractionTemplateFactory()
    message = "because they are marked as blocked due to privacy."
    assert message in sales_client.get(f"/interactions/new/?contact={person.pk}").content.decode()
    response = sales_client.post(f"/interactions/new/?contact={person.pk}", _form(person, template))
    assert message in response.content.decode()
    assert not InteractionLogEntry.objects.exists()


def test_show_more_holds_every_field_but_the_contact_and_the_main_ones_in_business_centrals_order():
    form = InteractionCreateForm()
    assert [field.name for field in form.main_fields] == ["template", "description", "personal_note"]
    assert " ".join(field.name for field in form.more_fields) == (
        "salesperson date time correspondence_type information_flow initiated_by evaluation was_successful cost "
        "duration_minutes language_code"
    )


def test_show_more_fields_reach_the_entry(sales_client, person):
    other = SalespersonFactory(code="OT")
    template = InteractionTemplateFactory(correspondence_type="")
    sales_client.post(
        f"/interactions/new/?contact={person.pk}",
        _form(
            person,
            template,
            salesperson=other.pk,
            correspondence_type="hard_copy",
            information_flow="inbound",
            initiated_by="them",
            evaluation="negative",
            was_successful="",
            cost="7.50",
            duration_minutes="25",
        ),
    )
    entry = InteractionLogEntry.objects.get()
    assert entry.salesperson == other and entry.correspondence_type == "hard_copy"
    assert (entry.information_flow, entry.initiated_by, entry.evaluation) == ("inbound", "them", "negative")
    assert entry.attempt_failed is True and str(entry.cost) == "7.50" and entry.duration_minutes == 25


def test_a_bad_cost_is_reported_in_the_form(sales_client, person):
    response = sales_client.post(
        f"/interactions/new/?contact={person.pk}", _form(person, InteractionTemplateFactory(), cost="-3")
    )
    assert response.status_code == 200 and "greater than or equal to 0" in response.content.decode()
    assert not InteractionLogEntry.objects.exists()


def test_an_email_interaction_is_sent_from_the_page(sales_client, person, django_capture_on_commit_callbacks):
    template = word_template(correspondence_type="email")
    with django_capture_on_commit_callbacks(execute=True):
        sales_client.post(f"/interactions/new/?contact={person.pk}", _form(person, template))
    entry = InteractionLogEntry.objects.get()
    assert entry.correspondence_type == "email" and entry.delivery_status == ""
    assert len(mail.outbox) == 1 and mail.outbox[0].attachments


def test_without_libreoffice_the_preview_downloads_the_merged_letter_and_logs_nothing(
    sales_client, person, no_libreoffice
):
    template = word_template()
    response = sales_client.post(
        f"/interactions/new/preview/?contact={person.pk}", _form(person, template, personal_note="Preview note")
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert "Preview note" in docx_text(response.content) and "Ada Lovelace" in docx_text(response.content)
    assert not InteractionLogEntry.objects.exists()
    page = sales_client.get(f"/interactions/new/?contact={person.pk}").content.decode()
    assert "PDF conversion is not available on this server" in page


@needs_libreoffice
def test_the_preview_shows_the_merged_letter_as_a_pdf_and_logs_nothing(sales_client, person):
    template = word_template()
    response = sales_client.post(
        f"/interactions/new/preview/?contact={person.pk}", _form(person, template, personal_note="Preview note")
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline;")
    assert "Preview - " in unquote(response["Content-Disposition"]) and ".pdf" in response["Content-Disposition"]
    text = pdf_text(response.content)
    assert "Preview note" in text and "Ada Lovelace" in text
    assert not InteractionLogEntry.objects.exists()


def test_the_preview_of_a_template_without_letter_explains_why(sales_client, person):
    response = sales_client.post(
        f"/interactions/new/preview/?contact={person.pk}", _form(person, InteractionTemplateFactory())
    )
    assert response.status_code == 400 and "has no letter to preview" in response.content.decode()


def test_the_preview_is_post_only(sales_client, person):
    assert sales_client.get(f"/interactions/new/preview/?contact={person.pk}").status_code == 405


def test_without_a_contact_the_page_asks_for_its_number(sales_client, person):
    template = InteractionTemplateFactory()
    assert "Contact no." in sales_client.get("/interactions/new/").content.decode()
    response = sales_client.post("/interactions/new/", _form(person, template))
    assert response.status_code == 302
    assert InteractionLogEntry.objects.get().contact == person
    response = sales_client.post("/interactions/new/", _form(person, template, contact="CT999999"))
    assert "There is no contact with the number CT999999." in response.content.decode()


def test_the_document_download_is_the_stored_letter_byte_for_byte(sales_client, viewer_client, stranger_client, person):
    sales_client.post(f"/interactions/new/?contact={person.pk}", _form(person, word_template(), personal_note="Hi"))
    entry = InteractionLogEntry.objects.get()
    first = viewer_client.get(f"/interactions/{entry.pk}/document/")
    second = viewer_client.get(f"/interactions/{entry.pk}/document/")
    assert first.status_code == 200 and first.content == second.content
    assert first["Content-Type"].endswith("wordprocessingml.document")
    assert "Hi" in docx_text(first.content)
    assert stranger_client.get(f"/interactions/{entry.pk}/document/").status_code == 403


def test_an_entry_without_document_has_no_download(viewer_client):
    assert viewer_client.get(f"/interactions/{InteractionLogEntryFactory().pk}/document/").status_code == 404


BIDI_AND_FORMAT = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200b\ufeff\x07"


def test_bidi_controls_in_a_contact_name_never_reach_the_download_file_name(sales_client):
    # U+202E would show "Ada Lovelace‮xcod.exe" as "Ada Lovelaceexe.docx" in the browser's download bar.
    person = PersonFactory(name=f"Ada{BIDI_AND_FORMAT} Lovelace\u202excod.exe", company=None)
    response = sales_client.post(f"/interactions/new/preview/?contact={person.pk}", _form(person, word_template()))
    assert response.status_code == 200
    disposition = response["Content-Disposition"]
    # The letter previews as .pdf where LibreOffice is installed, as .docx where it is not.
    assert re.search(r"Ada Lovelacexcod\.exe\.(pdf|docx)", unquote(disposition))
    assert not [char for char in unquote(disposition) if char in BIDI_AND_FORMAT]


def test_download_names_lose_control_and_format_characters():
    assert visible_filename(f"Acme{BIDI_AND_FORMAT} - Ada.docx") == "Acme - Ada.docx"
    assert visible_filename("Ünïcødé Straße – 東京.pdf") == "Ünïcødé Straße – 東京.pdf"
    assert letter_filename("Acme\u202e Ltd", "Ada\u2066 Lovelace\u2069") == "Acme Ltd - Ada Lovelace.docx"
