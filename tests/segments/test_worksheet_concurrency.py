"""Concurrent changes on PostgreSQL (issue 9), with real threads and real row locks:

- canceling a logged segment while another user logs a new segment (both succeed; each logged segment's entries
  agree with it);
- two users adding and removing lines on the same worksheet at once (no line lost or duplicated: the final lines
  are exactly what both users' changes add up to, and the steps are numbered without gaps or twins);
- deleting canceled entries while new entries are logged (only canceled entries go; the new ones are untouched).

SQLite serialises writers, so these need PostgreSQL (see test_log_concurrency.py for the pattern).
"""

import pytest

from interactions.models import InteractionLogEntry, LoggedSegment
from interactions.services import interaction_create, log_entries_delete_canceled
from segments.models import SegmentCriteriaAction, SegmentLine
from segments.services import (
    logged_segment_set_canceled,
    segment_add_contacts,
    segment_line_add,
    segment_line_remove,
    segment_log,
    segment_reduce_contacts,
)
from tests.factories import InteractionTemplateFactory, PersonFactory, SegmentFactory, UserFactory
from tests.interactions.factories import word_template
from tests.row_locks import NEEDS_ROW_LOCKS, raised, run_together
from tests.segments.logging_helpers import segment_with_lines

pytestmark = NEEDS_ROW_LOCKS


@pytest.fixture
def second_marketer(db):
    return UserFactory(username="marketer2", role="Marketing")


# --- cancel a logged segment while another one is logged --------------------------------------------------------


def test_canceling_a_logged_segment_while_new_segments_are_logged(marketer, second_marketer):
    template = InteractionTemplateFactory(correspondence_type="")
    first, lines = segment_with_lines(150, template=template)
    logged = segment_log(first, user=marketer)
    # The new segments reach the same contacts, so both sides write entries of the same people at once.
    contacts = [line.contact for line in lines]
    new_segments = []
    for _ in range(4):
        segment = SegmentFactory(template=template)
        SegmentLine.objects.bulk_create(SegmentLine(segment=segment, contact=contact) for contact in contacts)
        new_segments.append(segment)

    def switch_canceled():
        for canceled in (True, False, True, False, True):
            logged_segment_set_canceled(LoggedSegment.objects.get(pk=logged.pk), canceled=canceled, user=marketer)

    def log_new():
        for segment in new_segments:
            segment_log(segment, user=second_marketer)

    assert raised(run_together(switch_canceled, log_new)) == []

    logged.refresh_from_db()
    assert logged.canceled is True
    assert set(logged.entries.values_list("canceled", flat=True)) == {True}
    assert logged.entries.count() == 150
    others = LoggedSegment.objects.exclude(pk=logged.pk)
    assert others.count() == 4 and not others.filter(canceled=True).exists()
    new_entries = InteractionLogEntry.objects.filter(logged_segment__in=others)
    assert new_entries.count() == 4 * 150 and not new_entries.filter(canceled=True).exists()


# --- two users on one worksheet ---------------------------------------------------------------------------------


