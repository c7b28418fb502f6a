from django.apps import AppConfig


class InteractionsConfig(AppConfig):
    name = "interactions"
    verbose_name = "Interactions"

    def ready(self) -> None:
        # The one signal that carries domain flow: crm.signals.document_printed (SPEC 2).
        from . import receivers  # noqa: F401
