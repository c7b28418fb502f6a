from django.apps import AppConfig

from crm.jobs import registry


class InteractionsConfig(AppConfig):
    name = "interactions"
    verbose_name = "Interactions"

    def ready(self) -> None:
        # Imported here, not at the top: an AppConfig module is imported before any app's models are loaded.
        # receivers: the one signal that carries domain flow, crm.signals.document_printed (docs/BEHAVIOUR.md §10).
        from . import receivers, sending, tasks  # noqa: F401

        # What recover_tasks does about this app's work (crm.jobs.registry): the delivery task's entries left
        # "sending" go back to "error"; every pass puts back entries whose sender is gone or that no task sends.
        registry.register(tasks.deliver_entries.module_path, lost_handler=sending.deliver_entries_lost)
        registry.register_sweep(
            sending.recover_interrupted_sweep, report="{count} interrupted e-mail deliveries {verb} put back to error."
        )
        registry.register_sweep(
            sending.recover_unowned_sweep,
            report="{count} e-mail entries in progress that no task was sending {verb} put back to error.",
        )
