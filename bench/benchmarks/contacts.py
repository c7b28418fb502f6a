"""Contact list page over the benchmark data set (first page, a filter, a sort)."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client

from bench.registry import benchmark

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
