"""Throughput at saturation: how many requests per second each page serves when nothing waits between requests.

    .venv/bin/python scripts/saturation.py [--write]

1. Prepares a PostgreSQL database on 127.0.0.1 (default `crm_load`, created if missing): migrate, collectstatic,
   `seed_demo --contacts 100000 --entries 1000000` (idempotent: a seeded database is only topped up), and
   `VACUUM (ANALYZE)` when the server runs without autovacuum.
2. Starts gunicorn on 127.0.0.1 only (gunicorn.conf.py, `--web-workers` sync workers, production settings: DEBUG
   off, a SECRET_KEY, plain HTTP on the loopback), logs in once as the demo seller and keeps the session cookie.
3. For each page, one after another: `wrk -t2 -c8 -d15s` (no think time) with that cookie, then the page once
   more to check it still answers 200 with the same HTML as before the run (CSRF tokens aside).
4. Prints requests/s per page with the ratio to the login page and to /healthz, both measured in the same run,
   and the errors (non-2xx/3xx responses, socket errors, HTML changed); exits 1 on any error. With --write, records
   the table in docs/PERFORMANCE.md between the saturation markers.

The machine's other work competes for the same cores: the ratios to the login page and /healthz are what
compare across runs, not the absolute figures (docs/PERFORMANCE.md).
"""

import argparse
import datetime
import hashlib
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import local_stack as stack
import requests

START_MARKER, END_MARKER = "<!-- saturation:start -->", "<!-- saturation:end -->"
DEMO_USER, DEMO_PASSWORD = "seller", "demo"
# The per-request CSRF token: in the forms and in the htmx headers of <body>.
CSRF_VALUE = re.compile(rb'(name="csrfmiddlewaretoken" value="|"X-CSRFToken": ")[^"]*(")')

PLAN_SNIPPET = """
from crm.models import Contact
from interactions.models import InteractionTemplate
contact = Contact.objects.filter(type="company").order_by("pk").values_list("pk", flat=True).first()
template = InteractionTemplate.objects.filter(code="NEWSLETTER").values_list("code", flat=True).first() or ""
print(contact, template)
"""


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    stack.add_stack_arguments(parser, database="crm_load", entries=1_000_000, port=8766)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (-t)")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections (-c)")
    parser.add_argument("--duration", type=int, default=15, help="seconds per page (wrk -d), at most 60")
    parser.add_argument("--only", default="", help="measure only pages whose label contains this text")
    args = parser.parse_args()
    args.duration = max(1, min(args.duration, 60))
    return args


def prepare(env: dict, args) -> tuple[int, str]:
    stack.prepare_database(env, args, "The saturation run uses PostgreSQL on 127.0.0.1 only.")
    import psycopg

    with psycopg.connect(args.database_url, autocommit=True) as connection:
        if connection.execute("SHOW autovacuum").fetchone()[0] != "on":
            # What autovacuum does on a live server: fresh planner statistics and visibility after the seeding
            # (without them PostgreSQL plans a million-row table as if it had a seventh of its rows).
            print("VACUUM (ANALYZE): autovacuum is off on this server…", flush=True)
            connection.execute("VACUUM (ANALYZE)")
    contact, template = stack.manage(env, "shell", "-c", PLAN_SNIPPET, capture=True).split()[-2:]
    return int(contact), template


def pages(contact_id: int, template: str) -> list[tuple[str, str, bool]]:
    """(label, path, logged in)."""
    return [
        ("/healthz", "/healthz", False),
        ("login page", "/accounts/login/", False),
        ("entries list: first page", "/interactions/", True),
        ("entries list: filtered", f"/interactions/?template={template}&canceled=no", True),
        ("entries list: sorted", "/interactions/?sort=-date", True),
        ("contact page", f"/contacts/{contact_id}/", True),
        ("contact list", "/contacts/", True),
    ]


def fingerprint(base_url: str, path: str, cookie: str | None) -> tuple[int, str]:
    """Status and a hash of the HTML with the per-request CSRF token values blanked."""
    cookies = {"sessionid": cookie} if cookie else {}
    response = requests.get(f"{base_url}{path}", cookies=cookies, allow_redirects=False, timeout=60)
    return response.status_code, hashlib.sha256(CSRF_VALUE.sub(rb"\1\2", response.content)).hexdigest()[:12]


