"""Realistic demo data: contacts, groups, salespeople, templates with Word letters, documents, log entries.

Idempotent: running it again tops up to the requested numbers and never duplicates reference data.
"""

import time

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

from demo import documents, interactions, salutations, segments
from demo.contacts import seed_contacts

# After the contacts, each part of the demo is seeded by its module's `seed(stdout, **options)`, in this order
# (the demo worksheets use a template that the interactions part creates).
SEEDERS = (salutations, interactions, documents, segments)

DEMO_USERS = [
    # username, role, staff (admin access for templates), superuser
    ("admin", "Marketing", True, True),
    ("marketer", "Marketing", True, False),
    ("seller", "Sales", False, False),
    ("viewer", "Viewer", False, False),
]
DEMO_PASSWORD = "demo"


class Command(BaseCommand):
    help = "Create realistic demo data (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--contacts", type=int, default=2000, help="Total number of contacts (default 2000).")
        parser.add_argument("--entries", type=int, default=5000, help="Interaction log entries (default 5000).")
        parser.add_argument("--no-users", action="store_true", help="Don't create the demo logins.")

    def handle(self, *args, contacts: int, entries: int, no_users: bool, **options):
        if contacts < 0 or entries < 0:
            raise CommandError("--contacts and --entries must be zero or more.")
        started = time.monotonic()
        added = seed_contacts(contacts, progress=self._progress)
        self.stdout.write(f"Contacts: {added} added ({contacts} wanted) in {time.monotonic() - started:.1f} s.")
        for seeder in SEEDERS:
            seeder.seed(self.stdout, entries=entries)
        if not no_users:
            self._users()
        self.stdout.write(self.style.SUCCESS(f"Demo data ready in {time.monotonic() - started:.1f} s."))

    def _progress(self, done: int, total: int) -> None:
        self.stdout.write(f"\r  contacts {done:,}/{total:,} ({100 * done // max(total, 1)}%)", ending="")
        if done >= total:
            self.stdout.write("")
        self.stdout.flush()

    def _users(self) -> None:
        users = get_user_model()
        for username, role, staff, superuser in DEMO_USERS:
            user, created = users.objects.get_or_create(
                username=username,
                defaults={"is_staff": staff, "is_superuser": superuser, "email": f"{username}@northwind.example"},
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save()
            user.groups.add(Group.objects.get(name=role))
        self.stdout.write(
            "Demo logins (password “demo”): admin (superuser), marketer (Marketing), seller (Sales), viewer (Viewer)."
        )
