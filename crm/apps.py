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

        # Every database connection reports its writes, which keeps the pages of crm.page_cache current.
        from django.db.backends.signals import connection_created

        from .page_cache import install_write_watch

        connection_created.connect(install_write_watch, dispatch_uid="crm.page_cache")
