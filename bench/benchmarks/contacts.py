"""Contact list page over the benchmark data set (first page, a filter, a sort), and the contact look-up."""

import statistics
import time

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client

from bench.registry import benchmark
from crm.models import Contact
from segments.services import segment_create, segment_delete

PAGES = {
    "first page": "/contacts/",
    "filtered (city = Hamburg, type = person)": "/contacts/?city=Hamburg&type=person",
    "sorted by name, descending": "/contacts/?sort=-name",
}


def viewer_client() -> Client:
    user, _ = get_user_model().objects.get_or_create(username="bench-viewer")
    user.groups.add(Group.objects.get(name="Viewer"))
    client = Client()
    client.force_login(user)
    return client


def _page_benchmark(label: str, url: str):
    @benchmark(f"contact list page: {label}", budget_s={"sqlite": 0.05, "postgresql": 0.05}, order=10)
    def run(ctx):
        client = viewer_client()
        client.get(url)  # warm caches and the connection
        for _ in range(ctx.runs):
            with ctx.timer():
                response = client.get(url, HTTP_HOST="localhost")
            assert response.status_code == 200, response.status_code
        # An execute wrapper, not CaptureQueriesContext: request_started resets connection.queries.
        queries = []
        with connection.execute_wrapper(lambda execute, sql, *args: (queries.append(sql), execute(sql, *args))[1]):
            client.get(url, HTTP_HOST="localhost")
        ctx.note(f"{len(queries)} queries")

    return run


for _label, _url in PAGES.items():
    _page_benchmark(_label, _url)


@benchmark(
    "contact look-up: /contacts/lookup/?q= (number, name, company name)",
    budget_s={"sqlite": 0.05, "postgresql": 0.05},
    order=11,
)
def contact_lookup(ctx):
    """One sample per look-up, over what people type: part of a number, a whole number, the start of a name, two
    letters, a company's name and a text nothing starts with (docs/BEHAVIOUR.md §1a Finding a contact)."""
    client = viewer_client()
    middle = Contact.objects.persons().select_related("company").filter(company__isnull=False).order_by("no")
    person = middle[ctx.scale // 2 :].first() or middle.first()
    texts = [
        person.no[:5],
        person.no.lower(),
        person.name.split()[0],
        person.name[:2].lower(),
        person.company.name.split()[0],
        person.name.split()[0] + " " + person.name.split()[-1][:2],
        "zzqx",
    ]
    url = "/contacts/lookup/"
    client.get(url, {"q": texts[0]}, HTTP_HOST="localhost")  # warm caches and the connection
    for _ in range(ctx.runs):
        for text in texts:
            with ctx.timer():
                response = client.get(url, {"q": text}, HTTP_HOST="localhost")
            assert response.status_code == 200, response.status_code
    queries: list[str] = []

    def count(execute, sql, *args):
        queries.append(sql)
        return execute(sql, *args)

    with connection.execute_wrapper(count):
        client.get(url, {"q": texts[2]}, HTTP_HOST="localhost")
    # The same request with no text (session, user and permission, no look-up query): what is not the look-up.
    floor = []
    for _ in range(ctx.runs * 3):
        started = time.perf_counter()
        client.get(url, {"q": ""}, HTTP_HOST="localhost")
        floor.append(time.perf_counter() - started)
    ctx.note(
        f"{len(texts)} texts × {ctx.runs} runs; {len(queries)} queries per look-up (3 of them the look-up's); "
        f"the request without a text: {statistics.median(floor) * 1000:.1f} ms median"
    )


# Every page where a person picks a contact or a company (issue 15's rule: no page's size grows with the number of
# contacts; tests/test_contact_pickers.py holds it on a small data set, this row shows it at the benchmark's).
PICKER_PAGES = {
    "create interaction": "/interactions/new/",
    "new sales document": "/documents/new/",
    "new contact (its company)": "/contacts/new/",
    "entries list (contact and company filters)": "/interactions/",
    "worksheet (add a contact by hand)": "/segments/{segment}/",
    "admin: add contact": "/admin/crm/contact/add/",
    "admin: add sales document": "/admin/crm/salesdocument/add/",
}


@benchmark(
    "pages that pick a contact or company (7 pages): time per page, and each page's size",
    budget_s={"sqlite": 0.05, "postgresql": 0.05},
    order=12,
)
def contact_picker_pages(ctx):
    user, _ = get_user_model().objects.get_or_create(
        username="bench-admin", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(user)
    segment = segment_create(user=user, description="Benchmark: a worksheet to add a contact to")
    try:
        sizes = {}
        for label, url in PICKER_PAGES.items():
            url = url.format(segment=segment.pk)
            client.get(url, HTTP_HOST="localhost")  # warm caches
            for _ in range(ctx.runs):
                with ctx.timer():
                    response = client.get(url, HTTP_HOST="localhost")
                assert response.status_code == 200, (url, response.status_code)
            sizes[label] = len(response.content)
    finally:
        segment_delete(segment, user=user)
    ctx.note(
        f"{Contact.objects.count():,} contacts; page sizes: "
        + ", ".join(f"{label} {size / 1024:.0f} KiB" for label, size in sizes.items())
    )
