"""Letters as PDF (budgets in docs/PERFORMANCE.md): the one-letter preview, a zip of one PDF per contact and one
combined PDF to print, converted by this process's LibreOffice (interactions.letter_pdf).

The timed part is what the pages and the letter jobs do: read the contacts, merge the demo welcome letter for
each, convert, and stream the PDFs into a zip (or the one PDF) on disk. LibreOffice is started before the timer
(a worker keeps it running), so the figures are warm ones; the log line says how long the start took. Each row
also logs the highest resident memory of the job's LibreOffice and of this process, which stay flat with the
number of letters because both work a batch at a time.
"""

import itertools
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
from interactions.merge.pdf_converter import pdf_filename


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
        for _ in range(ctx.runs):
            compiled = compiled_docx(snapshot)
            with tempfile.TemporaryFile() as target, ctx.timer(items=count):
                contacts = list(Contact.objects.select_related("company", "salesperson").order_by("pk")[:count])
                if kind == "preview":
                    target.write(letter_pdf.docx_to_pdf(compiled.render(next(letter_values(contacts, 1)))))
                elif kind == "zip":
                    # The names run at most a batch ahead of the PDFs (tee keeps what one has read and the other not).
                    for_names, for_letters = itertools.tee(letter_values(contacts, count))
                    names = (pdf_filename(letter_filename(v["company.name"], v["contact.name"])) for v in for_names)
                    pdfs = letter_pdf.letters_to_pdfs(compiled.render(v) for v in for_letters)
                    write_zip_letters(target, zip(names, pdfs, strict=True))
                else:
                    letter_pdf.write_combined_pdf(target, (compiled.render(v) for v in letter_values(contacts, count)))
                size = target.tell()
        ctx.log(
            f"{count} letter(s), {kind} {size / 1e6:.1f} MB; peak memory: LibreOffice "
            f"{_libreoffice_peak_kb(converter.pid) / 1024:.0f} MB, this process's peak grew by "
            f"{(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024:.0f} MB"
        )


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
