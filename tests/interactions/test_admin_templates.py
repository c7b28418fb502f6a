from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from interactions.models import InteractionTemplate, InteractionTemplateLanguage, InteractionTemplateSetup
from interactions.services import log_printed_document
from tests.factories import (
    InteractionGroupFactory,
    InteractionLogEntryFactory,
    InteractionTemplateFactory,
    InteractionTemplateLanguageFactory,
    SalesDocumentFactory,
)
from tests.interactions.factories import letter_docx, template_admin_post, word_template

pytestmark = pytest.mark.django_db


def test_a_marketer_uploads_a_word_template_in_the_admin(staff_marketer):
    group = InteractionGroupFactory()
    upload = SimpleUploadedFile("welcome.docx", letter_docx("{{ contact.salutation }}", "{{ personal_note }}"))
    response = staff_marketer.post("/admin/interactions/interactiontemplate/add/", template_admin_post(group, upload))
    assert response.status_code == 302
    template = InteractionTemplate.objects.get(code="WELCOME")
    assert template.attachment.name.endswith(".docx")


def test_a_template_with_unknown_fields_is_refused_naming_them(staff_marketer):
    group = InteractionGroupFactory()
    upload = SimpleUploadedFile("welcome.docx", letter_docx("{{ contact.shoe_size }}"))
    response = staff_marketer.post("/admin/interactions/interactiontemplate/add/", template_admin_post(group, upload))
    assert response.status_code == 200
    assert "The template uses unknown merge fields: contact.shoe_size." in response.content.decode()
    assert not InteractionTemplate.objects.exists()


def test_a_file_that_is_not_a_docx_is_refused(staff_marketer):
    group = InteractionGroupFactory()
    upload = SimpleUploadedFile("welcome.docx", b"this is plain text")
    response = staff_marketer.post("/admin/interactions/interactiontemplate/add/", template_admin_post(group, upload))
    assert "The file is not a Word .docx document." in response.content.decode()
    assert not InteractionTemplate.objects.exists()


def test_a_language_variant_is_added_inline_and_validated(staff_marketer):
    group = InteractionGroupFactory()
    bad = SimpleUploadedFile("brief.docx", letter_docx("{{ kontakt.name }}"))
    data = template_admin_post(
        group,
        **{
            "languages-TOTAL_FORMS": "1",
            "languages-0-language_code": "de",
            "languages-0-description": "Deutsch",
            "languages-0-subject": "Willkommen",
            "languages-0-attachment": bad,
        },
    )
    response = staff_marketer.post("/admin/interactions/interactiontemplate/add/", data)
    assert "kontakt.name" in response.content.decode()
    assert not InteractionTemplate.objects.exists()
    data["languages-0-attachment"] = SimpleUploadedFile("brief.docx", letter_docx("{{ contact.name }}"))
    response = staff_marketer.post("/admin/interactions/interactiontemplate/add/", data)
    assert response.status_code == 302
    assert InteractionTemplateLanguage.objects.get().attachment.name.endswith(".docx")


def test_statistics_columns_count_only_entries_that_are_not_canceled(staff_marketer):
    template = InteractionTemplateFactory(code="CALL")
    InteractionLogEntryFactory.create_batch(2, template=template, cost=Decimal("2.50"), duration_minutes=5)
    InteractionLogEntryFactory(template=template, cost=Decimal("100"), duration_minutes=100, canceled=True)
    response = staff_marketer.get("/admin/interactions/interactiontemplate/")
    row = response.context["cl"].result_list[0]
    assert (row.stat_count, row.stat_cost, row.stat_duration) == (2, Decimal("5.00"), 10)
    group_row = staff_marketer.get("/admin/interactions/interactiongroup/").context["cl"].result_list[0]
    assert (group_row.stat_count, group_row.stat_duration) == (2, 10)


def test_the_statistics_period_limits_what_is_counted(staff_marketer):
    import datetime

    template = InteractionTemplateFactory(code="CALL")
    InteractionLogEntryFactory(template=template, date=datetime.date.today())
    InteractionLogEntryFactory(template=template, date=datetime.date.today() - datetime.timedelta(days=400))
    response = staff_marketer.get("/admin/interactions/interactiontemplate/", {"period": "last_30_days"})
    assert response.context["cl"].result_list[0].stat_count == 1


