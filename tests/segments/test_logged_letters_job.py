"""A logged segment's letters to print: written in the request up to settings.SEGMENT_LETTERS_DIRECT_MAX_LINES,
by a background job above it (as a big worksheet's letters), byte for byte the same file either way. The tests
lower the threshold instead of logging 500 lines."""

import io
import zipfile

import docx
import pytest
from django.core.exceptions import ValidationError

from interactions.letters import entry_document_bytes
from interactions.models import StoredDocument
from segments import logged_letters
from segments.letter_download_job import letter_download_job_run
from segments.models import LetterDownloadJob
from segments.services import logged_segment_letters_prepare, segment_log
from tests.factories import PersonFactory, SegmentFactory, SegmentLineFactory
from tests.segments.logging_helpers import docx_text, template_with_letter

pytestmark = pytest.mark.django_db

Job = LetterDownloadJob


@pytest.fixture
def logged(marketer, django_capture_on_commit_callbacks):
    """Three hard-copy letters, logged (their letters merged and stored by the log job)."""
    segment = SegmentFactory(template=template_with_letter(correspondence_type="hard_copy"))
    for name in ("Ada", "Grace", "Alan"):
        SegmentLineFactory(segment=segment, contact=PersonFactory(salutation=f"Dear {name}"))
    with django_capture_on_commit_callbacks(execute=True):
        return segment_log(segment, user=marketer)


@pytest.fixture
def big(settings):
    """Any logged segment of more than two letters counts as big."""
    settings.SEGMENT_LETTERS_DIRECT_MAX_LINES = 2


def direct(logged, kind: str) -> bytes:
    buffer = io.BytesIO()
    logged_letters.write_logged_letters(logged, kind, buffer)
    return buffer.getvalue()


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_a_big_logged_segment_offers_to_prepare_its_letters_instead_of_downloading_them(logged, big, viewer_client):
    page = viewer_client.get(f"/segments/logged/{logged.pk}/").content.decode()
    assert "Prepare letters to print (one .docx)" in page and "Prepare letters (.zip)" in page
    assert f'action="/segments/logged/{logged.pk}/letters/prepare/"' in page
    assert "This logged segment has more than 2 letters to print" in page
    assert f'href="/segments/logged/{logged.pk}/letters.docx"' not in page

    response = viewer_client.get(f"/segments/logged/{logged.pk}/letters.docx", follow=True)
    assert response.redirect_chain == [(f"/segments/logged/{logged.pk}/#letter-jobs", 302)]
    assert "has more than 2 letters to print: they are prepared in the background" in response.content.decode()
    assert not Job.objects.exists(), "a GET starts nothing"


