"""Mail-merge benchmarks (budgets in docs/PERFORMANCE.md): letters for real contacts of the data set, zipped
one .docx per contact or combined into one .docx.

The timed part is what "download all letters" does: read the contacts (with company and salesperson), build
their merge values, render the compiled template, and stream the letters into a zip (or the combined document)
on disk. The field-code row merges the welcome letter with the Word field codes a Word user writes (MERGEFIELD
switches, IF fields with nested MERGEFIELDs; docs/BEHAVIOUR.md §11).
"""

import datetime
import io
import itertools
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

import docx
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls

from bench.registry import benchmark
from crm.models import Contact
from demo.interactions import build_letter_docx
from interactions.letters import compiled_docx, contact_merge_values, store_document
from interactions.merge import letter_filename, write_combined_docx, write_zip_letters
from interactions.models import StoredDocument


def letter_values(contacts, count: int, *, date: datetime.date | None = None):
    """The merge values of `count` letters, going round the contacts, numbered from 1 as entries would be."""
    for index, contact in enumerate(itertools.islice(itertools.cycle(contacts), count)):
        yield contact_merge_values(
            contact,
            date=date,
            description="Spring offer",
            entry_no=index + 1,
            personal_note="We look forward to seeing you at the trade fair.",
        )


def _letters(compiled, contacts, count: int):
    for values in letter_values(contacts, count, date=datetime.date(2026, 12, 1)):
        yield letter_filename(values["company.name"], values["contact.name"]), compiled.render(values)


@contextmanager
def letter_snapshot(template: bytes) -> Iterator[StoredDocument]:
    """The template stored as a letter snapshot, and contacts to merge it for: an empty data set gets 100 of its
    own. Afterwards the snapshot goes (unless it was there before) and so do those contacts."""
    created_snapshot = not StoredDocument.objects.filter(sha256=StoredDocument.digest(template)).exists()
    snapshot = store_document(template, filename="welcome.docx", content_type="application/octet-stream")
    extra = []
    if not Contact.objects.exists():
        from crm.services import contact_create

        extra = [contact_create(name=f"Bench contact {n}", city="Berlin") for n in range(100)]
    try:
        yield snapshot
    finally:
        Contact.objects.filter(pk__in=[c.pk for c in extra]).delete()
        if created_snapshot:
            snapshot.file.delete(save=False)
            snapshot.delete()


def _merge(ctx, count: int, *, combined: bool = False, template: bytes | None = None) -> None:
    with letter_snapshot(template or build_letter_docx()) as snapshot:
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


def _runs(*parts) -> str:
    """Runs of a complex field as Word writes them: instruction text (str), (text, rPr XML) or nested fields."""
    xml = ['<w:r><w:fldChar w:fldCharType="begin"/></w:r>']
    for part in parts:
        if isinstance(part, list):
            xml += part
        else:
            text, rpr = part if isinstance(part, tuple) else (part, "")
            rpr = f"<w:rPr>{rpr}</w:rPr>" if rpr else ""
            xml.append(f'<w:r>{rpr}<w:instrText xml:space="preserve">{text}</w:instrText></w:r>')
    xml += ['<w:r><w:fldChar w:fldCharType="separate"/></w:r>', '<w:r><w:fldChar w:fldCharType="end"/></w:r>']
    return "".join(xml)


def _mergefield(name: str, switches: str = "\\* MERGEFORMAT") -> list[str]:
    return [_runs(" MERGEFIELD ", name, f" {switches} ")]


def _append(paragraph, *fields: str) -> None:
    wrapper = parse_xml(f"<w:p {nsdecls('w')}>{''.join(fields)}</w:p>")
    for run in list(wrapper):
        paragraph._p.append(run)


def field_code_letter_docx() -> bytes:
    document = docx.Document(io.BytesIO(build_letter_docx("de")))
    salutation = _runs(
        " IF ",
        _mergefield("contact_country_code"),
        ' = "DE" "',
        ("Sehr geehrte Damen und Herren bei ", "<w:b/>"),
        _mergefield("company_name"),
        '" "',
        _runs(" IF ", _mergefield("contact_city"), ' = "L*" "Dear Londoners" "Dear "'),
        _mergefield("contact_name", '\\* Caps \\b " "'),
        '" \\* MERGEFORMAT ',
    )
    _append(document.add_paragraph(), salutation)
    _append(
        document.add_paragraph(),
        _runs(' MERGEFIELD interaction_date \\@ "dddd, d. MMMM yyyy" '),
        _runs(' MERGEFIELD interaction_entry_no \\# "\'Nr.\' #,##0" \\b " – " '),
        _runs(' MERGEFIELD contact_post_code \\b ", " \\f " " '),
        _runs(" MERGEFIELD contact_city \\* Upper "),
    )
    _append(
        document.add_paragraph(),
        _runs(" IF ", _mergefield("interaction_entry_no"), ' > 1000 "Stammkunde" "Neukunde" \\* Upper '),
    )
    section = document.sections[0]
    _append(section.header.add_paragraph(), _runs(" MERGEFIELD company_name \\* Upper "))
    _append(section.footer.add_paragraph(), _runs(' MERGEFIELD today \\@ "dd.MM.yyyy" '))
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


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


@benchmark(
    "mail merge with Word field codes (switches, IF): letters/s into the per-contact zip",
    unit="letters/s",
    budget_s={"sqlite": 2_000, "postgresql": 2_000},
    order=63,
)
def merge_field_codes_rate(ctx):
    _merge(ctx, 2_000, template=field_code_letter_docx())
