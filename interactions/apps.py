from django.apps import AppConfig


class InteractionsConfig(AppConfig):
    name = "interactions"
    verbose_name = "Interactions"

    def ready(self) -> None:
        # The one signal that carries domain flow: crm.signals.document_printed (docs/BEHAVIOUR.md §10).
        from . import receivers  # noqa: F401
