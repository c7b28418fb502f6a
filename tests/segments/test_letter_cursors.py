"""A letters download that fails half-way leaves its database connection usable at once (PostgreSQL).

Reading the lines with `.iterator()` opened a server-side cursor; a generator abandoned mid-way (a letter that
raises, kept alive by the exception's traceback) left it open until the garbage collector finalised it, at any
later moment, possibly while the connection was busy with another query: the worker then hung. The letters are
read in id-ordered batches, which hold nothing open between reads.

The failure is in the consumer (the spool file's disk fills up), so the generator is left suspended mid-way.
"""

import io

import pytest
from django.conf import settings
from django.db import connection

from segments import letters
from tests.workers.test_stale_jobs import letters_worksheet

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        "postgresql" not in settings.DATABASES["default"]["ENGINE"],
        reason="server-side cursors are PostgreSQL's; SQLite has none",
    ),
]


def open_cursors() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_cursors")
        return cursor.fetchone()[0]


class FullDisk(io.BytesIO):
    """A spool file whose disk fills up once `letters_before` letters were merged."""

    def __init__(self, merged: list, letters_before: int):
        super().__init__()
        self.merged, self.letters_before = merged, letters_before

    def write(self, data):
        if len(self.merged) >= self.letters_before:
            raise OSError(28, "No space left on device")
        return super().write(data)


@pytest.mark.parametrize("kind", ["zip", "docx"])
def test_a_download_that_fails_half_way_leaves_no_cursor_open(marketer, monkeypatch, kind):
    segment = letters_worksheet(marketer)
    real_render = letters._Letters.render
    merged = []

    def render(self, line):
        merged.append(line.pk)
        return real_render(self, line)

    monkeypatch.setattr(letters._Letters, "render", render)
    assert open_cursors() == 0

    # The check merges one letter, then the lines; writing fails after the first line's letter, while the
    # letters generator waits, suspended, with lines still to read.
    with pytest.raises(OSError) as failure:
        letters.write_segment_letters(segment, kind, FullDisk(merged, letters_before=2))

    # The traceback (kept here, as a worker's error handling keeps it) holds the abandoned generator, yet no
    # cursor is left open, and the connection answers at once.
    assert failure.value.errno == 28
    assert open_cursors() == 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
