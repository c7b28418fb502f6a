"""Load test: many users browsing log entries and contacts while one user logs large segments.

    .venv/bin/python scripts/loadtest.py [--write]

1. Prepares a dedicated PostgreSQL database on 127.0.0.1 (default `crm_loadtest`, created if missing; or the one
   --database-url names): migrate, collectstatic, `seed_demo --contacts 100000 --entries 200000` (idempotent,
   so a second run only tops up), and `--segments` new segment worksheets of Word-letter lines made with
   segments.services (criteria: every company).
2. Starts the production stack on 127.0.0.1 only: gunicorn (gunicorn.conf.py, production settings, DEBUG off)
   and one `manage.py db_worker` (TASKS_BACKEND=database), both stopped at the end.
3. Runs locust headless, in this process: `--users` browsers (log entries: first page, a filter, a sort; contact
   pages and the contact list) and one marketer who logs the prepared segments one after another through the
   Log button, then watches the merge job's progress as the page does. Bounded by --duration seconds and
   --max-requests requests, whichever comes first.
4. Prints requests/s, median and 95th-percentile latency and the error count, overall and per page; exits 1 if
   there was any error. With --write, records them in docs/PERFORMANCE.md between the loadtest markers.
"""

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import datetime  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from urllib.parse import urlparse  # noqa: E402

import gevent  # noqa: E402
import local_stack as stack  # noqa: E402
from locust import HttpUser, between, events, task  # noqa: E402
from locust.env import Environment  # noqa: E402

START_MARKER, END_MARKER = "<!-- loadtest:start -->", "<!-- loadtest:end -->"

# Filled in by main() before the users start.
PLAN: dict = {"contact_ids": [], "segment_ids": [], "sessions": {}}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    stack.add_stack_arguments(parser, database="crm_loadtest", entries=200_000, port=8765)
    parser.add_argument("--users", type=int, default=20, help="browsing users (plus one logging a segment)")
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument("--duration", type=float, default=60, help="seconds of load (default 60)")
    parser.add_argument("--max-requests", type=int, default=20_000, help="stop after this many requests")
    parser.add_argument("--segments", type=int, default=2, help="segments the marketer logs during the run")
    parser.add_argument(
        "--media-root", default=None, help="documents of that database (default: media/loadtest/<database name>)"
    )
    return parser.parse_args()


# ---------------------------------------------------------------------------------------------------- the users


def use_session(client, username: str) -> None:
    for name, value in PLAN["sessions"][username].items():
        client.cookies.set(name, value, domain="127.0.0.1", path="/")


def csrf_token(client) -> str:
    """The CSRF cookie the last page set (the jar may hold more than one after the token rotated)."""
    values = [cookie.value for cookie in client.cookies if cookie.name == "csrftoken"]
    return values[-1] if values else ""


class Browser(HttpUser):
    """A salesperson reading: the log entries page (first page, filtered, sorted), contact pages, the contact list."""

    weight = 1
    wait_time = between(0.5, 1.5)

    def on_start(self):
        use_session(self.client, "seller")

    @task(4)
    def log_entries_first_page(self):
        self.client.get("/interactions/", name="/interactions/ (first page)")

    @task(2)
    def log_entries_filtered(self):
        template = random.choice(["WELCOME", "NEWSLETTER", "CALL-OUT", "MEETING"])
        self.client.get(f"/interactions/?template={template}&canceled=no", name="/interactions/?template= (filter)")

    @task(2)
    def log_entries_sorted(self):
        order = random.choice(["-date", "date", "-description"])
        self.client.get(f"/interactions/?sort={order}", name="/interactions/?sort= (sort)")

    @task(4)
    def contact_page(self):
        self.client.get(f"/contacts/{random.choice(PLAN['contact_ids'])}/", name="/contacts/<id>/")

    @task(1)
    def contact_list(self):
        self.client.get("/contacts/?type=company", name="/contacts/?type=company")