@pytest.mark.parametrize("kind", ["docx", "zip"])
def test_the_prepared_file_is_the_direct_download_byte_for_byte(
    kind, logged, big, viewer, viewer_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = viewer_client.post(f"/segments/logged/{logged.pk}/letters/prepare/", {"kind": kind})
    assert response["Location"] == f"/segments/logged/{logged.pk}/#letter-jobs"
    job = Job.objects.get()
    assert (job.logged_segment, job.segment, job.kind, job.user) == (logged, None, kind, viewer)
    assert (job.status, job.total, job.done) == (Job.Status.DONE, 3, 3)
    assert job.filename == f"Segment {logged.segment_no}.{kind}"
    page = viewer_client.get(f"/segments/logged/{logged.pk}/").content.decode()
    url = f"/segments/logged/{logged.pk}/letters/jobs/{job.pk}/download/"
    assert f'href="{url}"' in page and f"Download Segment {logged.segment_no}.{kind}" in page
    assert "3 letters, written" in page and "Changes to the worksheet" not in page

    prepared = body(viewer_client.get(url))
    assert prepared == direct(logged, kind)
    if kind == "docx":
        letters = [docx_text(entry_document_bytes(entry)[0]) for entry in logged.entries.order_by("id")]
        assert docx_text(prepared) == "\n".join(letters)
        assert len(docx.Document(io.BytesIO(prepared)).sections) == 3
    else:
        assert len(zipfile.ZipFile(io.BytesIO(prepared)).namelist()) == 3


def test_asking_twice_while_the_job_is_queued_gives_the_same_job(
    logged, big, marketer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first = logged_segment_letters_prepare(logged, kind="docx", user=marketer)
        again = logged_segment_letters_prepare(logged, kind="docx", user=marketer)
    assert again.pk == first.pk and len(callbacks) == 1 and Job.objects.count() == 1
    other_kind = logged_segment_letters_prepare(logged, kind="zip", user=marketer)
    assert other_kind.pk != first.pk


def test_preparing_again_replaces_the_finished_job(logged, big, marketer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = logged_segment_letters_prepare(logged, kind="docx", user=marketer)
    first.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        second = logged_segment_letters_prepare(logged, kind="docx", user=marketer)
    second.refresh_from_db()
    assert second.pk != first.pk and list(Job.objects.values_list("pk", flat=True)) == [second.pk]
    # The letters did not change: the same bytes, so the one stored document serves the new job.
    assert first.document_id is not None and second.document_id == first.document_id
    assert StoredDocument.objects.filter(pk=second.document_id).exists()


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("odt", "Unknown kind of letters download “odt”. Use zip, docx, pdfzip, pdf."),
        ("docx", "has no letters to print"),
    ],
)
def test_bad_requests_are_refused_and_queue_nothing(kind, message, marketer, big):
    segment = SegmentFactory(template=template_with_letter(correspondence_type="email"))
    SegmentLineFactory(segment=segment, contact=PersonFactory(email="ada@example.com"))
    without_letters = segment_log(segment, user=marketer, send=True)  # e-mailed: nothing to print
    with pytest.raises(ValidationError, match=message):
        logged_segment_letters_prepare(without_letters, kind=kind, user=marketer)
    assert not Job.objects.exists()


def test_a_small_logged_segment_is_sent_to_the_direct_download(logged, viewer_client):
    response = viewer_client.post(f"/segments/logged/{logged.pk}/letters/prepare/", {"kind": "docx"})
    assert response.status_code == 302 and response["Location"] == f"/segments/logged/{logged.pk}/letters.docx"
    assert not Job.objects.exists()


def test_the_file_is_only_offered_on_its_own_logged_segment_and_to_readers(
    logged, big, marketer, viewer_client, stranger_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job = logged_segment_letters_prepare(logged, kind="zip", user=marketer)
    other = SegmentFactory(template=template_with_letter(correspondence_type="hard_copy"))
    SegmentLineFactory(segment=other, contact=PersonFactory())
    other_logged = segment_log(other, user=marketer)
    assert viewer_client.get(f"/segments/logged/{other_logged.pk}/letters/jobs/{job.pk}/download/").status_code == 404
    url = f"/segments/logged/{logged.pk}/letters/jobs/{job.pk}/download/"
    assert stranger_client.get(url).status_code == 403
    assert stranger_client.post(f"/segments/logged/{logged.pk}/letters/prepare/", {"kind": "zip"}).status_code == 403


def test_the_progress_card_polls_while_the_job_waits(
    logged, big, marketer, viewer_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        job = logged_segment_letters_prepare(logged, kind="docx", user=marketer)
    card = viewer_client.get(f"/segments/logged/{logged.pk}/letters/jobs/").content.decode()
    assert f'hx-get="/segments/logged/{logged.pk}/letters/jobs/"' in card and "Queued" in card
    letter_download_job_run(job.pk)
    card = viewer_client.get(f"/segments/logged/{logged.pk}/letters/jobs/").content.decode()
    assert "hx-trigger" not in card and "Ready" in card


def test_a_job_whose_logged_segment_was_deleted_fails_and_is_cleaned_up(
    logged, big, marketer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        job = logged_segment_letters_prepare(logged, kind="docx", user=marketer)
    logged.delete()
    job.refresh_from_db()
    assert job.logged_segment_id is None
    letter_download_job_run(job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and "logged or deleted" in job.error


def test_writing_reports_progress_per_entry(logged):
    calls = []
    logged_letters.write_logged_letters(logged, "zip", io.BytesIO(), progress=calls.append)
    assert calls == [1, 2, 3, 3]  # every entry (the job's updater writes by the clock), and once at the end
