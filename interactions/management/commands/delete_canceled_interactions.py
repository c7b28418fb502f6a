"""`manage.py delete_canceled_interactions`: delete canceled interaction log entries (docs/BEHAVIOUR.md §9).

Thin: parse the arguments, call the service, print one line. Bad arguments are a one-line error with a non-zero
exit status, and nothing is deleted.
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from interactions.services import log_entries_delete_canceled


class Command(BaseCommand):
    help = "Delete canceled interaction log entries matching every given filter (never a non-canceled one)."

    def add_arguments(self, parser):
        parser.add_argument("--before", metavar="YYYY-MM-DD", help="Only entries dated before this day.")
        parser.add_argument("--after", metavar="YYYY-MM-DD", help="Only entries dated after this day.")
        parser.add_argument("--template", metavar="CODE", help="Only entries of this interaction template.")
        parser.add_argument("--group", metavar="CODE", help="Only entries of this interaction group.")
        parser.add_argument("--contact", metavar="NO", help="Only entries of this contact (its number).")
        parser.add_argument("--salesperson", metavar="CODE", help="Only entries of this salesperson.")
        parser.add_argument("--dry-run", action="store_true", help="Count what would be deleted; delete nothing.")

    def handle(self, *args, before, after, template, group, contact, salesperson, dry_run, **options):
        try:
            count = log_entries_delete_canceled(
                before=before,
                after=after,
                template=template,
                group=group,
                contact=contact,
                salesperson=salesperson,
                dry_run=dry_run,
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages))
        # The wording is a contract (docs/BEHAVIOUR.md §9: scripts parse it), so it stays plural for 1 too.
        verb = "would be deleted" if dry_run else "deleted"
        self.stdout.write(f"{count} interaction log entries {verb}.")
