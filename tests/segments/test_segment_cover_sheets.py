"""A worksheet's cover sheets (reference 3, Print Cover Sheets; scenario 78; docs/BEHAVIOUR.md §10): one PDF with a
page per line, an entry per line with the "Cover sheets" setup template, document type cover sheet and a blank
document number; drawn by a background job above SEGMENT_COVER_SHEETS_DIRECT_MAX_LINES lines (the tests lower it).
Each test: given … / when … / then …."""

import pytest
from django.core.exceptions import ValidationError

from crm.models import AuditEvent, Contact
from interactions.models import InteractionLogEntry
from segments.letter_download_job import letter_download_job_run
from segments.models import LetterDownloadJob
from segments.services import segment_cover_sheets_print
from tests.factories import (
    InteractionTemplateFactory,
    InteractionTemplateSetupFactory,
    SegmentFactory,
)
from tests.pdf_helpers import needs_pdf, pdf_pages, pdf_text
from tests.segments.factories import add_acme_and_two_people

pytestmark = [pytest.mark.django_db, needs_pdf]


@pytest.fixture
def setup():
    template = InteractionTemplateFactory(code="COVERSH", description="Cover sheet")
    InteractionTemplateSetupFactory(event="cover_sheet", template=template)
    return template


@pytest.fixture
def worksheet(marketer):
    """Three lines: Acme and two of its people."""
    return add_acme_and_two_people(SegmentFactory(description="Samples"), marketer)


def logged_contacts() -> list[str]:
    return list(InteractionLogEntry.objects.order_by("pk").values_list("contact__name", flat=True))


def test_scenario_78_given_a_worksheet_when_its_cover_sheets_are_printed_then_a_page_and_an_entry_per_line(
    worksheet, setup, marketer
):
    result = segment_cover_sheets_print(worksheet, text="Samples enclosed.", user=marketer)

    assert result.job is None and result.logged == 3 and pdf_pages(result.pdf) == 3
    text = pdf_text(result.pdf)
    assert all(name in text for name in ("Acme", "Ada Lovelace", "Grace Hopper", "Samples enclosed."))
    assert logged_contacts() == ["Acme", "Ada Lovelace", "Grace Hopper"]
    assert set(InteractionLogEntry.objects.values_list("document_type", "document_no", "template_id")) == {
        ("cover_sheet", "", setup.pk)
    }
    assert AuditEvent.objects.get(action="interaction_created").count == 3


def test_given_a_big_worksheet_when_cover_sheets_are_printed_then_a_job_draws_them_and_logs_once_done(
    worksheet, setup, marketer, settings, django_capture_on_commit_callbacks
):
    settings.SEGMENT_COVER_SHEETS_DIRECT_MAX_LINES = 2
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        result = segment_cover_sheets_print(worksheet, text="Samples enclosed.", user=marketer)
    assert result.pdf is None and result.job.kind == "covers" and result.job.text == "Samples enclosed."
    assert InteractionLogEntry.objects.count() == 0 and len(callbacks) == 1  # queued after commit, nothing logged yet

    job = letter_download_job_run(result.job.pk)

    assert job.status == "done" and (job.done, job.total) == (3, 3)
    assert job.filename == f"Segment {worksheet.no} cover sheets.pdf" and job.document.content_type == "application/pdf"
    assert pdf_pages(job.document.read()) == 3
    assert logged_contacts() == ["Acme", "Ada Lovelace", "Grace Hopper"]
    assert InteractionLogEntry.objects.get(contact__name="Acme").user == marketer
    assert letter_download_job_run(job.pk).status == "done" and InteractionLogEntry.objects.count() == 3  # once


def test_given_a_big_worksheet_when_asked_twice_then_one_job(worksheet, setup, marketer, settings):
    settings.SEGMENT_COVER_SHEETS_DIRECT_MAX_LINES = 2
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    first = segment_cover_sheets_print(worksheet, text="", user=marketer).job
    second = segment_cover_sheets_print(worksheet, text="", user=marketer).job
    assert first.pk == second.pk and LetterDownloadJob.objects.count() == 1


def test_given_a_contact_blocked_while_the_job_waits_when_it_runs_then_it_fails_and_logs_nothing(
    worksheet, setup, marketer, settings
):
    settings.SEGMENT_COVER_SHEETS_DIRECT_MAX_LINES = 2
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    job = segment_cover_sheets_print(worksheet, text="", user=marketer).job
    Contact.objects.filter(name="Grace Hopper").update(privacy_blocked=True)

    job = letter_download_job_run(job.pk)

    assert job.status == "failed" and "Grace Hopper because they are marked as blocked due to privacy" in job.error
    assert InteractionLogEntry.objects.count() == 0


def test_given_an_empty_worksheet_when_cover_sheets_are_printed_then_it_is_refused(setup, marketer):
    segment = SegmentFactory()
    with pytest.raises(ValidationError, match="is empty: add contacts before printing cover sheets"):
        segment_cover_sheets_print(segment, text="", user=marketer)
    assert InteractionLogEntry.objects.count() == 0 and LetterDownloadJob.objects.count() == 0


def test_given_a_privacy_blocked_contact_on_a_line_when_printed_then_it_is_refused_naming_it(
    worksheet, setup, marketer
):
    Contact.objects.filter(name="Ada Lovelace").update(privacy_blocked=True)
    with pytest.raises(ValidationError, match="Ada Lovelace because they are marked as blocked due to privacy"):
        segment_cover_sheets_print(worksheet, text="", user=marketer)
    assert InteractionLogEntry.objects.count() == 0


def test_given_no_cover_sheet_setup_when_a_worksheet_is_printed_then_the_pdf_comes_and_nothing_is_logged(
    worksheet, marketer
):
    result = segment_cover_sheets_print(worksheet, text="", user=marketer)
    assert result.logged == 0 and pdf_pages(result.pdf) == 3 and InteractionLogEntry.objects.count() == 0


def test_given_the_letters_limit_is_lower_when_cover_sheets_are_printed_then_their_own_limit_decides(
    worksheet, setup, marketer, settings
):
    settings.SEGMENT_LETTERS_DIRECT_MAX_LINES = 1
    settings.SEGMENT_COVER_SHEETS_DIRECT_MAX_LINES = 3
    result = segment_cover_sheets_print(worksheet, text="", user=marketer)
    assert result.job is None and pdf_pages(result.pdf) == 3


def test_given_a_text_too_long_for_the_page_when_a_big_worksheet_job_runs_then_it_fails_saying_so(
    worksheet, setup, marketer, settings
):
    settings.SEGMENT_COVER_SHEETS_DIRECT_MAX_LINES = 2
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    job = segment_cover_sheets_print(worksheet, text="\n".join(["Item"] * 40), user=marketer).job

    job = letter_download_job_run(job.pk)

    assert job.status == "failed" and "does not fit on the cover sheet's one page" in job.error
    assert job.document is None and InteractionLogEntry.objects.count() == 0
