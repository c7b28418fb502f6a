"""Sending logged e-mail interactions through Django's mail framework (docs/BEHAVIOUR.md §12): the work of the
delivery task `interactions.tasks.deliver_entries` (and of a logged segment's job), and its recovery.

Services never send: they hand entries to the task after commit (interactions.services.delivery). Delivery runs
outside any transaction: sending is slow and may fail, and a failure must leave the entry logged with
delivery_status="error" and the reason, so it can be resent.

Exactly one sender per entry. Two workers, or a worker and a "resend" click, may both read an entry as deliverable.
So before sending, each sender claims the entry with one conditional UPDATE (in progress / error -> "sending"); the
database lets only one of them change the row, and only that one sends. The outcome ("" or "error") is written
after the send.

An entry left "sending" by a sender that died (killed worker, web process restarted mid-send) cannot be told apart
from a slow send by its status alone. On PostgreSQL the sender therefore holds a lease while the entry is
"sending": a session-level advisory lock on the entry, taken before the claim and dropped after the outcome is
written; PostgreSQL drops it by itself when the sender's connection goes away (the same idea as the task leases of
crm.jobs.backend). `deliveries_recover_interrupted`, run by `manage.py recover_tasks`, puts every "sending" entry
whose lease is free back to "error" with a reason that says the e-mail may or may not have gone out: the user
decides whether to resend (the usual resend of an entry in error), rather than a rerun sending it a second time.
SQLite has no advisory locks: there only the entries of a task that recover_tasks found orphaned are put back
(`recover_tasks --older-than`), or all of them with `recover_tasks --reset-sending` while nothing is sending.

An entry left "in progress" that no task will send (its task failed, or the process that was to queue or run it
stopped first) would say "In progress" for ever: `deliveries_recover_unowned`, also run by recover_tasks, puts it
to "error" with UNOWNED_REASON, for the user to resend.
"""

import logging
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from email.utils import formataddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connections, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.html import strip_tags
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from crm.jobs.registry import RecoveryOptions
from crm.models import CorrespondenceType

from . import letter_pdf
from .emails import EML_CONTENT_TYPE, email_from_eml
from .letters import render_letter
from .models import DeliveryStatus, InteractionLogEntry, StoredDocument

__all__ = [
    "entry_deliver",
    "entries_deliver",
    "deliveries_recover_interrupted",
    "deliver_entries_lost",
    "DELIVERABLE_STATUSES",
    "INTERRUPTED_REASON",
    "UNOWNED_REASON",
    "DELIVER_TASK_PATH",
    "deliveries_recover_unowned",
    "register_in_progress_owner",
    "recover_interrupted_sweep",
    "recover_unowned_sweep",
]

logger = logging.getLogger(__name__)

# An entry waiting to be sent, or one whose last attempt failed (the retry).
DELIVERABLE_STATUSES = (DeliveryStatus.IN_PROGRESS, DeliveryStatus.ERROR)
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]+")

INTERRUPTED_REASON = (
    "Delivery was interrupted: the process sending this e-mail stopped before it recorded the outcome, so it may "
    "or may not have gone out. Resend it if the contact did not receive it."
)

UNOWNED_REASON = (
    "Not sent: no background task was going to send this e-mail any more (its task failed, or the process that "
    "was to send it stopped before it began). Resend it."
)

# The delivery task's path (interactions.tasks.deliver_entries), as the database queue stores it: the task module
# imports this one, so it is named here rather than imported.
DELIVER_TASK_PATH = "interactions.tasks.deliver_entries"

# The sending lease's advisory-lock key is this base plus the entry id, in PostgreSQL's one-bigint key space (the
# task leases of crm.jobs.backend use the two-int4 space, which PostgreSQL keeps apart). Ids stay below 2**48.
_SENDING_LEASE_BASE = 0x7A5D << 48


def _header_text(value: str) -> str:
    """One line of header text: contact names and subjects are user input and must not add headers."""
    return " ".join(_CONTROL_CHARS.sub(" ", value or "").split())


