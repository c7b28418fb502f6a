"""'Download all letters' of a big worksheet runs as a background job, not in the web request.

At most settings.SEGMENT_LETTERS_DIRECT_MAX_LINES lines: the direct download, as before. More: the worksheet
asks for a LetterDownloadJob (POST), shows its progress, then offers the file, to whoever may see the segment,
byte for byte what the direct download gives. The tests lower the threshold instead of building 500 lines.
"""

import io
import zipfile

import pytest

from interactions.models import StoredDocument
from segments import letters
from segments.letter_download_job import letter_download_job_lost, letter_download_job_run
from segments.models import LetterDownloadJob, Segment
from segments.services import (
    segment_add_contacts,
    segment_delete,
    segment_letters_prepare,
    segment_line_update,
    segment_log,
)
from tests.factories import PersonFactory, SegmentFactory, UserFactory
from tests.interactions.docx_builders import text_of
from tests.interactions.factories import letter_docx
from tests.segments.factories import acme_letter_worksheet

pytestmark = pytest.mark.django_db

Job = LetterDownloadJob


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.fixture
def worksheet(marketer):
    """Three lines with a Word letter: Acme and two of its people."""
    return acme_letter_worksheet(marketer, letter_docx("{{ contact.salutation }},", "{{ personal_note }}"))


@pytest.fixture
def big(settings):
    """Any worksheet of more than two lines counts as big."""
    settings.SEGMENT_LETTERS_DIRECT_MAX_LINES = 2


def prepare(client, segment, kind="zip"):
    return client.post(f"/segments/{segment.pk}/letters/prepare/", {"kind": kind})


def download_url(job) -> str:
    return f"/segments/{job.segment_id}/letters/jobs/{job.pk}/download/"


def direct_download(client, segment, kind, settings) -> bytes:
    """What the direct download gives for the same worksheet (the threshold raised for the moment)."""
    saved = settings.SEGMENT_LETTERS_DIRECT_MAX_LINES
    settings.SEGMENT_LETTERS_DIRECT_MAX_LINES = 10_000
    try:
        response = client.get(f"/segments/{segment.pk}/letters.{kind}")
        assert response.status_code == 200
        return body(response)
    finally:
        settings.SEGMENT_LETTERS_DIRECT_MAX_LINES = saved


# --- the small path -------------------------------------------------------------------------------------------------


def test_a_small_worksheet_keeps_the_direct_download(marketer_client, worksheet):
    page = marketer_client.get(f"/segments/{worksheet.pk}/").content.decode()
    assert f'href="/segments/{worksheet.pk}/letters.zip"' in page
    assert f'href="/segments/{worksheet.pk}/letters.docx"' in page
    assert "Prepare letters (.zip)" not in page and "Prepare letters (one .docx)" not in page
    assert 'id="letter-jobs"' not in page
    response = marketer_client.get(f"/segments/{worksheet.pk}/letters.zip")
    assert response.status_code == 200
    assert len(zipfile.ZipFile(io.BytesIO(body(response))).namelist()) == 3
    assert not Job.objects.exists()


def test_asking_to_prepare_a_small_worksheet_sends_to_the_direct_download(marketer_client, worksheet):
    response = prepare(marketer_client, worksheet, "docx")
    assert response.status_code == 302 and response["Location"] == f"/segments/{worksheet.pk}/letters.docx"
    assert not Job.objects.exists()


# --- the big path ---------------------------------------------------------------------------------------------------


def test_a_big_worksheet_offers_to_prepare_the_letters_instead(big, marketer_client, worksheet):
    page = marketer_client.get(f"/segments/{worksheet.pk}/").content.decode()
    assert f'action="/segments/{worksheet.pk}/letters/prepare/"' in page
    assert "Prepare letters (.zip)" in page and "Prepare letters (one .docx)" in page
    assert f'href="/segments/{worksheet.pk}/letters.zip"' not in page
    assert "more than 2 lines" in page