def wrk(base_url: str, path: str, cookie: str | None, args) -> dict:
    command = [
        "wrk",
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{args.duration}s",
        "--latency",
        "--timeout",
        "30s",
    ]
    if cookie:
        command += ["-H", f"Cookie: sessionid={cookie}"]
    output = subprocess.run(
        [*command, f"{base_url}{path}"], check=True, text=True, stdout=subprocess.PIPE, timeout=args.duration + 60
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    requests_done = int(re.search(r"(\d+) requests in", output).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    median = re.search(r"50%\s+([\d.]+)(us|ms|s)\b", output)
    median_ms = float(median.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[median.group(2)] if median else 0.0
    errors = (int(non_2xx.group(1)) if non_2xx else 0) + (sum(int(n) for n in socket.groups()) if socket else 0)
    return {"rate": rate, "requests": requests_done, "errors": errors, "median_ms": median_ms}


def page_cache_sentence() -> str:
    """What the logged-in rows measure: the page served again from crm.page_cache (as in production), or built."""
    seconds = os.environ.get("PAGE_CACHE_SECONDS", "300")
    if seconds.strip() in ("0", ""):
        return "Pages kept per user (`crm/page_cache.py`) were off (`PAGE_CACHE_SECONDS=0`): each request built one."
    return (
        f"Pages kept per user (`crm/page_cache.py`) were on, as in production (`PAGE_CACHE_SECONDS={seconds}`): the "
        "first request builds each page and the others are the same user asking for it again while nothing is "
        "written. `PAGE_CACHE_SECONDS=0` measures every page as built."
    )


def report(rows: list[dict], args, started: datetime.datetime, load_before: tuple) -> str:
    by_label = {row["label"]: row for row in rows}
    login_rate = by_label.get("login page", {}).get("rate")
    health_rate = by_label.get("/healthz", {}).get("rate")
    lines = [
        f"## Throughput at saturation ({started:%Y-%m-%d %H:%M} UTC)",
        "",
        f"`.venv/bin/python scripts/saturation.py --write` on {platform.node()} ({os.cpu_count()} cores), PostgreSQL "
        f"on 127.0.0.1 seeded with `seed_demo --contacts {args.contacts} --entries {args.entries}`; gunicorn with "
        f"{args.web_workers} sync workers, production settings (DEBUG off); `wrk -t{args.threads} "
        f"-c{args.connections} -d{args.duration}s` per page, one page after another, no think time, logged in as "
        f"the demo seller (the login page and /healthz anonymous). Load average before the run: "
        f"{', '.join(f'{value:.1f}' for value in load_before)} (other work on the machine competes for the cores).",
        "",
        page_cache_sentence(),
        "",
        "| page | requests/s | × login page | × /healthz | median latency | requests | errors |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        to_login = f"{row['rate'] / login_rate:.2f}" if login_rate else "—"
        to_health = f"{row['rate'] / health_rate:.2f}" if health_rate else "—"
        lines.append(
            f"| {row['label']} (`{row['path']}`) | {row['rate']:,.0f} | {to_login} | {to_health} | "
            f"{row['median_ms']:.0f} ms | {row['requests']:,} | {row['errors']} |"
        )
    return "\n".join(lines) + "\n"


def main() -> int:
    args = parse_args()
    if shutil.which("wrk") is None:  # Debian's package, installed the way scripts/setup.sh installs the others
        subprocess.run(["bash", str(Path(__file__).with_name("system_packages.sh")), "wrk"], check=False)
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed and could not be installed (needs root and apt-get).")
    env = stack.django_env(args.database_url)
    contact_id, template = prepare(env, args)
    base_url = f"http://127.0.0.1:{args.port}"
    log_dir = Path(tempfile.mkdtemp(prefix="crm-saturation-logs-"))
    gunicorn = stack.start_gunicorn(env, args.port, args.web_workers, log_dir)
    rows = []
    started = datetime.datetime.now(datetime.UTC)
    load_before = os.getloadavg()
    try:
        stack.wait_for_health(base_url, gunicorn)
        cookie = stack.login(base_url, DEMO_USER, DEMO_PASSWORD)
        for label, path, logged_in in pages(contact_id, template):
            if args.only and args.only.lower() not in label.lower():
                continue
            session = cookie if logged_in else None
            for _ in range(3):  # warm every worker's caches for this page
                fingerprint(base_url, path, session)
            before = fingerprint(base_url, path, session)
            result = wrk(base_url, path, session, args)
            after = fingerprint(base_url, path, session)
            if before[0] != 200 or after != before:
                result["errors"] += 1
            rows.append({"label": label, "path": path, "html": before[1], **result})
            print(
                f"{label:28} {result['rate']:8.1f} req/s  median {result['median_ms']:6.1f} ms  "
                f"errors {result['errors']}  html {before[1]}",
                flush=True,
            )
    finally:
        gunicorn.terminate()
        gunicorn.wait(timeout=30)
    section = report(rows, args, started, load_before)
    print("\n" + section)
    if args.write:
        stack.write_performance_md(f"{START_MARKER}\n{section}{END_MARKER}", START_MARKER, END_MARKER)
        print(f"Written to {stack.PERFORMANCE_MD}.")
    return 1 if any(row["errors"] for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
