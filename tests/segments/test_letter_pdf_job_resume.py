"""A letters-as-PDF job whose worker died goes on where it stopped (docs/BEHAVIOUR.md §12): the batches of letters
it converted are kept as files of the job (interactions.letter_pdf.KeptParts), and the job run again (re-queued by
recover_tasks, or asked for again once it shows "Stopped") converts only the batches that are left. The file is the
one an uninterrupted run gives: every contact's letter once, in line order.

The worker's death is simulated as in tests/workers: the task stops with an exception the job does not catch, and
its row is left "Running" with an old heartbeat. Needs LibreOffice (skipped where it is missing).
"""

import io
import zipfile
from io import StringIO

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from pypdf import PdfReader

from interactions import letter_pdf
from interactions.merge import pdf_converter
from segments.letter_download_job import kept_parts_directory, letter_download_job_lost, letter_download_job_run
from segments.letters import segment_letters
from segments.models import LetterDownloadJob
from segments.selectors import worksheet_lines
from segments.services import segment_add_contacts
from tests.factories import InteractionTemplateFactory, PersonFactory, SegmentFactory
from tests.interactions.factories import letter_docx
from tests.interactions.test_letter_pdf import needs_libreoffice, pdf_text
from tests.workers.test_stale_jobs import left_running

pytestmark = [pytest.mark.django_db, needs_libreoffice]

Job = LetterDownloadJob
PEOPLE = ["Ada Lovelace", "Grace Hopper", "Hedy Lamarr", "Joan Clarke", "Mary Somerville"]


class WorkerKilled(BaseException):
    """The worker process dying mid-job (not an error the job could catch and record)."""


@pytest.fixture
def worksheet(marketer):
    template = InteractionTemplateFactory(code="LETTER", language_code="en")
    template.attachment.save(
        "letter.docx", ContentFile(letter_docx("Dear {{ contact.name }},", "Our offer for {{ contact.city }}.")), True
    )
    segment = SegmentFactory(template=template, description="Spring offer", language_code="en")
    for name in PEOPLE:
        PersonFactory(name=name, city="Kiel")
    segment_add_contacts(segment, criteria={"city": "Kiel"}, user=marketer)
    return segment


@pytest.fixture
def conversions(monkeypatch):
    """The letters handed to LibreOffice, one list per batch, and two letters to a batch (three batches of five)."""
    monkeypatch.setattr(letter_pdf, "LETTERS_PER_BATCH", 2)
    monkeypatch.setattr(letter_pdf, "LETTERS_PER_COMBINED_BATCH", 2)
    converted: list[int] = []
    real_units = pdf_converter._units

    def units(key, letters, *, split):
        converted.append(len(letters))
        return real_units(key, letters, split=split)

    monkeypatch.setattr(pdf_converter, "_units", units)
    return converted


def killed_after_two_batches(monkeypatch):
    """The worker dies while keeping the third batch (converted, not yet kept)."""
    real_put = letter_pdf.KeptParts.put

    def put(self, name, data):
        if name.startswith("000002-"):
            raise WorkerKilled
        real_put(self, name, data)

    monkeypatch.setattr(letter_pdf.KeptParts, "put", put)
    return lambda: monkeypatch.setattr(letter_pdf.KeptParts, "put", real_put)


def kept_files(job) -> list[str]:
    try:
        return sorted(default_storage.listdir(kept_parts_directory(job.pk))[1])
    except FileNotFoundError:
        return []


def lines_in_order(segment) -> list[tuple[str, str]]:
    """(PDF name, first line of the letter) of each line, in the worksheet's line order."""
    return [
        (f"{filename.removesuffix('.docx')}.pdf", f"Dear {line.contact.name},")
        for line, (filename, _letter) in zip(worksheet_lines(segment), segment_letters(segment), strict=True)
    ]


def letters_in_order(job) -> list[tuple[str, str]] | list[str]:
    """The job's file: (name, first line) of each PDF in the zip, or the first line of each page of the one PDF."""
    with job.document.file.open("rb") as handle:
        data = handle.read()
    if job.kind == "pdf":
        return [page.extract_text().splitlines()[0] for page in PdfReader(io.BytesIO(data)).pages]
    archive = zipfile.ZipFile(io.BytesIO(data))
    return [(name, pdf_text(archive.read(name)).splitlines()[0]) for name in archive.namelist()]


