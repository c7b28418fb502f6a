from django.apps import AppConfig


class CrmConfig(AppConfig):
    name = "crm"
    verbose_name = "Contacts and sales documents"

    def ready(self) -> None:
        # A monkey-patch of django-tables2, process-wide: it caches the signature look-up django-tables2 repeats
        # for every table cell. Kept only while the benchmark shows the gain (docs/PERFORMANCE.md, "List
        # tables"); the change offered upstream is described in crm/tables_speedup.py.
        from . import tables_speedup

        tables_speedup.install()
