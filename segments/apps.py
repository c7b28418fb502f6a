from django.apps import AppConfig
from django.db.models.signals import post_migrate


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
        post_migrate.connect(_sync_roles, sender=self, dispatch_uid="segments_sync_roles")