def test_the_template_list_query_count_does_not_grow_with_rows(staff_marketer):
    InteractionTemplateFactory.create_batch(2)
    with CaptureQueriesContext(connection) as few:
        staff_marketer.get("/admin/interactions/interactiontemplate/")
    for template in InteractionTemplateFactory.create_batch(20):
        InteractionLogEntryFactory(template=template)
    with CaptureQueriesContext(connection) as many:
        response = staff_marketer.get("/admin/interactions/interactiontemplate/")
    assert response.status_code == 200
    assert len(many) == len(few)


def test_setup_offers_only_templates_without_attachment_or_languages(staff_marketer):
    plain = InteractionTemplateFactory(code="PLAIN")
    word_template("LETTER")
    InteractionTemplateLanguageFactory(template=InteractionTemplateFactory(code="MULTI"))
    response = staff_marketer.get("/admin/interactions/interactiontemplatesetup/add/")
    choices = [value for value, _ in response.context["adminform"].form.fields["template"].choices if value]
    assert [str(value) for value in choices] == [str(plain.pk)]


def test_a_template_used_in_setup_cannot_get_a_language_variant(staff_marketer):
    template = InteractionTemplateFactory(code="INV")
    InteractionTemplateSetup.objects.create(event="sales_invoice", template=template)
    data = template_admin_post(
        template.group,
        code="INV",
        **{"languages-TOTAL_FORMS": "1", "languages-0-language_code": "de", "languages-0-description": "Deutsch"},
    )
    response = staff_marketer.post(f"/admin/interactions/interactiontemplate/{template.pk}/change/", data)
    assert LANGUAGE_REFUSED.format(code="INV", language="de") in response.content.decode()
    assert not template.languages.exists()


# One wording for "templates for automatic logging have no languages and no attachment" (docs/BEHAVIOUR.md §10):
# the setup, the template admin and the print each said it differently before.
LANGUAGE_REFUSED = (
    "Interaction Template {code} has assigned Interaction Template Language {language}. It is not allowed to have "
    "languages assigned to templates used for system document logging."
)
ATTACHMENT_REFUSED = (
    "Interaction Template {code} has an attachment. It is not allowed to have attachments on templates used for "
    "system document logging."
)


def _print_refusal(user) -> list[str]:
    with pytest.raises(ValidationError) as refused:
        log_printed_document(document=SalesDocumentFactory(kind="invoice"), user=user, pdf=b"%PDF-1.4", version_no=0)
    return refused.value.messages


def test_a_template_with_a_language_is_refused_alike_by_the_setup_and_the_print(salesperson_user):
    template = InteractionTemplateFactory(code="INV")
    setup = InteractionTemplateSetup.objects.create(event="sales_invoice", template=template)
    InteractionTemplateLanguageFactory(template=template, language_code="de")
    expected = LANGUAGE_REFUSED.format(code="INV", language="de")

    with pytest.raises(ValidationError) as setup_refusal:
        setup.full_clean()

    assert setup_refusal.value.message_dict == {"template": [expected]}
    assert _print_refusal(salesperson_user) == [expected]


def test_a_template_with_an_attachment_is_refused_alike_by_the_setup_the_admin_and_the_print(
    staff_marketer, salesperson_user
):
    plain = InteractionTemplateFactory(code="INV")
    InteractionTemplateSetup.objects.create(event="sales_invoice", template=plain)
    upload = SimpleUploadedFile("invoice.docx", letter_docx("{{ contact.name }}"))
    data = template_admin_post(plain.group, upload, code="INV")
    expected = ATTACHMENT_REFUSED.format(code="INV")

    admin = staff_marketer.post(f"/admin/interactions/interactiontemplate/{plain.pk}/change/", data)
    plain.refresh_from_db()
    assert expected in admin.content.decode() and not plain.attachment

    lettered = word_template("INV")
    setup = InteractionTemplateSetup.objects.get(event="sales_invoice")
    with pytest.raises(ValidationError) as setup_refusal:
        setup.full_clean()
    assert setup_refusal.value.message_dict == {"template": [expected]}
    assert lettered.pk == plain.pk and _print_refusal(salesperson_user) == [expected]


