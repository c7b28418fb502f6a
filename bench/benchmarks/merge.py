"""Mail-merge benchmarks (budgets in docs/PERFORMANCE.md): letters for real contacts of the data set, zipped
one .docx per contact or combined into one .docx.

The timed part is what "download all letters" does: read the contacts (with company and salesperson), build
their merge values, render the compiled template, and stream the letters into a zip (or the combined document)
on disk.
"""

import itertools
import tempfile

from bench.registry import benchmark
from crm.models import Contact
from demo.interactions import build_letter_docx
from interactions.letters import compiled_docx, contact_merge_values, store_document
from interactions.merge import letter_filename, write_combined_docx, write_zip_letters
from interactions.models import StoredDocument


def _letters(compiled, contacts, count: int):
    for index, contact in enumerate(itertools.islice(itertools.cycle(contacts), count)):
        values = contact_merge_values(
            contact,
            description="Spring offer",
            entry_no=index + 1,
            personal_note="We look forward to seeing you at the trade fair.",
        )
        yield letter_filename(values["company.name"], values["contact.name"]), compiled.render(values)


def _merge(ctx, count: int, *, combined: bool = False) -> None:
    created_snapshot = not StoredDocument.objects.filter(sha256=StoredDocument.digest(build_letter_docx())).exists()
    snapshot = store_document(build_letter_docx(), filename="welcome.docx", content_type="application/octet-stream")
    extra = []
    if not Contact.objects.exists():  # an empty data set: bring a few contacts of our own
        from crm.services import contact_create

        extra = [contact_create(name=f"Bench contact {n}", city="Berlin") for n in range(100)]
    try:
        for _ in range(ctx.runs):
            compiled = compiled_docx(snapshot)  # cached: compiled once, merged many times
            with tempfile.TemporaryFile() as target, ctx.timer(items=count):
                contacts = list(Contact.objects.select_related("company", "salesperson").order_by("pk")[:count])
                if combined:
                    write_combined_docx(target, (data for _, data in _letters(compiled, contacts, count)))
                else:
                    write_zip_letters(target, _letters(compiled, contacts, count))
                size = target.tell()
        kind = "one .docx" if combined else "zip"
        ctx.log(f"{count} letters from {len(contacts)} contacts, {kind} {size / 1e6:.1f} MB")
    finally:
        Contact.objects.filter(pk__in=[c.pk for c in extra]).delete()
        if created_snapshot:
            snapshot.file.delete(save=False)
            snapshot.delete()


@benchmark(
    "mail merge: letters/s into the per-contact zip",
    unit="letters/s",
    budget_s={"sqlite": 500, "postgresql": 500},
    order=60,
)
def merge_rate(ctx):
    _merge(ctx, 2_000)


@benchmark("mail merge: 10,000 letters", budget_s={"sqlite": 20.0, "postgresql": 20.0}, runs=1, order=61)
def merge_10000(ctx):
    _merge(ctx, 10_000)


@benchmark(
    "mail merge: 10,000 letters into one combined .docx",
    budget_s={"sqlite": 20.0, "postgresql": 20.0},
    runs=1,
    order=62,
)
def merge_combined_10000(ctx):
    _merge(ctx, 10_000, combined=True)
