"""Benchmarks of logging a segment (budgets in docs/PERFORMANCE.md): 100,000 lines without letters, and 10,000
lines with letters.

Each run builds its segment lines with one INSERT … SELECT from the seeded contacts (outside the timer), logs
the segment (timed), and removes what it created. The first benchmark also times a raw INSERT … SELECT of the
same rows into the entries table itself, committed, and notes the ratio (issue 18's floor).
"""

import statistics
import time

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import connection, transaction

from bench.registry import benchmark
from crm.models import Contact, Salesperson
from crm.numbering import next_number
from interactions.letters import entry_document_bytes
from interactions.merge import letter_filename, write_zip_letters
from interactions.models import InteractionGroup, InteractionLogEntry, InteractionTemplate, LoggedSegment
from segments.models import LogJob, Segment, SegmentLine
from segments.services import segment_log
from segments.services.entry_insert_sql import entry_rows


def _fixtures(*, letter: bytes | None = None):
    user, _ = get_user_model().objects.get_or_create(username="bench-marketer")
    salesperson, _ = Salesperson.objects.get_or_create(code="BENCH-SP", defaults={"name": "Bench Salesperson"})
    group, _ = InteractionGroup.objects.get_or_create(code="BENCH", defaults={"description": "Benchmarks"})
    code = "BENCH-LETTER" if letter else "BENCH-LOG"
    template, _ = InteractionTemplate.objects.get_or_create(
        code=code,
        defaults={
            "group": group,
            "description": "Benchmark mailing",
            "unit_cost": 1,
            "unit_duration_minutes": 2,
            "correspondence_type": "hard_copy",
            "information_flow": "outbound",
            "initiated_by": "us",
        },
    )
    if letter and not template.attachment:
        template.attachment.save("bench-letter.docx", ContentFile(letter), save=True)
    return user, salesperson, template


def _segment_with_lines(count: int, *, template, salesperson) -> Segment:
    """A segment with `count` lines, built set-based from the seeded contacts (repeated if there are fewer)."""
    segment = Segment.objects.create(
        no=next_number("segment"), description="Benchmark segment", template=template, salesperson=salesperson
    )
    with connection.cursor() as cursor:
        added = 0
        while added < count:
            cursor.execute(
                f"""INSERT INTO {SegmentLine._meta.db_table}
                    (segment_id, contact_id, description, correspondence_type, subject, language_code, personal_note)
                    SELECT %s, id, '', '', '', '', '' FROM {Contact._meta.db_table}
                    WHERE privacy_blocked = %s ORDER BY id LIMIT %s""",
                [segment.pk, False, count - added],
            )
            if cursor.rowcount <= 0:
                raise RuntimeError("No contacts to build segment lines from: seed some first.")
            added += cursor.rowcount
    return segment


def _clean_up(logged: LoggedSegment | None, segment: Segment | None) -> None:
    with transaction.atomic():
        if logged is not None:
            InteractionLogEntry.all_objects.filter(logged_segment=logged)._raw_delete(connection.alias)
            LogJob.objects.filter(logged_segment=logged).delete()
            logged.delete()
        if segment is not None:
            SegmentLine.objects.filter(segment_id=segment.pk).delete()
            Segment.objects.filter(pk=segment.pk).delete()


def _raw_insert_sql(segment: Segment, probe: LoggedSegment, *, user) -> tuple[str, list]:
    """segment_log's own SELECT of the segment's entries (`entry_rows`) as one bare INSERT into the entries table.

    The same statement into the same table (its indexes, its million rows), without what segment_log does around
    it (locks, checks, the daily totals, deleting the worksheet, the audit row): the floor issue 18 compares with.
    """
    rows = entry_rows(segment, probe, user=user, send=False)
    return f"INSERT INTO {InteractionLogEntry._meta.db_table} ({', '.join(rows.columns)}) {rows.select}", rows.params


@benchmark("log a segment of 100,000 lines, no letters", budget_s={"sqlite": 1.0, "postgresql": 3.0}, order=60)
def log_100k_lines(ctx):
    lines = 100_000
    user, salesperson, template = _fixtures()
    raw_samples = []
    for _ in range(ctx.runs):
        segment = _segment_with_lines(lines, template=template, salesperson=salesperson)
        # The floor: the same INSERT … SELECT into the entries table, committed (segment_log's time includes
        # its commit), then removed again outside the timer.
        probe = LoggedSegment.objects.create(segment_no="BENCH-PROBE", description="probe", user=user)
        sql, params = _raw_insert_sql(segment, probe, user=user)
        try:
            started = time.perf_counter()
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql, params)
                inserted = cursor.rowcount
            raw_samples.append(time.perf_counter() - started)
            assert inserted == lines, inserted
        finally:
            _clean_up(probe, None)
        logged = None
        try:
            with ctx.timer():
                logged = segment_log(segment, user=user)
            assert logged.entries.count() == lines
        finally:
            _clean_up(logged, segment)
    raw = statistics.median(raw_samples)
    ctx.note(
        f"floor: the same INSERT … SELECT into the entries table, committed: {raw * 1000:.0f} ms median; "
        f"segment_log / floor = {statistics.median(ctx.samples) / raw:.2f}"
    )


def _letter() -> bytes:
    import io

    import docx

    document = docx.Document()
    document.add_paragraph("{{ contact.address_block }}")
    document.add_paragraph("{{ today }}")
    document.add_paragraph("{{ contact.salutation }},")
    document.add_paragraph("thank you for your interest in {{ segment.description }}. {{ personal_note }}")
    document.add_paragraph("Kind regards\n{{ salesperson.name }}")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


@benchmark(
    "log 10,000 lines with letters", budget_s={"sqlite": 500, "postgresql": 500}, unit="letters/s", runs=3, order=61
)
def log_10k_with_letters(ctx):
    lines = 10_000
    user, salesperson, template = _fixtures(letter=_letter())
    zip_rates = []
    for _ in range(ctx.runs):
        segment = _segment_with_lines(lines, template=template, salesperson=salesperson)
        logged = None
        try:
            # segment_log commits, then the in-process task backend merges every letter (values stored per entry).
            with ctx.timer(items=lines):
                logged = segment_log(segment, user=user)
            job = LogJob.objects.get(logged_segment=logged)
            assert job.status == LogJob.Status.DONE and job.done == lines, (job.status, job.done, job.error)
            # Rendering all of them into the "letters to print" zip, as the download does.
            started = time.perf_counter()
            with open("/dev/null", "wb") as sink:
                write_zip_letters(sink, _rendered(logged))
            zip_rates.append(lines / (time.perf_counter() - started))
        finally:
            _clean_up(logged, segment)
    ctx.note(f"rendering them into the letters zip: {statistics.median(zip_rates):,.0f} letters/s")


def _rendered(logged):
    entries = logged.entries.select_related("contact__company", "merge_template").order_by("id")
    for entry in entries.iterator(chunk_size=500):
        data, _name, _type = entry_document_bytes(entry)
        yield letter_filename(entry.contact.company_name, entry.contact.name), data
