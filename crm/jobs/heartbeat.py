"""A job's heartbeat and progress, written every few seconds of work (settings.BACKGROUND_JOB_HEARTBEAT_EVERY).

A job that is working must never look stale (crm.jobs.models.BackgroundJob.is_stale): so the heartbeat follows the
clock, not the batches. The work calls the updater as often as it likes (every letter, every e-mail); the updater
writes only when the interval has passed since its last write, so a fast job costs one UPDATE every few seconds
and a slow batch (a slow mail server, a PDF per line) still shows a sign of life every few seconds.
"""

from __future__ import annotations

from time import monotonic

from django.conf import settings
from django.db.models.functions import Now

__all__ = ["JobHeartbeat"]


class JobHeartbeat:
    """Call it with the fields to write (`done=…`); it writes them and the heartbeat when one is due."""

    def __init__(self, model, pk: int, *, every: float | None = None):
        self.jobs = model.objects.filter(pk=pk)
        self.every = settings.BACKGROUND_JOB_HEARTBEAT_EVERY if every is None else every
        self.last = monotonic()  # the caller has just written the job's start, with its heartbeat

    def __call__(self, **fields) -> bool:
        """Write `fields` and the heartbeat if the interval has passed; whether it wrote."""
        if monotonic() - self.last < self.every:
            return False
        self.write(**fields)
        return True

    def write(self, **fields) -> None:
        """Write `fields` and the heartbeat now."""
        self.jobs.update(heartbeat_at=Now(), **fields)
        self.last = monotonic()

    def progress(self, done: int) -> None:
        """A progress callback (`progress(done)`, segments.letters.with_progress): the count, when due."""
        self(done=done)