def _message(entry: InteractionLogEntry, connection, pdf: bytes | None = None) -> EmailMultiAlternatives:
    """The e-mail of an entry; `pdf`: its letter already converted (entries_deliver converts a batch at once)."""
    if entry.document_id is not None and entry.document.content_type == EML_CONTENT_TYPE:
        # A free e-mail: the message kept on the entry, with its own recipients (interactions.emails).
        return email_from_eml(entry.document.read(), connection=connection)
    contact = entry.contact
    if contact is None:
        raise ValueError("The entry has no contact any more.")
    if not contact.email:
        raise ValueError(f"Contact {contact.no} {contact.name} has no e-mail address.")
    if entry.merge_template_id is None or entry.merge_values is None:
        raise ValueError("The interaction has no letter or e-mail body to send.")
    data, filename, content_type = render_letter(entry.merge_template, entry.merge_values)
    subject = _header_text(entry.subject or entry.description)
    recipient = formataddr((_header_text(contact.name), _header_text(contact.email)))
    reply_to = []
    if entry.salesperson_id and entry.salesperson.email:
        reply_to = [formataddr((_header_text(entry.salesperson.name), _header_text(entry.salesperson.email)))]
    message = EmailMultiAlternatives(
        subject=subject,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[recipient],
        reply_to=reply_to,
        connection=connection,
    )
    if content_type.startswith("text/html"):
        html = data.decode("utf-8")
        message.body = strip_tags(html).strip()
        message.attach_alternative(html, "text/html")
    else:
        salutation = entry.merge_values.get("contact.salutation", "")
        signature = entry.merge_values.get("salesperson.name", "")
        message.body = f"{salutation},\n\nplease find our letter attached.\n\n{signature}".strip()
        message.attach(*_letter_attachment(entry, data, filename, content_type, pdf))
    return message


def _letter_attachment(
    entry: InteractionLogEntry, data: bytes, filename: str, content_type: str, pdf: bytes | None = None
) -> tuple:
    """The Word letter as the template wants it sent: a PDF when its "attach as PDF" is on (a letter LibreOffice
    cannot convert raises PdfConversionError, recorded on the entry like any failed send, for a resend), else,
    or where LibreOffice is not installed, the .docx itself."""
    if not _attaches_pdf(entry):
        return filename, data, content_type
    if not letter_pdf.is_available():
        logger.warning("Interaction %s: LibreOffice is not installed, its letter is sent as .docx", entry.pk)
        return filename, data, content_type
    pdf = pdf if pdf is not None else letter_pdf.docx_to_pdf(data)
    return letter_pdf.pdf_filename(filename), pdf, letter_pdf.PDF_CONTENT_TYPE


def _attaches_pdf(entry: InteractionLogEntry) -> bool:
    """Whether the entry's e-mail carries its Word letter as a PDF (its template's "attach as PDF")."""
    template, letter = entry.template, entry.merge_template
    return (
        template is not None
        and template.attach_as_pdf
        and entry.document_id is None
        and letter is not None
        and entry.merge_values is not None
        and not letter.content_type.startswith("text/html")
    )


def _converted_letters(entries: list[InteractionLogEntry]) -> dict[int, bytes]:
    """The PDFs of the entries' letters that go out as PDF, converted as one batch (interactions.letter_pdf): a
    batch costs LibreOffice a fraction of converting each letter on its own (docs/PERFORMANCE.md). Empty where
    LibreOffice is missing, or when the batch fails: each letter is then converted (or refused, with the reason
    on its entry) as it is sent."""
    wanted: dict[int, tuple[StoredDocument, dict]] = {}
    for entry in entries:
        contact, letter = entry.contact, entry.merge_template
        if _attaches_pdf(entry) and contact is not None and contact.email and letter is not None:
            wanted[entry.pk] = (letter, entry.merge_values or {})
    if len(wanted) < 2 or not letter_pdf.is_available():
        return {}
    try:
        letters = [render_letter(letter, values)[0] for letter, values in wanted.values()]
        return dict(zip(wanted, letter_pdf.letters_to_pdfs(letters), strict=True))
    except Exception as error:  # noqa: BLE001 - the send of each entry retries it and records what failed
        logger.warning("Converting a batch of %s letters to PDF failed (%s); one at a time instead", len(wanted), error)
        return {}


def _database():
    return connections[InteractionLogEntry.objects.db]


@contextmanager
def _sending_lease(entry_id: int) -> Iterator[bool]:
    """Hold the entry's sending lease (PostgreSQL) for the block; yields False when another sender holds it."""
    connection = _database()
    if connection.vendor != "postgresql":
        yield True  # no advisory locks: the conditional claim alone keeps it to one sender
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [_SENDING_LEASE_BASE + entry_id])
        (taken,) = cursor.fetchone()
    try:
        yield bool(taken)
    finally:
        if taken:
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [_SENDING_LEASE_BASE + entry_id])
            except Exception:  # noqa: BLE001 - a broken connection has released the lock already
                logger.warning("Could not release the sending lease of interaction %s", entry_id, exc_info=True)


def _claim(entry_id: int) -> bool:
    """Mark the entry "sending" if it is still deliverable; True for the one sender whose UPDATE changed it."""
    return bool(
        InteractionLogEntry.objects.filter(
            pk=entry_id, correspondence_type=CorrespondenceType.EMAIL, delivery_status__in=DELIVERABLE_STATUSES
        ).update(delivery_status=DeliveryStatus.SENDING, delivery_error="")
    )