@pytest.mark.parametrize("kind", ["zip", "docx"])
def test_the_direct_download_of_a_big_worksheet_merges_nothing_in_the_request(
    big, marketer_client, worksheet, kind, monkeypatch
):
    def merging_in_the_request(*args, **kwargs):
        raise AssertionError("merged in the request")

    monkeypatch.setattr(letters, "segment_letters", merging_in_the_request)
    response = marketer_client.get(f"/segments/{worksheet.pk}/letters.{kind}", follow=True)
    assert response.redirect_chain[-1][0] == f"/segments/{worksheet.pk}/"
    assert "its letters are prepared in the background" in response.content.decode()


def test_preparing_queues_a_job_that_runs_after_the_commit(
    big, marketer_client, marketer, worksheet, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = prepare(marketer_client, worksheet)
    assert response.status_code == 302 and response["Location"] == f"/segments/{worksheet.pk}/#letter-jobs"
    job = Job.objects.get()
    assert (job.segment, job.kind, job.status, job.user) == (worksheet, "zip", Job.Status.QUEUED, marketer)
    assert len(callbacks) == 1  # the task is enqueued only once the job row is committed
    page = marketer_client.get(f"/segments/{worksheet.pk}/").content.decode()
    assert "Queued" in page and f'hx-get="/segments/{worksheet.pk}/letters/jobs/"' in page


@pytest.mark.parametrize("kind", ["zip", "docx"])
def test_the_prepared_file_is_what_the_direct_download_gives(
    big, settings, marketer_client, viewer_client, worksheet, kind, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        prepare(marketer_client, worksheet, kind)
    job = Job.objects.get()
    assert job.status == Job.Status.DONE and job.done == job.total == 3
    page = marketer_client.get(f"/segments/{worksheet.pk}/").content.decode()
    assert f'href="{download_url(job)}"' in page and f"Download Segment {worksheet.no}.{kind}" in page
    assert "hx-trigger" not in page[page.index('id="letter-jobs"') :][:300]  # done: no more polling
    response = viewer_client.get(download_url(job))
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="Segment {worksheet.no}.{kind}"'
    assert response["Content-Type"] == letters.LETTER_FILES[kind][1]
    assert body(response) == direct_download(viewer_client, worksheet, kind, settings)


def test_the_zip_holds_one_letter_per_contact_with_its_personal_note(
    big, marketer_client, marketer, worksheet, django_capture_on_commit_callbacks
):
    ada = worksheet.lines.get(contact__name="Ada Lovelace")
    segment_line_update(ada, user=marketer, personal_note="See you in Kiel!")
    with django_capture_on_commit_callbacks(execute=True):
        prepare(marketer_client, worksheet)
    archive = zipfile.ZipFile(io.BytesIO(body(marketer_client.get(download_url(Job.objects.get())))))
    assert sorted(archive.namelist()) == ["Acme - Ada Lovelace.docx", "Acme - Grace Hopper.docx", "Acme.docx"]
    assert "See you in Kiel!" in text_of(archive.read("Acme - Ada Lovelace.docx"))
    assert "See you in Kiel!" not in text_of(archive.read("Acme - Grace Hopper.docx"))


def test_asking_twice_while_a_job_is_queued_gives_the_same_job(big, marketer_client, worksheet, viewer_client):
    first = prepare(marketer_client, worksheet)
    second = prepare(viewer_client, worksheet)
    assert first.status_code == second.status_code == 302
    assert Job.objects.count() == 1


def test_the_progress_card_alone_for_polling(big, viewer_client, worksheet, marketer):
    job = segment_letters_prepare(worksheet, kind="docx", user=marketer)
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING, stage="Merging letters", total=3, done=1)
    card = viewer_client.get(f"/segments/{worksheet.pk}/letters/jobs/")
    text = card.content.decode()
    assert card.status_code == 200 and text.lstrip().startswith('<section class="card letter-jobs"')
    assert "Merging letters · 1 of 3 lines" in text and 'aria-valuenow="33"' in text
    assert 'hx-trigger="every 2s"' in text


def test_the_job_reports_progress_as_it_merges(big, worksheet, marketer, monkeypatch):
    monkeypatch.setattr(letters, "PROGRESS_EVERY", 1)
    calls = []
    letters.write_segment_letters(worksheet, "zip", io.BytesIO(), progress=calls.append)
    assert calls == [1, 2, 3, 3]  # every line, and once at the end

    from segments import letter_download_job

    rows_while_storing = []
    real_store = letter_download_job.store_document_file

    def store(*args, **kwargs):
        rows_while_storing.append(Job.objects.values("status", "stage", "total", "done").get())
        return real_store(*args, **kwargs)

    monkeypatch.setattr(letter_download_job, "store_document_file", store)
    job = segment_letters_prepare(worksheet, kind="zip", user=marketer)
    finished = letter_download_job_run(job.pk)
    assert rows_while_storing == [{"status": "running", "stage": "Storing the file", "total": 3, "done": 3}]
    assert (finished.status, finished.total, finished.done, finished.percent) == (Job.Status.DONE, 3, 3, 100)
    assert finished.started_at <= finished.finished_at


# --- refusals and failures ------------------------------------------------------------------------------------------


def test_a_worksheet_without_a_word_letter_is_refused_and_nothing_is_queued(big, marketer_client, marketer):
    segment = SegmentFactory()  # its template has no attachment
    PersonFactory.create_batch(3, city="Oslo")
    segment_add_contacts(segment, criteria={"city": "Oslo"}, user=marketer)
    response = prepare(marketer_client, segment, "zip")
    assert response.status_code == 302
    messages = marketer_client.get(response["Location"]).content.decode()
    assert f"Segment {segment.no} has no Word letter to merge" in messages
    assert not Job.objects.exists()


def test_an_unknown_kind_is_refused_and_nothing_is_queued(big, marketer_client, worksheet):
    response = prepare(marketer_client, worksheet, "odt")
    assert "Unknown kind of letters download “odt”" in marketer_client.get(response["Location"]).content.decode()
    assert not Job.objects.exists()


def test_a_job_whose_letters_went_away_meanwhile_fails_with_the_reason(big, worksheet, marketer, marketer_client):
    job = segment_letters_prepare(worksheet, kind="zip", user=marketer)
    template = worksheet.template
    template.attachment = ""
    template.save()
    finished = letter_download_job_run(job.pk)
    assert finished.status == Job.Status.FAILED and finished.document is None
    assert "has no Word letter to merge" in finished.error
    page = marketer_client.get(f"/segments/{worksheet.pk}/").content.decode()
    assert "Failed" in page and "has no Word letter to merge" in page
    assert marketer_client.get(download_url(job)).status_code == 404


def test_a_done_job_is_not_run_twice(big, worksheet, marketer, monkeypatch):
    job = segment_letters_prepare(worksheet, kind="zip", user=marketer)
    letter_download_job_run(job.pk)
    monkeypatch.setattr(letters, "write_segment_letters", lambda *a, **k: pytest.fail("merged again"))
    assert letter_download_job_run(job.pk).status == Job.Status.DONE


def test_a_lost_worker_leaves_the_job_failed_or_queued_again_never_running(big, worksheet, marketer):
    job = segment_letters_prepare(worksheet, kind="zip", user=marketer)
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING, done=2)
    letter_download_job_lost(job.pk, reason="Worker w1 stopped.", failed=False)
    job.refresh_from_db()
    assert (job.status, job.done) == (Job.Status.QUEUED, 0)
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING)
    letter_download_job_lost(job.pk, reason="Worker w1 stopped.", failed=True, dry_run=True)
    job.refresh_from_db()
    assert job.status == Job.Status.RUNNING  # a dry run changes nothing
    letter_download_job_lost(job.pk, reason="Worker w1 stopped.", failed=True)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and "Worker w1 stopped." in job.error


