"""Letters as PDF (budgets in docs/PERFORMANCE.md): the one-letter preview, a zip of one PDF per contact and one
combined PDF to print, converted by this process's LibreOffice (interactions.letter_pdf).

The timed part is what the pages and the letter jobs do: read the contacts, merge the demo welcome letter for
each, convert, keep each converted batch in the storage as a letter job does (to go on from there if its worker
dies), and stream the PDFs into a zip (or the one PDF) on disk. LibreOffice is started before the timer (a worker
keeps it running), so the figures are warm ones; the log line says how long the start took. Each row also logs the
highest resident memory of the job's LibreOffice and of this process, which stay flat with the number of letters
because both work a batch at a time, and the CPU time both used (on shared cores the wall time depends on the
share a run gets; the CPU time much less).
"""

import os
import resource
import tempfile
import time
from pathlib import Path

from bench.benchmarks.merge import letter_snapshot, letter_values
from bench.registry import benchmark
from crm.models import Contact
from demo.interactions import build_letter_docx
from interactions import letter_pdf
from interactions.letters import compiled_docx, contact_merge_values
from interactions.merge import letter_filename, write_zip_letters


def _libreoffice_peak_kb(pid: int | None) -> int:
    """The highest resident memory of the LibreOffice under the converter's bridge (Linux /proc)."""
    peak = 0
    if pid is None:
        return peak
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
        if fields.get("Name", "").strip() == "soffice.bin" and _in_group(status.parent, pid):
            peak = max(peak, int(fields.get("VmHWM", "0 kB").split()[0]))
    return peak


def _in_group(proc: Path, group: int) -> bool:
    try:
        return int((proc / "stat").read_text().rsplit(")", 1)[1].split()[2]) == group
    except (OSError, IndexError, ValueError):
        return False


def _run(ctx, count: int, kind: str) -> None:
    if not letter_pdf.is_available():
        raise RuntimeError("LibreOffice is not installed on this machine: the PDF rows are not measured")
    with letter_snapshot(build_letter_docx()) as snapshot:
        converter = letter_pdf.converter()
        started = time.perf_counter()
        converter.convert(compiled_docx(snapshot).render(contact_merge_values(Contact.objects.first())))
        ctx.log(f"LibreOffice started and converted a first letter in {time.perf_counter() - started:.1f} s")
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        cpu_before, lo_cpu_before = _own_cpu_seconds(), _group_cpu_seconds(converter.pid)
        for run in range(ctx.runs):
            compiled = compiled_docx(snapshot)
            # The batches are kept as a letter job keeps them (its files in the storage), deleted after the run.
            parts = letter_pdf.KeptParts(f"bench-letter-parts-{os.getpid()}-{run}")
            try:
                with tempfile.TemporaryFile() as target, ctx.timer(items=count):
                    contacts = list(Contact.objects.select_related("company", "salesperson").order_by("pk")[:count])
                    if kind == "preview":
                        target.write(letter_pdf.docx_to_pdf(compiled.render(next(letter_values(contacts, 1)))))
                    elif kind == "zip":
                        named = (
                            (letter_filename(v["company.name"], v["contact.name"]), compiled.render(v))
                            for v in letter_values(contacts, count)
                        )
                        write_zip_letters(target, letter_pdf.named_letters_to_pdfs(named, parts=parts))
                    else:
                        letters = (compiled.render(v) for v in letter_values(contacts, count))
                        letter_pdf.write_combined_pdf(target, letters, parts=parts)
                    size = target.tell()
            finally:
                letter_pdf.KeptParts.delete(parts.directory)
        ctx.log(
            f"{count} letter(s), {kind} {size / 1e6:.1f} MB; peak memory: LibreOffice "
            f"{_libreoffice_peak_kb(converter.pid) / 1024:.0f} MB, this process's peak grew by "
            f"{(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024:.0f} MB; CPU time of "
            f"{ctx.runs} run(s): this process {_own_cpu_seconds() - cpu_before:.1f} s, LibreOffice "
            f"{_group_cpu_seconds(converter.pid) - lo_cpu_before:.1f} s"
        )


def _own_cpu_seconds() -> float:
    """CPU time of this process and its finished children (pdfunite)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _group_cpu_seconds(group: int | None) -> float:
    """CPU time of the processes of the converter's process group (the bridge and LibreOffice; Linux /proc). On a
    machine shared with other work the wall time follows the share of the cores a job gets, the CPU time not."""
    if group is None:
        return 0.0
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if len(fields) > 12 and fields[2] == str(group):
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


@benchmark("letters as PDF: one-letter preview (warm)", budget_s={"sqlite": 2.0, "postgresql": 2.0}, order=63)
def pdf_preview(ctx):
    _run(ctx, 1, "preview")


@benchmark(
    "letters as PDF: 1,000 letters into a zip of PDFs",
    budget_s={"sqlite": 90.0, "postgresql": 90.0},
    runs=1,
    order=64,
)
def pdf_zip_1000(ctx):
    _run(ctx, 1_000, "zip")


@benchmark(
    "letters as PDF: 1,000 letters into one combined PDF",
    budget_s={"sqlite": 30.0, "postgresql": 30.0},
    runs=1,
    order=65,
)
def pdf_combined_1000(ctx):
    _run(ctx, 1_000, "combined")