def _deliver(entry: InteractionLogEntry, connection, pdf: bytes | None = None) -> bool:
    if entry.correspondence_type != CorrespondenceType.EMAIL or entry.delivery_status not in DELIVERABLE_STATUSES:
        return False
    # `entry` may be stale (read before another sender claimed or sent it): the claim, not its status, decides.
    with _sending_lease(entry.pk) as leased:
        if not leased or not _claim(entry.pk):
            logger.info("Interaction %s is being sent or was sent by another process; skipped.", entry.pk)
            return False
        try:
            message = _message(entry, connection, pdf)
            sent = message.send()
            if not sent:
                raise RuntimeError("The mail server accepted no recipient.")
        except Exception as error:  # any failure of rendering or the mail server is recorded on the entry
            reason = str(error) or error.__class__.__name__
            logger.warning("Delivery of interaction %s failed: %s", entry.pk, reason)
            InteractionLogEntry.objects.filter(pk=entry.pk).update(
                delivery_status=DeliveryStatus.ERROR, delivery_error=reason[:2000]
            )
            entry.delivery_status, entry.delivery_error = DeliveryStatus.ERROR, reason[:2000]
            return False
        InteractionLogEntry.objects.filter(pk=entry.pk).update(delivery_status=DeliveryStatus.DONE, delivery_error="")
    entry.delivery_status, entry.delivery_error = DeliveryStatus.DONE, ""
    return True


def _deliverable():
    return InteractionLogEntry.objects.select_related(
        "contact", "salesperson", "merge_template", "document", "template"
    )


def entry_deliver(entry: InteractionLogEntry) -> bool:
    """Send one e-mail entry that is in progress or in error. True when the mail server accepted it."""
    fresh = _deliverable().get(pk=entry.pk)
    delivered = _deliver(fresh, get_connection())
    entry.delivery_status, entry.delivery_error = fresh.delivery_status, fresh.delivery_error
    return delivered


def entries_deliver(entry_ids: Iterable[int], *, progress: Callable[[], object] | None = None) -> int:
    """Send every deliverable entry of `entry_ids`, one e-mail each, over one connection; the number sent.
    `progress()` is called after each e-mail (a background job's heartbeat, crm.jobs.heartbeat).

    Each entry's outcome is written on its own (no transaction around the batch), so one bad address or a
    server hiccup marks that entry and the others still go out.
    """
    ids = list(entry_ids)
    sent = 0
    connection = get_connection()
    try:
        connection.open()  # one session for the batch; if it fails, each send retries and records its error
    except Exception as error:
        logger.warning("Could not open the mail connection: %s", error)
    try:
        for start in range(0, len(ids), 500):
            batch = (
                _deliverable()
                .filter(
                    pk__in=ids[start : start + 500],
                    correspondence_type=CorrespondenceType.EMAIL,
                    delivery_status__in=DELIVERABLE_STATUSES,
                )
                .order_by("pk")
            )
            entries = list(batch)
            for first in range(0, len(entries), letter_pdf.LETTERS_PER_BATCH):
                group = entries[first : first + letter_pdf.LETTERS_PER_BATCH]
                pdfs = _converted_letters(group)
                for entry in group:
                    sent += _deliver(entry, connection, pdfs.get(entry.pk))
                    if progress is not None:
                        progress()
    finally:
        try:
            connection.close()
        except Exception:  # closing a broken session must not hide what was sent
            pass
    return sent


def deliveries_recover_interrupted(entry_ids: Iterable[int] | None = None, *, dry_run: bool = False) -> int:
    """Put entries left "sending" by a sender that stopped back to "error" with INTERRUPTED_REASON; the number.

    PostgreSQL: every "sending" entry (of `entry_ids`, or all) whose sending lease is free; an entry whose sender
    is alive keeps its lease and is left alone, however slow the mail server. SQLite (no leases): only the
    `entry_ids` given, which the caller knows lost their sender (the entries of an orphaned task), or all of them
    when `entry_ids` is None (`recover_tasks --reset-sending`, while nothing is sending). `dry_run` only counts.
    """
    stuck = InteractionLogEntry.objects.filter(delivery_status=DeliveryStatus.SENDING)
    if entry_ids is not None:
        stuck = stuck.filter(pk__in=list(entry_ids))
    connection = _database()
    if connection.vendor != "postgresql":
        if dry_run:
            return stuck.count()
        changed = stuck.update(delivery_status=DeliveryStatus.ERROR, delivery_error=INTERRUPTED_REASON)
    else:
        changed = 0
        for entry_id in stuck.order_by("pk").values_list("pk", flat=True):
            # Transaction-scoped: the lease is ours only while we rewrite the status, and the conditional UPDATE
            # ignores an entry whose sender finished between the SELECT and now.
            with transaction.atomic(using=stuck.db), connection.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_SENDING_LEASE_BASE + entry_id])
                (lease_free,) = cursor.fetchone()
                if lease_free and dry_run:
                    changed += 1
                elif lease_free:
                    changed += InteractionLogEntry.objects.filter(
                        pk=entry_id, delivery_status=DeliveryStatus.SENDING
                    ).update(delivery_status=DeliveryStatus.ERROR, delivery_error=INTERRUPTED_REASON)
    if changed and not dry_run:
        logger.warning("%s interrupted deliveries put back to error", changed)
    return changed