# --- who may download, and the files' lifetime ---------------------------------------------------------------------


@pytest.fixture
def done_job(big, worksheet, marketer):
    job = segment_letters_prepare(worksheet, kind="zip", user=marketer)
    return letter_download_job_run(job.pk)


@pytest.mark.parametrize("persona", ["marketer_client", "sales_client", "viewer_client"])
def test_everyone_who_sees_the_segment_downloads_the_file(request, persona, done_job):
    response = request.getfixturevalue(persona).get(download_url(done_job))
    assert response.status_code == 200 and zipfile.ZipFile(io.BytesIO(body(response))).namelist()


def test_a_user_without_a_role_can_neither_prepare_nor_download_nor_watch(stranger_client, done_job, worksheet):
    assert stranger_client.get(download_url(done_job)).status_code == 403
    assert stranger_client.get(f"/segments/{worksheet.pk}/letters/jobs/").status_code == 403
    assert prepare(stranger_client, worksheet).status_code == 403
    assert Job.objects.count() == 1


def test_a_viewer_may_ask_for_the_letters_as_they_may_download_them(big, viewer_client, worksheet, viewer):
    assert prepare(viewer_client, worksheet).status_code == 302
    assert Job.objects.get().user == viewer


def test_a_job_is_only_downloaded_through_its_own_segment(viewer_client, done_job, marketer):
    other = SegmentFactory()
    assert viewer_client.get(f"/segments/{other.pk}/letters/jobs/{done_job.pk}/download/").status_code == 404