def expected(job) -> list[tuple[str, str]] | list[str]:
    """Every contact's letter once, in line order."""
    lines = lines_in_order(job.segment)
    assert sorted(first for _name, first in lines) == sorted(f"Dear {name}," for name in PEOPLE)
    return [first for _name, first in lines] if job.kind == "pdf" else lines


def stopped_run(job, monkeypatch, conversions):
    """Run the job until its worker dies in the third batch; as a killed worker leaves it."""
    revive = killed_after_two_batches(monkeypatch)
    with pytest.raises(WorkerKilled):
        letter_download_job_run(job.pk)
    revive()
    assert conversions == [2, 2, 1]
    job = left_running(job, stage="Merging letters and converting them to PDF")
    assert job.done == 4 and len(kept_files(job)) == 2, "the first two batches are kept, done counts their letters"
    conversions.clear()
    return job


@pytest.mark.parametrize("kind", ["pdfzip", "pdf"])
def test_a_pdf_job_requeued_after_its_worker_died_converts_only_the_letters_left(
    kind, marketer, worksheet, monkeypatch, conversions
):
    job = stopped_run(Job.objects.create(segment=worksheet, kind=kind, user=marketer), monkeypatch, conversions)

    # recover_tasks found the worker gone and queued the task again; a worker runs it.
    letter_download_job_lost(job.pk, reason="The worker stopped.", failed=False)
    assert Job.objects.get(pk=job.pk).status == Job.Status.QUEUED
    job = letter_download_job_run(job.pk)

    assert conversions == [1], "only the last batch (the fifth letter) went to LibreOffice again"
    assert (job.status, job.done, job.total) == (Job.Status.DONE, 5, 5)
    assert letters_in_order(job) == expected(job)
    assert kept_files(job) == [], "the kept batches go once the file is stored"


@pytest.mark.parametrize("kind", ["pdfzip", "pdf"])
def test_a_stopped_pdf_job_asked_for_again_goes_on_where_it_stopped(
    kind, marketer, marketer_client, worksheet, monkeypatch, conversions, django_capture_on_commit_callbacks
):
    stopped = stopped_run(Job.objects.create(segment=worksheet, kind=kind, user=marketer), monkeypatch, conversions)
    call_command("recover_tasks", stdout=StringIO(), stderr=StringIO())
    stopped.refresh_from_db()
    assert stopped.status == Job.Status.FAILED and stopped.stage == "Stopped"

    with django_capture_on_commit_callbacks(execute=True):
        response = marketer_client.post(f"/segments/{worksheet.pk}/letters/prepare/", {"kind": kind})

    assert response.status_code == 302
    job = Job.objects.get(status=Job.Status.DONE)
    assert job.pk != stopped.pk and conversions == [1]
    assert letters_in_order(job) == expected(job)
    # The stopped job is replaced, its kept batches with it.
    assert list(Job.objects.all()) == [job] and kept_files(stopped) == []


def test_a_batch_whose_letters_changed_since_is_converted_again(marketer, worksheet, monkeypatch, conversions):
    job = stopped_run(Job.objects.create(segment=worksheet, kind="pdfzip", user=marketer), monkeypatch, conversions)
    contact = worksheet_lines(worksheet)[1].contact  # in the first batch
    contact.city = "Kiel-Holtenau"
    contact.save()

    letter_download_job_lost(job.pk, reason="The worker stopped.", failed=False)
    job = letter_download_job_run(job.pk)

    assert conversions == [2, 1], "the first batch (Grace's letter changed) and the last one"
    with job.document.file.open("rb") as handle:
        archive = zipfile.ZipFile(io.BytesIO(handle.read()))
    names = [name for name, _first in lines_in_order(worksheet)]
    assert archive.namelist() == names
    assert "Our offer for Kiel-Holtenau." in pdf_text(archive.read(names[1]))
    assert all("Our offer for Kiel." in pdf_text(archive.read(name)) for name in names if name != names[1])
