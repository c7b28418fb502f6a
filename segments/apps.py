from django.apps import AppConfig
from django.db.models.signals import post_migrate

from crm.jobs import registry


def _sync_roles(sender, using="default", **kwargs):
    # Keeps the role groups in step with permissions that later migrations add (see crm/roles.py).
    from django.contrib.auth.models import Group, Permission

    from crm.roles import sync_roles

    if Group.objects.using(using).exists() or Permission.objects.using(using).exists():
        sync_roles(Group, Permission)


class SegmentsConfig(AppConfig):
    name = "segments"
    verbose_name = "Segments"

    def ready(self) -> None:
        # Imported here, not at the top: an AppConfig module is imported before any app's models are loaded.
        from interactions.sending import register_in_progress_owner

        from .letter_download_job import letter_download_job_lost
        from .log_job import log_job_entries_to_send, log_job_lost
        from .models import LetterDownloadJob, LogJob

        post_migrate.connect(_sync_roles, sender=self, dispatch_uid="segments_sync_roles")
        # What recover_tasks does about this app's jobs (crm.jobs.registry): a lost task's job says "Queued" again
        # or "Failed" with the reason, and stale jobs are marked failed.
        registry.register(LogJob.TASK_PATH, lost_handler=log_job_lost, job_model=LogJob)
        registry.register(
            LetterDownloadJob.TASK_PATH, lost_handler=letter_download_job_lost, job_model=LetterDownloadJob
        )
        # A logged segment's live job sends its entries "in progress": recover_tasks leaves them alone.
        register_in_progress_owner(log_job_entries_to_send)
