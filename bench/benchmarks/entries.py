"""Interaction Log Entries page and the statistics page over 1,000,000 entries, and deleting 500,000 canceled of
them (budgets in docs/PERFORMANCE.md).

The benchmark makes its own entries when the data set has fewer than `ctx.entries`, with one set-based
INSERT … SELECT (see `insert_entries`), and leaves the table with as many active entries as it found them.
"""

import statistics
import threading
import time

from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from bench.benchmarks.contacts import viewer_client
from bench.registry import benchmark
from crm.models import Contact
from interactions.models import InteractionDailyTotal, InteractionGroup, InteractionLogEntry, InteractionTemplate
from interactions.services import log_entries_delete_canceled

BENCH_TEMPLATES = [f"BENCH{n:02d}" for n in range(10)]
BENCH_GROUPS = [f"BENCHG{n}" for n in range(5)]
PAGES = {
    "first page": "/interactions/",
    "filtered (template = BENCH03, not canceled)": "/interactions/?template=BENCH03&canceled=no",
    "sorted by entry no., descending": "/interactions/?sort=-entry_no",
    "sorted by description": "/interactions/?sort=description",
}
STATISTICS_PAGES = {
    "all dates": "/interactions/statistics/",
    "one year": "/interactions/statistics/?date_after=2023-01-01&date_before=2023-12-31",
    "three months, per week": "/interactions/statistics/?date_after=2024-02-10&date_before=2024-05-09&interval=week",
}


def _bench_templates() -> tuple[list[int], list[int]]:
    """(template ids, their group ids), created once."""
    groups = []
    for code in BENCH_GROUPS:
        group, _ = InteractionGroup.objects.get_or_create(code=code, defaults={"description": f"Benchmark {code}"})
        groups.append(group)
    templates = []
    for index, code in enumerate(BENCH_TEMPLATES):
        template, _ = InteractionTemplate.objects.get_or_create(
            code=code,
            defaults={
                "group": groups[index % len(groups)],
                "description": f"Benchmark template {index}",
                "unit_cost": 1,
                "unit_duration_minutes": 5,
            },
        )
        templates.append(template)
    return [t.pk for t in templates], [t.group_id for t in templates]


def insert_entries(count: int, *, canceled: bool = False) -> int:
    """Insert `count` log entries with one INSERT … SELECT over a generated series; returns rows inserted.

    Raw SQL on purpose: the ORM has no INSERT … SELECT, and bulk_create is far too slow for a million rows
    (docs/PERFORMANCE.md). The series is a recursive CTE on SQLite and generate_series on PostgreSQL. Contacts
    are spread over the existing ones (ids are contiguous after seeding; rows whose id is a gap are skipped, so
    the caller tops up), with their company joined in.
    """
    template_ids, group_ids = _bench_templates()
    bounds = Contact.objects.order_by().values_list("pk", flat=True)
    low, high = bounds.order_by("pk").first(), bounds.order_by("-pk").first()
    if low is None:
        Contact.objects.create(no="BENCH-CT", name="Benchmark contact")
        low = high = Contact.objects.get(no="BENCH-CT").pk
    span = high - low + 1
    vendor = connection.vendor
    template_case = "CASE s.n % 10 " + " ".join(f"WHEN {i} THEN {pk}" for i, pk in enumerate(template_ids)) + " END"
    group_case = "CASE s.n % 10 " + " ".join(f"WHEN {i} THEN {pk}" for i, pk in enumerate(group_ids)) + " END"
    if vendor == "postgresql":
        series = "generate_series(0, %s - 1) AS s(n)"
        spread = "(s.n::bigint * 7919)"  # int4 would overflow
        entry_date = "(DATE '2022-01-01' + (s.n %% 1461)::int)"
        true, false = "TRUE", "FALSE"
    else:
        series = (
            "(WITH RECURSIVE t(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM t WHERE n + 1 < %s) SELECT n FROM t) AS s"
        )
        entry_date = "date('2022-01-01', '+' || (s.n %% 1461) || ' days')"
        spread = "(s.n * 7919)"
        true, false = "1", "0"
    template_case = template_case.replace("%", "%%")
    group_case = group_case.replace("%", "%%")
    table = InteractionLogEntry._meta.db_table
    contact_table = Contact._meta.db_table
    sql = f"""
        INSERT INTO {table} (
            contact_id, contact_company_id, date, time, template_id, group_id, language_code, description, subject,
            information_flow, initiated_by, attempt_failed, cost, duration_minutes, correspondence_type,
            delivery_status, delivery_error, evaluation, segment_no, document_type, document_no, version_no,
            canceled, created_at
        )
        SELECT c.id, COALESCE(c.company_id, c.id), {entry_date}, '10:00:00', {template_case}, {group_case}, '',
               'Benchmark interaction ' || (s.n %% 997), '', 'outbound', 'us', {false}, 1.50, 5, 'hard_copy',
               '', '', '', '', '', '', 0, {true if canceled else false}, %s
        FROM {series}
        JOIN {contact_table} c ON c.id = %s + {spread} %% %s
    """
    with transaction.atomic():
        before = InteractionLogEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        with connection.cursor() as cursor:
            cursor.execute(sql, [timezone.now(), count, low, span])
            inserted = cursor.rowcount
        # A raw insert skips InteractionLogEntry.save: the statistics' daily totals count the new rows here.
        InteractionDailyTotal.objects.add_entries(InteractionLogEntry.objects.filter(pk__gt=before, canceled=False))
        return inserted


