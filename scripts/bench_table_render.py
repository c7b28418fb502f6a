"""Time rendering a 50-row list table with and without crm.tables_speedup (the cached django-tables2 signature).

    .venv/bin/python scripts/bench_table_render.py [--renders 200]

Renders, in memory (no database: unsaved rows with their related objects set), the log entries table (default
columns, crm.tables.BaseTable's fast body) and the sales documents table (django-tables2's cells), each `--renders`
times with django-tables2's own `signature` and then with the cached one, and prints the medians. The figures go
in docs/PERFORMANCE.md ("List tables").
"""

import argparse
import datetime
import os
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")
os.environ.setdefault("DEBUG", "true")

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import AnonymousUser  # noqa: E402
from django.test import RequestFactory  # noqa: E402
from django_tables2 import RequestConfig, utils  # noqa: E402

from crm import tables_speedup  # noqa: E402
from crm.models import Contact, SalesDocument, Salesperson  # noqa: E402
from crm.tables import SalesDocumentTable  # noqa: E402
from crm.views.lists import LIST_PAGINATION  # noqa: E402
from interactions.models import InteractionLogEntry, InteractionTemplate  # noqa: E402
from interactions.tables import DEFAULT_COLUMNS, LogEntryTable  # noqa: E402

ROWS = 50


def entry_rows() -> list[InteractionLogEntry]:
    template = InteractionTemplate(pk=1, code="LETTER", description="Spring letter")
    salesperson = Salesperson(pk=1, code="JD", name="Jane Doe")
    rows = []
    for n in range(1, ROWS + 1):
        company = Contact(pk=1000 + n, no=f"CT{1000 + n}", name=f"Company {n}", type=Contact.Type.COMPANY)
        person = Contact(pk=n, no=f"CT{n:06d}", name=f"Person {n}", type=Contact.Type.PERSON, company=company)
        rows.append(
            InteractionLogEntry(
                pk=n,
                date=datetime.date(2026, 12, 1),
                time=datetime.time(10, 0),
                description=f"Spring letter {n}",
                correspondence_type="email",
                canceled=n % 7 == 0,
                contact=person,
                contact_company=company,
                template=template,
                salesperson=salesperson,
                cost=Decimal("2.50"),
                duration_minutes=5,
            )
        )
    return rows


def document_rows() -> list[SalesDocument]:
    salesperson = Salesperson(pk=1, code="JD", name="Jane Doe")
    return [
        SalesDocument(
            pk=n,
            no=f"SI-{n:06d}",
            kind=SalesDocument.Kind.INVOICE,
            date=datetime.date(2026, 12, 1),
            contact=Contact(pk=n, no=f"CT{n:06d}", name=f"Company {n}", type=Contact.Type.COMPANY),
            salesperson=salesperson,
            your_reference=f"PO {n}",
        )
        for n in range(1, ROWS + 1)
    ]


def render_entries(request) -> str:
    table = LogEntryTable(entry_rows())
    RequestConfig(request, paginate=LIST_PAGINATION).configure(table)
    table.show_only(DEFAULT_COLUMNS)
    return table.as_html(request)


def render_documents(request) -> str:
    table = SalesDocumentTable(document_rows())
    RequestConfig(request, paginate=LIST_PAGINATION).configure(table)
    return table.as_html(request)


def medians_ms(render, request, renders: int) -> tuple[float, float]:
    """(plain, cached) medians, the two timed alternately so that other load on the machine hits both alike."""
    timings: dict[bool, list[float]] = {False: [], True: []}
    for cached in (False, True):  # warm the template, URL and signature caches
        utils.signature = tables_speedup.signature if cached else tables_speedup._original_signature
        render(request)
    for _ in range(renders):
        for cached in (False, True):
            utils.signature = tables_speedup.signature if cached else tables_speedup._original_signature
            start = time.perf_counter()
            render(request)
            timings[cached].append((time.perf_counter() - start) * 1000)
    return statistics.median(timings[False]), statistics.median(timings[True])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--renders", type=int, default=200)
    renders = parser.parse_args().renders
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    for name, render in (("log entries (fast body)", render_entries), ("sales documents (cells)", render_documents)):
        plain, cached = medians_ms(render, request, renders)
        print(f"{name}: {ROWS} rows, median of {renders}: {plain:.2f} ms plain, {cached:.2f} ms cached signature")


if __name__ == "__main__":
    main()
