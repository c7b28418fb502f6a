"""E-mail delivery of logged interactions through Django's mail framework (SPEC 3.4, reference 2.9-2.10).

Delivery runs after commit and outside any transaction: sending is slow and may fail, and a failure must leave
the entry logged with delivery_status="error" and the reason, so it can be retried by calling it again.
"""

import logging
import re
from collections.abc import Iterable
from email.utils import formataddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.utils.html import strip_tags

from crm.models import CorrespondenceType

from ..letters import render_letter
from ..models import DeliveryStatus, InteractionLogEntry

__all__ = ["entry_deliver", "entries_deliver", "entries_deliver_after_commit", "DELIVERABLE_STATUSES"]

logger = logging.getLogger(__name__)

# An entry waiting to be sent, or one whose last attempt failed (the retry).
DELIVERABLE_STATUSES = (DeliveryStatus.IN_PROGRESS, DeliveryStatus.ERROR)
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]+")


def _header_text(value: str) -> str:
    """One line of header text: contact names and subjects are user input and must not add headers."""
    return " ".join(_CONTROL_CHARS.sub(" ", value or "").split())


def _message(entry: InteractionLogEntry, connection) -> EmailMultiAlternatives:
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
        message.attach(filename, data, content_type)
    return message


def _deliver(entry: InteractionLogEntry, connection) -> bool:
    if entry.correspondence_type != CorrespondenceType.EMAIL or entry.delivery_status not in DELIVERABLE_STATUSES:
        return False
    try:
        message = _message(entry, connection)
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
    return InteractionLogEntry.objects.select_related("contact", "salesperson", "merge_template")


def entry_deliver(entry: InteractionLogEntry) -> bool:
    """Send one e-mail entry that is in progress or in error. True when the mail server accepted it."""
    fresh = _deliverable().get(pk=entry.pk)
    delivered = _deliver(fresh, get_connection())
    entry.delivery_status, entry.delivery_error = fresh.delivery_status, fresh.delivery_error
    return delivered


def entries_deliver(entry_ids: Iterable[int]) -> int:
    """Send every deliverable entry of `entry_ids`, one e-mail each, over one connection; the number sent.

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
            for entry in batch:
                sent += _deliver(entry, connection)
    finally:
        try:
            connection.close()
        except Exception:  # closing a broken session must not hide what was sent
            pass
    return sent


def entries_deliver_after_commit(entry_ids: Iterable[int]) -> None:
    """Hand the entries to the delivery task once the current transaction commits (never inside it)."""
    ids = [int(pk) for pk in entry_ids]
    if not ids:
        return

    def enqueue() -> None:
        from ..tasks import deliver_entries

        deliver_entries.enqueue(ids)

    transaction.on_commit(enqueue)