def test_a_job_that_is_not_done_has_no_file(big, viewer_client, worksheet, marketer):
    job = segment_letters_prepare(worksheet, kind="zip", user=marketer)
    assert viewer_client.get(download_url(job)).status_code == 404


def test_the_file_needs_get(viewer_client, done_job):
    assert viewer_client.post(download_url(done_job)).status_code == 405
    assert viewer_client.get(f"/segments/{done_job.segment_id}/letters/prepare/").status_code == 405


def test_once_the_segment_is_deleted_its_file_is_no_longer_offered_and_goes_with_the_next_run(
    done_job, worksheet, marketer, viewer_client, django_capture_on_commit_callbacks
):
    url = download_url(done_job)
    document = done_job.document
    storage = document.file.storage
    assert storage.exists(document.file.name)
    segment_delete(worksheet, user=marketer)
    assert viewer_client.get(url).status_code == 404
    done_job.refresh_from_db()
    assert done_job.segment is None  # kept, without a segment, until the next run tidies up

    other = SegmentFactory(template=worksheet.template, description="Autumn offer")
    PersonFactory.create_batch(3, city="Oslo")
    segment_add_contacts(other, criteria={"city": "Oslo"}, user=marketer)
    with django_capture_on_commit_callbacks(execute=True):
        letter_download_job_run(segment_letters_prepare(other, kind="zip", user=marketer).pk)
    assert not Job.objects.filter(pk=done_job.pk).exists()
    assert not StoredDocument.objects.filter(pk=document.pk).exists()
    assert not storage.exists(document.file.name)


def test_a_new_file_replaces_the_previous_one_of_the_same_kind(
    done_job, worksheet, marketer, django_capture_on_commit_callbacks
):
    first_document = done_job.document
    ada = worksheet.lines.get(contact__name="Ada Lovelace")
    segment_line_update(ada, user=marketer, personal_note="Changed since")
    docx_job = letter_download_job_run(segment_letters_prepare(worksheet, kind="docx", user=marketer).pk)
    with django_capture_on_commit_callbacks(execute=True):
        new = letter_download_job_run(segment_letters_prepare(worksheet, kind="zip", user=marketer).pk)
    assert set(Job.objects.values_list("pk", flat=True)) == {docx_job.pk, new.pk}  # the other kind stays
    assert new.document_id != first_document.pk
    assert not StoredDocument.objects.filter(pk=first_document.pk).exists()
    assert not first_document.file.storage.exists(first_document.file.name)


def test_preparing_letters_keeps_a_colleagues_finished_download(done_job, worksheet, marketer, viewer_client):
    colleague = UserFactory(username="colleague", role="Marketing")
    ada = worksheet.lines.get(contact__name="Ada Lovelace")
    segment_line_update(ada, user=marketer, personal_note="Changed since")  # other bytes: another stored document
    theirs = letter_download_job_run(segment_letters_prepare(worksheet, kind="zip", user=colleague).pk)

    assert Job.objects.filter(pk=done_job.pk).exists()  # the marketer's download is still there …
    assert viewer_client.get(download_url(done_job)).status_code == 200  # … and still downloads
    # The marketer's own next run replaces only the marketer's own one.
    mine = letter_download_job_run(segment_letters_prepare(worksheet, kind="zip", user=marketer).pk)
    assert set(Job.objects.values_list("pk", flat=True)) == {theirs.pk, mine.pk}