def test_log_entries_are_read_only_in_the_admin(admin_client):
    entry = InteractionLogEntryFactory(description="Phone call")
    assert admin_client.get("/admin/interactions/interactionlogentry/").status_code == 200
    assert admin_client.get("/admin/interactions/interactionlogentry/add/").status_code == 403
    page = admin_client.get(f"/admin/interactions/interactionlogentry/{entry.pk}/change/")
    assert page.status_code == 200 and b'type="submit" value="Save"' not in page.content
    assert (
        admin_client.post(
            f"/admin/interactions/interactionlogentry/{entry.pk}/change/", {"description": "Changed"}
        ).status_code
        == 403
    )
    assert admin_client.get(f"/admin/interactions/interactionlogentry/{entry.pk}/delete/").status_code == 403
    entry.refresh_from_db()
    assert entry.description == "Phone call"


def failed_email_entry(**fields):
    from interactions.letters import contact_merge_values, template_attachment

    template = word_template()
    snapshot, _ = template_attachment(template, "en")
    entry = InteractionLogEntryFactory(
        template=template,
        correspondence_type="email",
        delivery_status="error",
        delivery_error="timeout",
        merge_template=snapshot,
        **fields,
    )
    entry.merge_values = contact_merge_values(entry.contact)
    entry.save()
    return entry


def resend_in_admin(client, *entries):
    return client.post(
        "/admin/interactions/interactionlogentry/",
        {"action": "resend", "_selected_action": [entry.pk for entry in entries]},
        follow=True,
    )


def test_the_resend_action_has_the_delivery_task_send_entries_in_error(
    admin_client, django_capture_on_commit_callbacks
):
    entry = failed_email_entry()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = resend_in_admin(admin_client, entry)
    assert response.status_code == 200 and "1 e-mail queued to be sent again." in response.content.decode()
    assert len(callbacks) == 1  # the delivery task, enqueued after the commit (in-process in the tests)
    entry.refresh_from_db()
    assert entry.delivery_status == "" and len(mail.outbox) == 1


def test_the_resend_action_only_queues_and_sends_nothing_in_the_request(
    admin_client, queued_deliveries, django_capture_on_commit_callbacks
):
    entry = failed_email_entry()
    with django_capture_on_commit_callbacks(execute=True):
        resend_in_admin(admin_client, entry)
    assert queued_deliveries == [[entry.pk]] and mail.outbox == []


def test_the_resend_action_refuses_canceled_entries_and_records_the_resend(
    admin_client, admin_user, django_capture_on_commit_callbacks
):
    from crm.models import AuditEvent

    failed, canceled = failed_email_entry(), failed_email_entry(canceled=True)
    with django_capture_on_commit_callbacks(execute=True):
        resend_in_admin(admin_client, failed, canceled)

    canceled.refresh_from_db()
    assert (canceled.delivery_status, canceled.delivery_error) == ("error", "timeout")
    assert len(mail.outbox) == 1 and failed.contact.email in mail.outbox[0].to[0]
    (event,) = AuditEvent.objects.filter(action=AuditEvent.Action.ENTRIES_RESENT)
    assert event.user == admin_user and event.count == 1


def test_the_resend_action_with_only_canceled_entries_says_so_and_changes_nothing(
    admin_client, django_capture_on_commit_callbacks
):
    from crm.models import AuditEvent

    canceled = failed_email_entry(canceled=True)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = resend_in_admin(admin_client, canceled)

    assert "There is nothing to resend" in response.content.decode()
    assert callbacks == [] and mail.outbox == []
    canceled.refresh_from_db()
    assert canceled.delivery_status == "error"
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.ENTRIES_RESENT).exists()


def test_a_salesperson_cannot_change_templates(salesperson_user, client):
    salesperson_user.is_staff = True
    salesperson_user.save()
    client.force_login(salesperson_user)
    assert client.get("/admin/interactions/interactiontemplate/add/").status_code == 403
