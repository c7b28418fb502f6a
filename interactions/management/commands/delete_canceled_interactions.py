"""`manage.py delete_canceled_interactions`: delete canceled interaction log entries (docs/BEHAVIOUR.md §9).

Thin: parse the arguments, call the service, print one line. Bad arguments are a one-line error with a non-zero
exit status, and nothing is deleted.
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from interactions.services import log_entries_delete_canceled

# The service's filters (interactions.services.CanceledEntryFilters) the command offers: name, metavar, help.
FILTERS = (
    ("before", "YYYY-MM-DD", "Only entries dated before this day."),
    ("after", "YYYY-MM-DD", "Only entries dated after this day."),
    ("template", "CODE", "Only entries of this interaction template."),
    ("group", "CODE", "Only entries of this interaction group."),
    ("contact", "NO", "Only entries of this contact (its number)."),
    ("salesperson", "CODE", "Only entries of this salesperson."),
)


class Command(BaseCommand):
    help = "Delete canceled interaction log entries matching every given filter (never a non-canceled one)."

    def add_arguments(self, parser):
        for name, metavar, text in FILTERS:
            parser.add_argument(f"--{name}", metavar=metavar, help=text)
        parser.add_argument("--dry-run", action="store_true", help="Count what would be deleted; delete nothing.")

    def handle(self, *args, dry_run, **options):
        filters = {name: options[name] for name, _, _ in FILTERS}
        try:
            count = log_entries_delete_canceled(dry_run=dry_run, **filters)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages))
        # The wording is a contract (docs/BEHAVIOUR.md §9: scripts parse it), so it stays plural for 1 too.
        verb = "would be deleted" if dry_run else "deleted"
        self.stdout.write(f"{count} interaction log entries {verb}.")