def test_two_users_changing_the_same_worksheet_lose_no_line(marketer, second_marketer):
    segment = SegmentFactory(description="Spring mailing")
    start = [PersonFactory(name=f"Start {i}", city="Start") for i in range(10)]
    drop = [PersonFactory(name=f"Drop {i}", city="Drop") for i in range(5)]
    by_hand = [PersonFactory(name=f"A {i}", city="Elsewhere") for i in range(10)]
    by_criteria = [PersonFactory(name=f"B {i}", city="Bremen") for i in range(10)]
    b_by_hand = [PersonFactory(name=f"BX {i}", city="Elsewhere") for i in range(5)]
    segment_add_contacts(segment, criteria={"city": "Start"}, user=marketer)
    segment_add_contacts(segment, criteria={"city": "Drop"}, user=marketer)
    removed_by_a = list(SegmentLine.objects.filter(segment=segment, contact__in=start[:5]))
    assert SegmentLine.objects.filter(segment=segment).count() == len(start) + len(drop)

    def user_a():
        for contact, line in zip(by_hand[:5], removed_by_a, strict=True):
            segment_line_add(segment, contact=contact, user=marketer)
            segment_line_remove(line, user=marketer)
        for contact in by_hand[5:]:
            segment_line_add(segment, contact=contact, user=marketer)

    def user_b():
        segment_add_contacts(segment, criteria={"city": "Bremen"}, user=second_marketer)
        for contact in b_by_hand:
            segment_line_add(segment, contact=contact, user=second_marketer)
        segment_reduce_contacts(segment, criteria={"city": "Drop"}, user=second_marketer)

    assert raised(run_together(user_a, user_b)) == []

    expected = {c.pk for c in start[5:] + by_hand + by_criteria + b_by_hand}
    on_segment = list(SegmentLine.objects.filter(segment=segment).values_list("contact_id", flat=True))
    assert sorted(on_segment) == sorted(expected), "no line lost, none twice"
    steps = list(SegmentCriteriaAction.objects.filter(segment=segment).order_by("step").values_list("step", flat=True))
    assert steps == list(range(1, 2 + 15 + 1 + 5 + 1 + 1)), "every change is one step, numbered without gaps"


# --- delete canceled entries while new ones are logged ----------------------------------------------------------


def test_deleting_canceled_entries_while_segments_are_logged_deletes_only_canceled_ones(marketer, second_marketer):
    template = InteractionTemplateFactory(correspondence_type="")
    old, _ = segment_with_lines(300, template=template)
    old_logged = segment_log(old, user=marketer)
    logged_segment_set_canceled(old_logged, canceled=True, user=marketer)
    kept_segment, _ = segment_with_lines(50, template=template)
    kept = list(segment_log(kept_segment, user=marketer).entries.order_by("pk").values())
    new_segments = [segment_with_lines(100, template=template)[0] for _ in range(4)]
    deleted: list[int] = []

    def delete_canceled():
        for _ in range(6):
            deleted.append(log_entries_delete_canceled(user=marketer))

    def log_new():
        for segment in new_segments:
            segment_log(segment, user=second_marketer)

    assert raised(run_together(delete_canceled, log_new)) == []

    assert sum(deleted) == 300
    assert not InteractionLogEntry.objects.filter(canceled=True).exists()
    assert list(InteractionLogEntry.objects.filter(pk__in=[e["id"] for e in kept]).order_by("pk").values()) == kept
    new_entries = InteractionLogEntry.objects.exclude(pk__in=[e["id"] for e in kept])
    assert new_entries.count() == 4 * 100 and not new_entries.filter(canceled=True).exists()


def test_deleting_canceled_entries_keeps_the_letter_that_new_entries_just_started_to_use(marketer, second_marketer):
    # The canceled entries were the only users of the template's letter snapshot; new interactions with the same
    # template reuse that snapshot while the delete looks for documents nothing uses any more.
    template = word_template("WELCOME")
    people = [PersonFactory(name=f"Person {i}") for i in range(30)]
    for person in people[:10]:
        entry = interaction_create(contact=person, template=template, description="Welcome", user=marketer)
        InteractionLogEntry.objects.filter(pk=entry.pk).update(canceled=True)
    deleted: list[int] = []

    def delete_canceled():
        deleted.append(log_entries_delete_canceled(user=marketer))

    def log_new():
        for person in people[10:]:
            interaction_create(contact=person, template=template, description="Welcome", user=second_marketer)

    assert raised(run_together(delete_canceled, log_new)) == []

    assert deleted == [10]
    new_entries = InteractionLogEntry.objects.all()
    assert new_entries.count() == 20 and not new_entries.filter(canceled=True).exists()
    for entry in new_entries.select_related("merge_template"):
        with entry.merge_template.file.open("rb") as handle:
            assert handle.read(2) == b"PK", "the letter the entry points at is still stored"