class SegmentLogger(HttpUser):
    """A marketer logging the prepared segments one after another, watching each merge job as the page does."""

    fixed_count = 1
    wait_time = between(1, 2)

    def on_start(self):
        use_session(self.client, "marketer")
        self.todo = list(PLAN["segment_ids"])
        self.progress_url = None

    @task
    def log_or_watch(self):
        if self.progress_url:
            response = self.client.get(self.progress_url, name="/segments/logged/<id>/progress/")
            if "hx-trigger" not in response.text:  # the card stops polling once the job is done or failed
                self.progress_url = None
            return
        if not self.todo:
            self.client.get("/segments/logged/", name="/segments/logged/")
            return
        segment_id = self.todo.pop(0)
        self.client.get(f"/segments/{segment_id}/", name="/segments/<id>/ (worksheet)")
        token = csrf_token(self.client)
        with self.client.post(
            f"/segments/{segment_id}/log/",
            data={"csrfmiddlewaretoken": token},
            name="POST /segments/<id>/log/",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            location = response.headers.get("Location", "")
            match = re.search(r"/segments/logged/(\d+)/", location)
            if response.status_code != 302 or not match:
                response.failure(f"logging segment {segment_id} did not succeed: {response.status_code} {location}")
                return
            PLAN.setdefault("logged", []).append(int(match.group(1)))
            self.progress_url = f"/segments/logged/{match.group(1)}/progress/"


# ------------------------------------------------------------------------------------------------- the stack


DEMO_PASSWORD = "demo"  # seed_demo's logins: "seller" browses, "marketer" logs the segments

PREPARE = """
import json, os
from django.contrib.auth import get_user_model
from crm.models import Contact, Salesperson
from interactions.models import InteractionTemplate
from segments import services

marketer = get_user_model().objects.get(username="marketer")
template = InteractionTemplate.objects.get(code="WELCOME")
salesperson = Salesperson.objects.order_by("code").first()
segment_ids, lines = [], 0
for index in range(int(os.environ["LOADTEST_SEGMENTS"])):
    segment = services.segment_create(
        user=marketer, description=f"Load test mailing {index + 1}", template=template, salesperson=salesperson
    )
    lines = services.segment_add_contacts(segment, criteria={"type": "company"}, user=marketer)
    segment_ids.append(segment.pk)
contact_ids = list(Contact.objects.order_by("?").values_list("pk", flat=True)[:2000])
print(json.dumps({"segment_ids": segment_ids, "lines": lines, "contact_ids": contact_ids}))
"""


def run_django_snippet(env: dict, code: str, **variables) -> str:
    """Run `code` with Django set up, in a subprocess (this process is gevent-patched and has no Django)."""
    result = subprocess.run(
        [stack.PYTHON, "-c", f"import django; django.setup(); exec({code!r})"],
        cwd=stack.PROJECT_DIR,
        text=True,
        check=True,
        env={**env, **{key: str(value) for key, value in variables.items()}},
        stdout=subprocess.PIPE,
    )
    return result.stdout.strip()


def prepare(env: dict, args) -> dict:
    stack.prepare_database(env, args, "The load test runs against PostgreSQL on 127.0.0.1 only.")
    # A worker of an earlier run that was killed mid-job left its task RUNNING: re-queue it for ours.
    stack.manage(env, "recover_tasks")
    print(f"Preparing {args.segments} segments…", flush=True)
    plan = json.loads(run_django_snippet(env, PREPARE, LOADTEST_SEGMENTS=args.segments).splitlines()[-1])
    return plan


# ------------------------------------------------------------------------------------------------- reporting


def summarize(environment: Environment, elapsed: float) -> dict:
    stats = environment.stats
    total = stats.total
    rows = []
    for entry in sorted(stats.entries.values(), key=lambda e: -e.num_requests):
        rows.append(
            {
                "name": f"{entry.method} {entry.name}" if not entry.name.startswith("POST") else entry.name,
                "requests": entry.num_requests,
                "errors": entry.num_failures,
                "median_ms": entry.get_response_time_percentile(0.5),
                "p95_ms": entry.get_response_time_percentile(0.95),
            }
        )
    return {
        "requests": total.num_requests,
        "errors": total.num_failures,
        "rps": total.num_requests / elapsed if elapsed else 0.0,
        "median_ms": total.get_response_time_percentile(0.5),
        "p95_ms": total.get_response_time_percentile(0.95),
        "elapsed_s": elapsed,
        "rows": rows,
        "failures": [
            f"{error.method} {error.name}: {error.error} ({error.occurrences}×)" for error in stats.errors.values()
        ],
    }


def server_times(gunicorn_log: Path) -> tuple[float, float, int]:
    """Median and 95th percentile of the app's own time per request, from the crm.request log lines."""
    durations = sorted(
        float(match.group(1))
        for line in gunicorn_log.read_text().splitlines()
        if "logger=crm.request" in line and "path=/healthz" not in line
        for match in [re.search(r" duration_ms=([0-9.]+)", line)]
        if match
    )
    if not durations:
        return 0.0, 0.0, 0
    count = len(durations)
    return durations[count // 2], durations[min(count - 1, int(count * 0.95))], count


def report_markdown(summary: dict, args, plan: dict, logged_jobs: str) -> str:
    today = datetime.date.today().isoformat()
    load = ", ".join(f"{value:.1f}" for value in summary["load_before"])
    lines = [
        START_MARKER,
        f"## Load test ({today})",
        "",
        f"`.venv/bin/python scripts/loadtest.py --write` on {platform.node() or 'this machine'} "
        f"({os.cpu_count()} cores), PostgreSQL on 127.0.0.1 seeded with `seed_demo --contacts {args.contacts} "
        f"--entries {args.entries}`; gunicorn with {args.web_workers} sync workers and one `db_worker`, production "
        f"settings (DEBUG off); locust on the same machine. Load average before the run: {load} (1, 5, 15 min; "
        "other work on the machine competes for the same cores).",
        "",
        f"Load: {args.users} users browsing (log entries first page, filtered by template, sorted; contact pages; "
        f"the contact list; 0.5–1.5 s think time) while one marketer logs segments of {plan['lines']:,} lines with "
        f"the Word letter template, one after another, each once the previous one's merge job (run by the worker "
        f"meanwhile) is done, watching its progress ({len(plan.get('logged', []))} of {len(plan['segment_ids'])} "
        f"logged in this run). {summary['elapsed_s']:.0f} s, at most {args.max_requests:,} requests.",
        "",
        "| | requests | requests/s | median | 95th percentile | errors |",
        "|---|---:|---:|---:|---:|---:|",
        f"| **all** | {summary['requests']:,} | {summary['rps']:.1f} | {summary['median_ms']:.0f} ms "
        f"| {summary['p95_ms']:.0f} ms | {summary['errors']} |",
    ]
    for row in summary["rows"]:
        lines.append(
            f"| {row['name']} | {row['requests']:,} | | {row['median_ms']:.0f} ms | {row['p95_ms']:.0f} ms "
            f"| {row['errors']} |"
        )
    median, p95, count = summary["server"]
    lines += [
        "",
        f"Server time (the `duration_ms` of the app's {count:,} request log lines, without the queueing in front of "
        f"gunicorn): median {median:.0f} ms, 95th percentile {p95:.0f} ms.",
        "",
        f"Merge jobs after the run: {logged_jobs}",
        "",
        END_MARKER,
    ]
    return "\n".join(lines)


JOBS = """
import os
from segments.models import LogJob
ids = [int(value) for value in os.environ["LOADTEST_LOGGED"].split(",") if value]
jobs = LogJob.objects.filter(logged_segment_id__in=ids).order_by("id")
print("; ".join(f"logged segment {job.logged_segment_id}: {job.status}, {job.done:,}/{job.total:,} letters"
                + (f" ({job.error})" if job.error else "") for job in jobs) or "none")
"""


def job_status(env: dict, logged_ids: list[int]) -> str:
    if not logged_ids:
        return "no segment was logged"
    return run_django_snippet(env, JOBS, LOADTEST_LOGGED=",".join(map(str, logged_ids))) or "unknown"


def main() -> int:
    args = parse_args()
    # The documents belong with the database (seeded template letters, merged letters): keep them together.
    database_name = urlparse(args.database_url).path.strip("/")
    media_root = args.media_root or str(stack.PROJECT_DIR / "media" / "loadtest" / database_name)
    env = stack.django_env(args.database_url, TASKS_BACKEND="database", MEDIA_ROOT=media_root)
    plan = prepare(env, args)
    PLAN.update(plan)
    plan = PLAN  # the segment logger adds the ids it logged
    print(f"Segments {plan['segment_ids']} with {plan['lines']:,} lines each.", flush=True)

    base_url = f"http://127.0.0.1:{args.port}"
    log_dir = Path(tempfile.mkdtemp(prefix="crm-loadtest-logs-"))
    gunicorn = stack.start_gunicorn(env, args.port, args.web_workers, log_dir)
    worker = subprocess.Popen(
        [stack.PYTHON, "manage.py", "db_worker", "--interval", "0.5", "--no-reload"],
        cwd=stack.PROJECT_DIR,
        env=env,
        stdout=(log_dir / "worker.log").open("w"),
        stderr=subprocess.STDOUT,
    )
    try:
        stack.wait_for_health(base_url, gunicorn)
        PLAN["sessions"] = {
            name: {"sessionid": stack.login(base_url, name, DEMO_PASSWORD)} for name in ("seller", "marketer")
        }
        environment = Environment(user_classes=[Browser, SegmentLogger], host=base_url, events=events)
        runner = environment.create_local_runner()

        def stop_at_request_budget():
            while runner.state not in ("stopped", "quitting"):
                if environment.stats.total.num_requests >= args.max_requests:
                    runner.quit()
                    return
                gevent.sleep(0.2)

        print(
            f"Load: {args.users} browsers + 1 segment logger for {args.duration:.0f} s "
            f"(at most {args.max_requests:,} requests) against {base_url}…",
            flush=True,
        )
        load_before = os.getloadavg()
        started = time.monotonic()
        runner.start(args.users + 1, spawn_rate=args.spawn_rate)
        gevent.spawn(stop_at_request_budget)
        gevent.spawn_later(args.duration, runner.quit)
        runner.greenlet.join()
        elapsed = time.monotonic() - started
    finally:
        for process in (gunicorn, worker):
            process.terminate()
        for process in (gunicorn, worker):
            try:
                process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                process.kill()

    summary = summarize(environment, elapsed)
    summary["load_before"] = load_before
    summary["server"] = server_times(log_dir / "gunicorn.log")
    jobs = job_status(env, PLAN.get("logged", []))
    print()
    print(f"{'page':<45} {'requests':>9} {'median':>8} {'p95':>8} {'errors':>7}")
    for row in summary["rows"]:
        print(
            f"{row['name'][:45]:<45} {row['requests']:>9,} {row['median_ms']:>6.0f}ms {row['p95_ms']:>6.0f}ms "
            f"{row['errors']:>7}"
        )
    print(
        f"\nrequests: {summary['requests']:,} in {elapsed:.1f} s = {summary['rps']:.1f} requests/s; "
        f"median {summary['median_ms']:.0f} ms; p95 {summary['p95_ms']:.0f} ms; errors: {summary['errors']}"
    )
    print(f"merge jobs: {jobs}")
    print("server time (request log): median {:.0f} ms, p95 {:.0f} ms over {} requests".format(*summary["server"]))
    print(f"load average before the run: {', '.join(f'{value:.1f}' for value in load_before)}")
    print(f"logs: {log_dir}")
    for failure in summary["failures"]:
        print(f"  error: {failure}")
    if args.write:
        stack.write_performance_md(report_markdown(summary, args, plan, jobs), START_MARKER, END_MARKER)
        print(f"Recorded in {stack.PERFORMANCE_MD.relative_to(stack.PROJECT_DIR)}.")
    return 1 if summary["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
