"""Benchmarks of the budgets in docs/PERFORMANCE.md: `manage.py bench [--scale N] [--runs N] [--only TEXT] [--write]`.

Runs against the database DATABASE_URL names (use a dedicated one: it seeds `--scale` contacts into it).
The operations are registered by the modules of `bench/benchmarks/` (see bench/registry.py). Each is run several
times and reported as the median, with min and max; `--write` records the table in docs/PERFORMANCE.md under the
section of this database vendor, keeping the other vendor's section.
"""

import importlib
import platform
import re
import time
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection

from bench import benchmarks
from bench.registry import REGISTRY, BenchContext, summarise
from demo.contacts import seed_contacts

PERFORMANCE_MD = Path(settings.BASE_DIR) / "docs" / "PERFORMANCE.md"
TABLE_HEADER = "| operation | median (min, max, runs) | budget | result | notes | measured |"
TABLE_RULE = "|---|---|---|---|---|---|"


def discover() -> None:
    for name in benchmarks.MODULES:
        importlib.import_module(f"{benchmarks.__name__}.{name}")


class Command(BaseCommand):
    help = "Measure the performance budgets of SPEC.md on the configured database."

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=int, default=1_000_000, help="Contacts in the data set.")
        parser.add_argument("--entries", type=int, default=1_000_000, help="Log entries the entry benchmarks use.")
        parser.add_argument("--runs", type=int, default=5, help="Runs per operation (median reported).")
        parser.add_argument("--only", default="", help="Run only benchmarks whose name contains this text.")
        parser.add_argument("--write", action="store_true", help="Record the results in docs/PERFORMANCE.md.")

    def handle(self, *args, scale, entries, runs, only, write, **options):
        vendor = connection.vendor
        call_command("migrate", verbosity=0)
        discover()
        results = []
        started = time.perf_counter()
        added = seed_contacts(scale, progress=self._progress)
        seed_seconds = time.perf_counter() - started
        if added:
            rate = added / seed_seconds
            self.stdout.write(f"Seeded {added:,} contacts in {seed_seconds:.1f} s ({rate:,.0f}/s).")
            results.append(
                (
                    "seed_demo: contacts (set-based insert)",
                    f"{added:,} rows in {seed_seconds:.1f} s ({rate:,.0f} rows/s)",
                    "",
                    "—",
                    "single run",
                )
            )
        for bench in sorted(REGISTRY, key=lambda b: b.order):
            if only and only.lower() not in bench.name.lower():
                continue
            ctx = BenchContext(scale=scale, entries=entries, runs=bench.runs or runs, vendor=vendor, stdout=self.stdout)
            self.stdout.write(f"- {bench.name} …")
            _vacuum_without_autovacuum()
            try:
                bench.func(ctx)
            except Exception as error:  # noqa: BLE001 - one failing benchmark must not hide the others
                self.stdout.write(self.style.ERROR(f"  failed: {error!r}"))
                results.append((bench.name, "failed", "", "", repr(error)[:120]))
                continue
            results.append(self._row(bench, ctx))
            self.stdout.write(f"  {results[-1][1]}  {results[-1][3]}")
        self.stdout.write("\n" + self._table(results))
        if write:
            self._write(vendor, scale, results)
            self.stdout.write(f"Written to {PERFORMANCE_MD}.")

    def _row(self, bench, ctx):
        budget = bench.budget_s.get(ctx.vendor)
        if bench.unit == "s":
            stats = summarise(ctx.samples)
            value = (
                f"{_fmt_s(stats['median'])} (min {_fmt_s(stats['min'])}, max {_fmt_s(stats['max'])}, n={stats['n']})"
            )
            verdict = "" if budget is None else ("✅ within" if stats["median"] <= budget else "❌ over")
            budget_text = "" if budget is None else f"≤ {_fmt_s(budget)}"
        else:
            stats = summarise(ctx.rate_samples)
            value = f"{stats['median']:,.0f} {bench.unit} (min {stats['min']:,.0f}, n={stats['n']})"
            verdict = "" if budget is None else ("✅ within" if stats["median"] >= budget else "❌ under")
            budget_text = "" if budget is None else f"≥ {budget:,.0f} {bench.unit}"
        return (bench.name, value, budget_text, verdict, "; ".join(ctx.notes))

    def _table(self, rows) -> str:
        lines = [TABLE_HEADER.rsplit(" measured |", 1)[0], TABLE_RULE[:-4]]
        lines += ["| " + " | ".join(str(cell).replace("|", "/") for cell in row) + " |" for row in rows]
        return "\n".join(lines)

    def _write(self, vendor: str, scale: int, rows) -> None:
        """Update this vendor's section: rows of operations run now replace their old rows, the others stay."""
        version = connection.pg_version if vendor == "postgresql" else None
        db = f"PostgreSQL {version // 10000}.{version % 10000}" if version else f"SQLite {_sqlite_version()}"
        machine = (
            f"{platform.machine()}, {_cpus()} CPUs, {platform.python_implementation()} {platform.python_version()}"
        )
        stamp = f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
        PERFORMANCE_MD.parent.mkdir(exist_ok=True)
        text = (
            PERFORMANCE_MD.read_text()
            if PERFORMANCE_MD.exists()
            else (
                "# Performance\n\nMeasured by `python manage.py bench --write` (see README). Each operation runs "
                "several times on the same data set; the median is reported against the budget of SPEC.md section 5.\n"
            )
        )
        pattern = re.compile(rf"<!-- bench:{vendor}:start -->.*?<!-- bench:{vendor}:end -->", re.S)
        old = pattern.search(text)
        merged: dict[str, str] = {}
        if old:
            for line in old.group(0).splitlines():
                if line.startswith("| ") and line not in (TABLE_HEADER,):
                    merged[line.split(" | ")[0][2:]] = line
        for row in rows:
            cells = [str(cell).replace("|", "/") for cell in row] + [stamp]
            merged[cells[0]] = "| " + " | ".join(cells) + " |"
        table = "\n".join([TABLE_HEADER, TABLE_RULE, *merged.values()])
        section = (
            f"<!-- bench:{vendor}:start -->\n## {db}\n\n"
            f"Machine: {machine}. Data set: {scale:,} contacts. Each row says when it was measured.\n\n"
            f"{table}\n<!-- bench:{vendor}:end -->"
        )
        text = pattern.sub(lambda _: section, text) if old else text.rstrip() + "\n\n" + section + "\n"
        PERFORMANCE_MD.write_text(text)

    def _progress(self, done: int, total: int) -> None:
        self.stdout.write(f"\r  seeding contacts {done:,}/{total:,}", ending="")
        if done >= total:
            self.stdout.write("")
        self.stdout.flush()


def _vacuum_without_autovacuum() -> None:
    """On a PostgreSQL server running with autovacuum off, VACUUM ANALYZE before each benchmark (not timed).

    The benchmarks insert and delete hundreds of thousands of rows per run; without vacuum the dead rows pile up
    from run to run (6 million in the log entries after a day of runs here) and every later insert and scan pays
    for them. A live database has autovacuum to clean up; this does its work, so the figures measure the code and
    not the leftovers of earlier runs.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SHOW autovacuum")
        if cursor.fetchone()[0] == "on":
            return
        cursor.execute("VACUUM (ANALYZE)")


def _fmt_s(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def _sqlite_version() -> str:
    import sqlite3

    return sqlite3.sqlite_version


def _cpus() -> int:
    import os

    return os.cpu_count() or 0
