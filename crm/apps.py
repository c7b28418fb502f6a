from django.apps import AppConfig


class CrmConfig(AppConfig):
    name = "crm"
    verbose_name = "Contacts and sales documents"

    def ready(self) -> None:
        from . import tables_speedup

        tables_speedup.install()