def test_a_file_shared_with_another_job_is_kept(done_job, worksheet, marketer):
    # The same letters again are the same bytes: one stored document, which the new job still needs.
    again = letter_download_job_run(segment_letters_prepare(worksheet, kind="zip", user=marketer).pk)
    assert again.document_id == done_job.document_id
    assert not Job.objects.filter(pk=done_job.pk).exists()
    assert StoredDocument.objects.filter(pk=again.document_id).exists()


def test_logging_the_segment_leaves_the_job_without_a_segment(done_job, worksheet, marketer, viewer_client):
    url = download_url(done_job)
    segment_log(worksheet, user=marketer)
    assert not Segment.objects.filter(pk=worksheet.pk).exists()
    done_job.refresh_from_db()
    assert done_job.segment is None and done_job.document is not None  # its file goes with the next run
    assert viewer_client.get(url).status_code == 404


def test_recover_tasks_tidies_up_after_a_lost_letter_job():
    from crm.jobs import registry
    from segments.tasks import run_letter_download_job

    kind = registry.task_kind(run_letter_download_job.module_path)
    assert kind.lost_handler is letter_download_job_lost and kind.job_model is LetterDownloadJob


def test_with_the_database_task_backend_the_request_only_queues_and_a_worker_merges(
    big, settings, marketer_client, worksheet, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    from segments.tasks import run_letter_download_job

    settings.TASKS = {"default": {"BACKEND": "crm.jobs.backend.LeasedDatabaseBackend"}}
    with django_capture_on_commit_callbacks(execute=True):
        response = prepare(marketer_client, worksheet, "docx")
    job = Job.objects.get()
    task = DBTaskResult.objects.get(task_path="segments.tasks.run_letter_download_job")
    assert task.args_kwargs["args"] == [job.pk]
    assert job.status == Job.Status.QUEUED and job.document is None  # nothing merged in the request
    page = marketer_client.get(response["Location"]).content.decode()
    assert "merging the letters in the background" in page and 'hx-trigger="every 2s"' in page

    run_letter_download_job.call(*task.args_kwargs["args"])  # what a db_worker does
    job.refresh_from_db()
    assert job.status == Job.Status.DONE
    assert body(marketer_client.get(download_url(job))) == direct_download(marketer_client, worksheet, "docx", settings)


def test_recover_tasks_puts_a_job_whose_worker_died_back_in_the_queue(
    big, settings, marketer, worksheet, django_capture_on_commit_callbacks
):
    from datetime import timedelta
    from io import StringIO

    from django.core.management import call_command
    from django.utils import timezone
    from django_tasks_db.compat import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "crm.jobs.backend.LeasedDatabaseBackend"}}
    with django_capture_on_commit_callbacks(execute=True):
        job = segment_letters_prepare(worksheet, kind="zip", user=marketer)
    DBTaskResult.objects.update(
        status=TaskResultStatus.RUNNING, worker_ids=["w1"], started_at=timezone.now() - timedelta(hours=2)
    )
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING, done=2, total=3)
    call_command("recover_tasks", "--older-than", "3600", stdout=StringIO(), stderr=StringIO())
    job.refresh_from_db()
    assert (job.status, job.done) == (Job.Status.QUEUED, 0)
    assert "the worker merging them stopped" in job.stage


def test_a_file_stored_in_chunks_is_the_same_stored_document_as_the_same_bytes():
    from interactions.storage import store_document, store_document_file

    data = b"PK" + bytes(range(256)) * 9000  # over two read chunks
    from_file = store_document_file(io.BytesIO(data), filename="a.zip", content_type="application/zip")
    assert (from_file.size, from_file.sha256, from_file.read()) == (len(data), StoredDocument.digest(data), data)
    assert store_document(data, filename="b.zip", content_type="application/zip").pk == from_file.pk