def ensure_entries(ctx) -> int:
    """Top the table up to ctx.entries active entries (outside any timer); returns the number present."""
    have = InteractionLogEntry.objects.count()
    started = time.perf_counter()
    added = 0
    while have + added < ctx.entries:
        added += insert_entries(ctx.entries - have - added)
    if added:
        ctx.log(f"inserted {added:,} log entries in {time.perf_counter() - started:.1f} s")
    return have + added


def _time_page(ctx, url: str, *, total: int) -> None:
    """Time `ctx.runs` requests of `url` as the viewer (after one that warms caches and the connection), and note
    how many queries one request makes."""
    client = viewer_client()
    client.get(url, HTTP_HOST="localhost")
    for _ in range(ctx.runs):
        with ctx.timer():
            response = client.get(url, HTTP_HOST="localhost")
        assert response.status_code == 200, response.status_code
    # Counted with an execute wrapper: the request_started signal resets connection.queries, which empties
    # CaptureQueriesContext's capture for a request made through the test client.
    queries = []
    with connection.execute_wrapper(
        lambda execute, sql, params, many, context: (queries.append(sql), execute(sql, params, many, context))[1]
    ):
        client.get(url, HTTP_HOST="localhost")
    ctx.note(f"{len(queries)} queries; {total:,} entries")


def _page_benchmark(name: str, url: str, *, budget_s: float):
    @benchmark(name, budget_s={"sqlite": budget_s, "postgresql": budget_s}, order=40)
    def run(ctx):
        _time_page(ctx, url, total=ensure_entries(ctx))

    return run


for _label, _url in PAGES.items():
    _page_benchmark(f"Interaction Log Entries page, 1,000,000 entries: {_label}", _url, budget_s=0.05)
for _label, _url in STATISTICS_PAGES.items():
    _page_benchmark(f"statistics page, 1,000,000 entries: {_label}", _url, budget_s=0.2)


@benchmark(
    "delete 500,000 canceled of 1,000,000 entries", budget_s={"sqlite": 10.0, "postgresql": 10.0}, runs=3, order=90
)
def delete_canceled(ctx):
    total = ensure_entries(ctx)
    half = total // 2
    rebuild, checkpoint = [], []
    for _ in range(ctx.runs):
        # Outside the timer: make exactly `half` entries canceled (the newest ones, set-based).
        started = time.perf_counter()
        cutoff = InteractionLogEntry.objects.order_by("-pk").values_list("pk", flat=True)[half - 1]
        with transaction.atomic():  # through switch_canceled, so the statistics' daily totals stay right
            InteractionDailyTotal.objects.switch_canceled(InteractionLogEntry.objects.all(), canceled=False)
            InteractionDailyTotal.objects.switch_canceled(
                InteractionLogEntry.objects.filter(pk__gte=cutoff), canceled=True
            )
        rebuild.append(time.perf_counter() - started)
        with ctx.timer():
            deleted = log_entries_delete_canceled()
        assert deleted == half, (deleted, half)
        # Outside the timer: the SQLite checkpoint the delete left to a thread (crm.sqlite_wal), timed on its own.
        started = time.perf_counter()
        for thread in threading.enumerate():
            if thread.name == "sqlite-checkpoint":
                thread.join()
        checkpoint.append(time.perf_counter() - started)
        # Outside the timer: put the deleted rows back, so the next run and the other benchmarks see 1,000,000.
        started = time.perf_counter()
        added = 0
        while added < deleted:
            added += insert_entries(deleted - added)
        rebuild[-1] += time.perf_counter() - started
    ctx.note(
        f"{half:,} deleted per run; rebuilding took {statistics.median(rebuild):.1f} s per run (not timed)"
        + (
            f"; the checkpoint left to a thread (crm.sqlite_wal) ended {statistics.median(checkpoint):.2f} s "
            "after it returned"
            if connection.vendor == "sqlite"
            else ""
        )
    )


def _busiest_company_url() -> str:
    """The company with the most entries counted on it (its own and its persons'): the contact page's worst case.
    Found with one grouped query, outside the timer."""
    busiest = (
        InteractionLogEntry.objects.filter(contact_company__isnull=False)
        .order_by()
        .values("contact_company_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    return f"/contacts/{busiest['contact_company_id']}/"


def _latest_person_url() -> str:
    person_id = (
        InteractionLogEntry.objects.filter(contact__company__isnull=False).values_list("contact_id", flat=True).first()
    )
    return f"/contacts/{person_id}/"


CONTACT_PAGES = {
    "contact page with its interaction summary, 1,000,000 entries: the company with the most entries": (
        _busiest_company_url
    ),
    "contact page with its interaction summary, 1,000,000 entries: a person": _latest_person_url,
    "contact list page with interaction figures, 1,000,000 entries": lambda: "/contacts/?columns=interactions",
}


def _contact_page_benchmark(label: str, find_url):
    @benchmark(label, budget_s={"sqlite": 0.05, "postgresql": 0.05}, order=41)
    def run(ctx):
        total = ensure_entries(ctx)  # before find_url: the busiest company is found among the seeded entries
        _time_page(ctx, find_url(), total=total)

    return run


for _label, _find_url in CONTACT_PAGES.items():
    _contact_page_benchmark(_label, _find_url)
