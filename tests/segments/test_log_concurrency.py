"""Two simultaneous clicks on Log produce one logged segment, never two (SPEC 3.5). Needs real row locks."""

from django.core.exceptions import ValidationError

from interactions.models import InteractionLogEntry, LoggedSegment
from segments.models import Segment
from segments.services import segment_log
from tests.row_locks import NEEDS_ROW_LOCKS, raised, run_together
from tests.segments.logging_helpers import segment_with_lines

pytestmark = NEEDS_ROW_LOCKS


def test_two_threads_logging_the_same_segment_make_exactly_one_logged_segment(marketer):
    segment, _ = segment_with_lines(200)
    first, second = (Segment.objects.get(pk=segment.pk) for _ in range(2))  # both clicks loaded the page first

    outcomes = run_together(lambda: segment_log(first, user=marketer), lambda: segment_log(second, user=marketer))

    (refusal,) = raised(outcomes)
    assert isinstance(refusal, ValidationError)
    assert refusal.messages == [f"Segment {segment.no} has already been logged."]
    assert LoggedSegment.objects.count() == 1
    assert InteractionLogEntry.objects.count() == 200
    assert not Segment.objects.filter(pk=segment.pk).exists()
