"""`manage.py bench` (bench/): one operation on a tiny data set, `--write` into PERFORMANCE.md, discovery, and the
raw INSERT … SELECT the segment logging benchmark compares with."""

import pkgutil
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection

from bench import benchmarks
from bench.benchmarks import segment_logging
from bench.management.commands import bench as bench_command
from crm.models import Contact
from interactions.models import InteractionLogEntry, LoggedSegment
from tests.factories import SegmentFactory, SegmentLineFactory

pytestmark = pytest.mark.django_db

ONE = "contact list page: first page"
# The command runs VACUUM before each operation on a PostgreSQL server with autovacuum off, which a transaction
# around the test would refuse.
RUNS_OUTSIDE_A_TRANSACTION = pytest.mark.django_db(transaction=True)


def bench(*args: str) -> str:
    out = StringIO()
    call_command("bench", "--scale", "30", "--runs", "1", "--only", ONE, *args, stdout=out)
    return out.getvalue()


@RUNS_OUTSIDE_A_TRANSACTION
def test_bench_seeds_the_data_set_and_runs_only_the_operation_asked_for():
    output = bench()

    assert Contact.objects.count() == 30
    assert "Seeded 30 contacts" in output
    rows = [line for line in output.splitlines() if line.startswith(f"| {ONE} |")]
    assert len(rows) == 1
    assert "n=1" in rows[0] and "≤ 50.0 ms" in rows[0] and "queries" in rows[0]
    assert "failed" not in output
    assert "Interaction Log Entries page" not in output


@RUNS_OUTSIDE_A_TRANSACTION
def test_bench_write_replaces_the_rows_it_ran_and_keeps_the_others(tmp_path, monkeypatch):
    vendor, other = connection.vendor, "postgresql" if connection.vendor == "sqlite" else "sqlite"
    performance_md = tmp_path / "PERFORMANCE.md"
    performance_md.write_text(
        "# Performance\n\nIntroduction.\n\n"
        f"<!-- bench:{vendor}:start -->\n## old\n\n"
        f"{bench_command.TABLE_HEADER}\n{bench_command.TABLE_RULE}\n"
        f"| {ONE} | 999.0 ms | ≤ 50.0 ms | ❌ over | | 2026-01-01 00:00 UTC |\n"
        "| print one invoice PDF, warm process | 90.0 ms | ≤ 150.0 ms | ✅ within | | 2026-01-01 00:00 UTC |\n"
        f"<!-- bench:{vendor}:end -->\n\n"
        f"<!-- bench:{other}:start -->\nthe other database's figures\n<!-- bench:{other}:end -->\n"
    )
    monkeypatch.setattr(bench_command, "PERFORMANCE_MD", performance_md)

    bench("--write")

    text = performance_md.read_text()
    assert text.startswith("# Performance\n\nIntroduction.\n")
    assert f"<!-- bench:{other}:start -->\nthe other database's figures\n<!-- bench:{other}:end -->" in text
    assert "| print one invoice PDF, warm process | 90.0 ms |" in text
    assert "999.0 ms" not in text
    assert len([line for line in text.splitlines() if line.startswith(f"| {ONE} |")]) == 1
    assert "Data set: 30 contacts." in text


def test_every_module_of_the_benchmarks_package_is_discovered():
    assert sorted(benchmarks.MODULES) == sorted(module.name for module in pkgutil.iter_modules(benchmarks.__path__))


def test_the_floor_of_segment_logging_inserts_the_segments_entries_and_its_clean_up_removes_them():
    segment = SegmentFactory()
    SegmentLineFactory.create_batch(3, segment=segment)
    user = get_user_model().objects.create(username="bench-marketer")
    probe = LoggedSegment.objects.create(segment_no="BENCH-PROBE", description="probe", user=user)
    sql, params = segment_logging._raw_insert_sql(segment, probe, user=user)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
    inserted = list(InteractionLogEntry.all_objects.filter(logged_segment=probe).order_by("id"))
    assert [entry.contact_id for entry in inserted] == list(
        segment.lines.order_by("id").values_list("contact_id", flat=True)
    )

    segment_logging._clean_up(probe, None)

    assert not InteractionLogEntry.all_objects.exists()
    assert not LoggedSegment.objects.filter(pk=probe.pk).exists()
    assert segment.lines.count() == 3