def deliver_entries_lost(entry_ids, *, reason: str, failed: bool, dry_run: bool = False) -> None:
    """The delivery task (interactions.tasks.deliver_entries) lost its worker (called by recover_tasks).

    Re-queued or failed alike, its entries left "sending" go back to "error": the dead worker may have sent them,
    so the user decides whether to resend; a rerun sends only the entries still "in progress".
    """
    deliveries_recover_interrupted(entry_ids, dry_run=dry_run)


# --- entries "in progress" that nothing will send --------------------------------------------------------------

# Functions returning a Q of the in-progress entries that a live job of another app will send (a logged segment's
# job sends its entries): registered from that app's AppConfig.ready(), so this module needs no import of it.
_in_progress_owners: list[Callable[[], Q]] = []


def register_in_progress_owner(owner: Callable[[], Q]) -> None:
    if owner not in _in_progress_owners:
        _in_progress_owners.append(owner)


def _queued_for_delivery() -> set[int]:
    """The entry ids of every delivery task still waiting in, or running from, the database queue."""
    ids: set[int] = set()
    tasks = DBTaskResult.objects.filter(
        task_path=DELIVER_TASK_PATH, status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING]
    )
    for arguments in tasks.values_list("args_kwargs", flat=True):
        arguments = arguments or {}
        given = (arguments.get("args") or [None])[0] or (arguments.get("kwargs") or {}).get("entry_ids") or []
        ids.update(int(pk) for pk in given)
    return ids


def deliveries_recover_unowned(*, grace: float = 30.0, dry_run: bool = False) -> int:
    """Put e-mail entries "in progress" that no task will send to "error" with UNOWNED_REASON; the number.

    Owned, and left alone: an entry of a delivery task still queued or running in the database queue (a task
    whose worker died was re-queued or failed by recover_tasks just before), an entry a registered owner claims
    (a logged segment's job still queued or running), and an entry created less than `grace` seconds ago (its
    task is queued after its transaction commits). Everything else has nobody to send it: with the in-process
    backend the sending runs right after the commit, so an entry still waiting was left by a process that stopped.
    An entry whose sender has not reached it yet as this runs (queued for resending an instant ago, or further
    down an in-process batch) may be put to "error" and then sent all the same: a sender's claim takes an entry
    in error as well (see `_claim`), and only one claim wins, so it is never sent twice.
    """
    cutoff = timezone.now() - timedelta(seconds=grace)
    waiting = InteractionLogEntry.objects.filter(delivery_status=DeliveryStatus.IN_PROGRESS, created_at__lt=cutoff)
    for owner in _in_progress_owners:
        waiting = waiting.exclude(owner())
    candidates = list(waiting.order_by("pk").values_list("pk", flat=True))
    if not candidates:
        return 0
    queued = _queued_for_delivery()  # read after the candidates: a task queued meanwhile still counts
    unowned = [pk for pk in candidates if pk not in queued]
    if dry_run:
        return len(unowned)
    changed = 0
    for start in range(0, len(unowned), 500):
        changed += InteractionLogEntry.objects.filter(
            pk__in=unowned[start : start + 500], delivery_status=DeliveryStatus.IN_PROGRESS
        ).update(delivery_status=DeliveryStatus.ERROR, delivery_error=UNOWNED_REASON)
    if changed:
        logger.warning("%s e-mail entries in progress with no task to send them put back to error", changed)
    return changed


# --- recovery sweeps (registered in crm.jobs.registry by interactions.apps) -------------------------------------


def recover_interrupted_sweep(options: RecoveryOptions) -> int:
    """Entries left "sending" by a sender that is gone. On PostgreSQL every pass (each sender holds a lease while
    sending); on SQLite only with --reset-sending."""
    if _database().vendor == "postgresql" or options.reset_sending:
        return deliveries_recover_interrupted(dry_run=options.dry_run)
    return 0


def recover_unowned_sweep(options: RecoveryOptions) -> int:
    """Entries "in progress" that no task will send (deliveries_recover_unowned)."""
    return deliveries_recover_unowned(grace=options.grace, dry_run=options.dry_run)
