"""Writing a free e-mail to a contact (docs/BEHAVIOUR.md §10, "E-mails"): logged with the template of the setup row
"E-mails", kept on the entry as an `.eml` file, and sent by the delivery task after commit."""

from __future__ import annotations

import mimetypes
import os
import re
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from crm.models import Contact, CorrespondenceType, Salesperson
from crm.privacy import refuse_privacy_blocked

from ..emails import EML_CONTENT_TYPE, Attachment, build_email, eml_bytes, header_text
from ..models import InteractionLogEntry, InteractionTemplateSetup
from ..storage import store_document
from ..validators import check_upload_size
from .create import interaction_create

if TYPE_CHECKING:
    from django.contrib.auth.models import User

__all__ = ["interaction_send_email", "EMAIL_SETUP_MISSING", "EMAIL_MAX_RECIPIENTS", "email_attachment_max_bytes"]

EMAIL_SETUP_MISSING = (
    "Set a template for e-mails in Interaction template setup first (the E-Mails field in the Interaction "
    "Template Setup window must be filled in)."
)
EMAIL_MAX_RECIPIENTS = 20
SUBJECT_MAX_LENGTH = 200  # InteractionLogEntry.subject
BODY_MAX_LENGTH = 100_000


def email_attachment_max_bytes() -> int:
    """The project's upload limit for files users hand in (MAX_TEMPLATE_BYTES, docs/SECURITY.md)."""
    return settings.MAX_TEMPLATE_BYTES


def _recipients(to: str | list[str] | None) -> list[str]:
    raw = to if isinstance(to, list) else re.split(r"[,;]", to or "")
    addresses = [header_text(part) for part in raw if header_text(part)]
    if not addresses:
        raise ValidationError({"to": "You must fill in the To field."}, code="required")
    if len(addresses) > EMAIL_MAX_RECIPIENTS:
        raise ValidationError({"to": f"An e-mail can go to at most {EMAIL_MAX_RECIPIENTS} addresses."})
    bad = []
    for address in addresses:
        try:
            validate_email(address)
        except ValidationError:
            bad.append(address)
    if bad:
        raise ValidationError({"to": f"Not an e-mail address: {', '.join(bad)}."}, code="invalid")
    return addresses


def _attachment(attachment: Any) -> Attachment | None:
    """An uploaded file (or an Attachment) within the upload limit, read into memory."""
    if attachment is None:
        return None
    if isinstance(attachment, Attachment):
        filename, content_type, size = attachment.filename, attachment.content_type, len(attachment.content)
    else:
        filename, content_type, size = attachment.name, attachment.content_type, attachment.size
    try:
        check_upload_size(size)  # the one upload limit and message (docs/BEHAVIOUR.md §11)
    except ValidationError as error:
        raise ValidationError({"attachment": error.error_list}) from None
    if size == 0:
        raise ValidationError({"attachment": "The attachment is empty."}, code="empty")
    filename = header_text(os.path.basename((filename or "").replace("\\", "/"))) or "attachment"
    # The file's name says what it is; the type a browser sends is a guess of its own (often text/plain).
    content_type = mimetypes.guess_type(filename)[0] or header_text(content_type or "") or "application/octet-stream"
    if isinstance(attachment, Attachment):
        return Attachment(filename, attachment.content, content_type)
    attachment.seek(0)
    return Attachment(filename, attachment.read(), content_type)


def interaction_send_email(
    contact: Contact,
    *,
    user: User | None,
    to: str | list[str] | None,
    subject: str,
    body: str,
    attachment: Any = None,
) -> InteractionLogEntry:
    """Log a free e-mail to `contact` with the "E-mails" setup template and have it sent after commit.

    1. Refused, nothing written or sent: no setup template (EMAIL_SETUP_MISSING); no or bad recipients (`to`:
       comma-separated, at most EMAIL_MAX_RECIPIENTS); a blank subject; a body over BODY_MAX_LENGTH; an
       attachment over the upload limit or empty; a privacy-blocked contact (interaction_create).
    2. The message (from DEFAULT_FROM_EMAIL, reply to the user's salesperson) is built once and stored as an
       `.eml` StoredDocument, before the transaction (it writes a file).
    3. interaction_create logs it (docs/BEHAVIOUR.md §2): description = the subject (cut to 100), correspondence
       type e-mail, delivery status "in progress", the `.eml` as the entry's document; after commit the delivery
       task sends the stored message (interactions.emails) and sets done, or error with the reason.
    """
    template = InteractionTemplateSetup.template_for(InteractionTemplateSetup.Event.EMAIL)
    if template is None:
        raise ValidationError(EMAIL_SETUP_MISSING, code="no_setup")
    recipients = _recipients(to)
    subject = header_text(subject)
    if not subject:
        raise ValidationError({"subject": "You must fill in the Subject field."}, code="required")
    if len(subject) > SUBJECT_MAX_LENGTH:
        raise ValidationError({"subject": f"The subject can have at most {SUBJECT_MAX_LENGTH} characters."})
    body = (body or "").replace("\r\n", "\n")
    if len(body) > BODY_MAX_LENGTH:
        raise ValidationError({"body": f"The text can have at most {BODY_MAX_LENGTH:,} characters."})
    file = _attachment(attachment)
    contact = Contact.objects.select_related("company", "salesperson").get(pk=contact.pk)
    refuse_privacy_blocked(contact)  # interaction_create checks it again under lock; this is before anything is stored

    own = Salesperson.objects.filter(user=user).first() if getattr(user, "is_authenticated", False) else None
    reply_to = [own.email] if own is not None and own.email else []
    message = build_email(to=recipients, subject=subject, body=body, reply_to=reply_to, attachment=file)
    stored = store_document(eml_bytes(message), filename=f"{_file_name(subject)}.eml", content_type=EML_CONTENT_TYPE)
    return interaction_create(
        contact=contact,
        template=template,
        description=subject[:100],
        user=user,
        subject=subject,
        correspondence_type=CorrespondenceType.EMAIL,
        document=stored,
    )


def _file_name(subject: str) -> str:
    cleaned = re.sub(r'[\\/:*?"<>|]+', " ", subject)
    return " ".join(cleaned.split())[:100] or "E-mail"
