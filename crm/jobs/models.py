"""The abstract progress row of a background job (crm.jobs): status, stage, progress, heartbeat, stale detection.

An abstract model: it has no table. Apps subclass it (segments.models.LogJob, LetterDownloadJob) and keep their
own tables and migrations.
"""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models.functions import Coalesce, Now
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from .backend import lease_is_held

__all__ = ["BackgroundJob", "stale_cutoff"]


class BackgroundJob(models.Model):
    """Progress of slow work run as a background task, shown on a page while it runs.

    Abstract: each app's concrete job (a logged segment's `LogJob`, a `LetterDownloadJob`) has its own table and
    registers itself in crm.jobs.registry, so the recovery can mark its stale jobs failed."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    ACTIVE = (Status.QUEUED, Status.RUNNING)
    # Set by each kind: what running a failed job again does (said with its error), and the task that runs it
    # (with the job's id as its only argument).
    RERUN_NOTE: str
    TASK_PATH: str

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    stage = models.CharField(max_length=100, blank=True)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Written with every progress update (in the same UPDATE), so a job nobody works on any more can be told from
    # a slow one: with the in-process task backend there is no task row or worker lease to ask (see is_stale).
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["-id"]

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    @classmethod
    def fail(cls, pk: int, *, error: str, stage: str | None = None, only_active: bool = False) -> int:
        """Mark the job failed with `error` (and `stage`, if given) in one UPDATE; how many rows changed.
        `only_active`: leave a job that finished (or failed) meanwhile as it is."""
        jobs = cls.objects.filter(pk=pk, **({"status__in": cls.ACTIVE} if only_active else {}))
        fields = {"status": cls.Status.FAILED, "error": error, "finished_at": timezone.now(), "heartbeat_at": Now()}
        return jobs.update(**fields, **({"stage": stage} if stage is not None else {}))

    @classmethod
    def requeue_if_running(cls, pk: int, *, stage: str, **fields) -> int:
        """A running job whose worker died goes back to "queued" (its task is queued again); how many changed."""
        return cls.objects.filter(pk=pk, status=cls.Status.RUNNING).update(
            status=cls.Status.QUEUED, stage=stage, heartbeat_at=Now(), **fields
        )

    @property
    def last_sign_of_life(self):
        """When the job last showed progress (or was created, if it never started)."""
        return self.heartbeat_at or self.created_at

    @property
    def is_stale(self) -> bool:
        """Queued or running, but silent for longer than settings.BACKGROUND_JOB_STALE_AFTER seconds.

        A working job writes progress every few seconds, so this long without any means the process running it
        is gone (a web process killed mid-job, a lost on-commit enqueue): nobody will finish it by itself.
        The lease wins over the heartbeat: a job whose task a live worker still holds (its lease, crm.jobs.backend)
        is not stale however silent, so neither recover_tasks nor a page's "run it again" starts it a second time
        while it runs. A queued job whose task still waits in the database queue is not stale: every worker is
        busy, and a worker will take it (the queue query runs only for a job already silent for that long).
        """
        if not (self.is_active and self.last_sign_of_life < stale_cutoff()):
            return False
        if self.status == self.Status.QUEUED and self.waits_in_queue():
            return False
        return not self.held_by_live_task()

    def held_by_live_task(self) -> bool:
        """Whether a running task of this job is still held by a live worker (its lease; PostgreSQL only)."""
        running = DBTaskResult.objects.filter(
            task_path=self.TASK_PATH, status=TaskResultStatus.RUNNING, args_kwargs__args__0=self.pk
        )
        return any(lease_is_held(task_id, using=running.db) for task_id in running.values_list("id", flat=True))

    def waits_in_queue(self) -> bool:
        """Whether this job's task is still waiting, not taken by any worker, in the database task queue
        (TASKS_BACKEND=database). With the in-process backend there is no such row."""
        return DBTaskResult.objects.filter(
            task_path=self.TASK_PATH, status=TaskResultStatus.READY, args_kwargs__args__0=self.pk
        ).exists()

    @classmethod
    def stale(cls):
        """The stale jobs of this kind (the queryset form of is_stale)."""
        return cls.objects.annotate(last_sign=Coalesce("heartbeat_at", "created_at")).filter(
            status__in=cls.ACTIVE, last_sign__lt=stale_cutoff()
        )

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.total:
            return 0
        return min(100, round(100 * self.done / self.total))


def stale_cutoff():
    """Jobs with no sign of life since this moment are stale (BackgroundJob.is_stale)."""
    return timezone.now() - timedelta(seconds=settings.BACKGROUND_JOB_STALE_AFTER)
