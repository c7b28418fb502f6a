"""Two simultaneous clicks on Log produce one logged segment, never two (SPEC 3.5). Needs real row locks."""

import threading

from django.core.exceptions import ValidationError
from django.db import connections

from interactions.models import InteractionLogEntry, LoggedSegment
from segments.models import Segment
from segments.services import segment_log
from tests.row_locks import NEEDS_ROW_LOCKS
from tests.segments.logging_helpers import segment_with_lines

pytestmark = NEEDS_ROW_LOCKS


def test_two_threads_logging_the_same_segment_make_exactly_one_logged_segment(marketer):
    segment, _ = segment_with_lines(200)
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def click():
        try:
            copy = Segment.objects.get(pk=segment.pk)  # each click loaded the page before either logged
            start.wait()
            segment_log(copy, user=marketer)
            outcomes.append("logged")
        except ValidationError as error:
            outcomes.append(error.messages[0])
        finally:
            connections.close_all()

    threads = [threading.Thread(target=click) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == sorted(["logged", f"Segment {segment.no} has already been logged."])
    assert LoggedSegment.objects.count() == 1
    assert InteractionLogEntry.objects.count() == 200
    assert not Segment.objects.filter(pk=segment.pk).exists()
