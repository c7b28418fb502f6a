"""Migration 0017: the insertion history rows of existing steps become id ranges on the steps, and back."""

import importlib

import pytest
from django.apps import apps
from django.db import connection

from segments.models import SegmentCriteriaAction, SegmentHistory, SegmentLine
from segments.services import segment_go_back
from tests.factories import PersonFactory, SegmentFactory

pytestmark = pytest.mark.django_db

migration = importlib.import_module("segments.migrations.0017_step_inserted_id_range")


def _legacy_add(segment, contacts, step_no):
    """An add step as the code before 0017 recorded it: lines plus one insertion history row per line."""
    step = SegmentCriteriaAction.objects.create(segment=segment, step=step_no, action="add", affected=len(contacts))
    lines = [SegmentLine.objects.create(segment=segment, contact=contact) for contact in contacts]
    for line in lines:
        SegmentHistory.objects.create(action=step, kind="insertion", line_id=line.pk, contact_id=line.contact_id)
    return step, lines


class _StatementRunner:
    """What the migration uses of a schema editor (SQLite's cannot be opened inside the test's transaction)."""

    connection = connection

    def execute(self, sql, params=()):
        with connection.cursor() as cursor:
            cursor.execute(sql, params)


def test_insertion_rows_become_the_steps_id_range_and_go_back_still_removes_exactly_those_lines():
    segment, other = SegmentFactory(), SegmentFactory()
    first, first_lines = _legacy_add(segment, PersonFactory.create_batch(2), 1)
    _legacy_add(other, PersonFactory.create_batch(2), 1)  # ids between the two steps of `segment`
    second, second_lines = _legacy_add(segment, PersonFactory.create_batch(3), 2)

    migration.rows_to_ranges(apps, None)

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.inserted_ids_from, first.inserted_ids_to) == (first_lines[0].pk, first_lines[-1].pk)
    assert (second.inserted_ids_from, second.inserted_ids_to) == (second_lines[0].pk, second_lines[-1].pk)
    assert not SegmentHistory.objects.exists()
    segment_go_back(segment, user=None)
    assert set(segment.lines.values_list("id", flat=True)) == {line.pk for line in first_lines}
    assert other.lines.count() == 2


def test_the_reverse_writes_an_insertion_row_per_line_of_the_range_removed_lines_included():
    segment = SegmentFactory()
    step, lines = _legacy_add(segment, PersonFactory.create_batch(3), 1)
    expected = [(line.pk, line.contact_id) for line in lines]
    migration.rows_to_ranges(apps, None)
    # A later step removed the middle line (its history keeps it).
    removal = SegmentCriteriaAction.objects.create(segment=segment, step=2, action="reduce", affected=1)
    SegmentHistory.objects.create(action=removal, kind="deletion", line_id=lines[1].pk, contact_id=lines[1].contact_id)
    lines[1].delete()

    migration.ranges_to_rows(apps, _StatementRunner())

    inserted = SegmentHistory.objects.filter(action=step, kind="insertion")
    assert sorted(inserted.values_list("line_id", "contact_id")) == expected
