"""Benchmarks of the worksheet's criteria steps (budgets in docs/PERFORMANCE.md): add the contacts matching 10%
of the data set (100,000 of 1,000,000) with a criteria, and go back after that add.

Outside the timer: one in ten contacts joins a benchmark mailing group (one INSERT … SELECT); afterwards the
segment and the group are removed again.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.contrib.auth import get_user_model
from django.db import connection

from bench.registry import benchmark
from crm.models import Contact, MailingGroup
from crm.numbering import next_number
from segments.models import Segment
from segments.services import segment_add_contacts, segment_delete, segment_go_back

GROUP = "BENCH-10PCT"


@contextmanager
def _ten_percent_in_group() -> Iterator[MailingGroup]:
    """One in ten contacts in the benchmark's mailing group for the block; the group is gone again after it."""
    group = _mark_ten_percent()
    try:
        yield group
    finally:
        _unmark(group)


def _mark_ten_percent() -> MailingGroup:
    group, created = MailingGroup.objects.get_or_create(code=GROUP, defaults={"description": "Benchmark: 10%"})
    through = Contact.mailing_groups.through
    through.objects.filter(mailinggroup=group).delete()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {through._meta.db_table} (contact_id, mailinggroup_id) "
            f"SELECT id, %s FROM {Contact._meta.db_table} WHERE id %% 10 = 0",
            [group.pk],
        )
        if connection.vendor == "postgresql":
            # Fresh statistics, as autovacuum would give a real table: the planner then knows the group has
            # 100,000 members and hash-joins instead of looking contacts up one by one.
            cursor.execute(f"ANALYZE {through._meta.db_table}")
    return group


def _unmark(group: MailingGroup) -> None:
    Contact.mailing_groups.through.objects.filter(mailinggroup=group).delete()
    group.delete()


def _segment(user) -> Segment:
    return Segment.objects.create(no=next_number("segment"), description="Benchmark: criteria", created_by=user)


def _user():
    user, _ = get_user_model().objects.get_or_create(username="bench-marketer")
    return user


@benchmark(
    "add contacts: criteria matching 100,000 of 1,000,000", budget_s={"sqlite": 2.0, "postgresql": 2.0}, order=40
)
def add_contacts(ctx):
    user = _user()
    with _ten_percent_in_group():
        for _ in range(ctx.runs):
            segment = _segment(user)
            with ctx.timer():
                added = segment_add_contacts(segment, criteria={"mailing_group": GROUP}, user=user)
            segment_delete(segment, user=user)
        ctx.note(f"{added:,} lines added per run ({ctx.scale:,} contacts)")


@benchmark("add contacts: go back after that add", budget_s={"sqlite": 1.0, "postgresql": 1.0}, order=41)
def go_back(ctx):
    user = _user()
    with _ten_percent_in_group():
        for _ in range(ctx.runs):
            segment = _segment(user)
            added = segment_add_contacts(segment, criteria={"mailing_group": GROUP}, user=user)
            with ctx.timer():
                segment_go_back(segment, user=user)
            assert not segment.lines.exists()
            segment_delete(segment, user=user)
        ctx.note(f"{added:,} lines removed per run")
