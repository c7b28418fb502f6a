"""Free e-mails written on a contact's page (docs/BEHAVIOUR.md §10, "E-mails"): the message as it is kept.

A free e-mail is built once, kept on its log entry as an `.eml` file (RFC 5322 bytes, the way mail programs
store a message), and sent from those bytes by the delivery task: what the entry's document shows is what the mail
server was given, and a resend sends the same message again (same Message-ID, so the recipient's mail program
can tell it is the same e-mail). Nothing here touches the database.
"""

import email
import email.policy
import re
from dataclasses import dataclass
from email.utils import formatdate, make_msgid

from django.conf import settings
from django.core.mail import EmailMessage

__all__ = ["EML_CONTENT_TYPE", "Attachment", "build_email", "eml_bytes", "email_from_eml", "header_text"]

EML_CONTENT_TYPE = "message/rfc822"
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]+")


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    content_type: str


def header_text(value: str) -> str:
    """One line of header text: user input must not add headers (no line breaks or control characters)."""
    return " ".join(_CONTROL_CHARS.sub(" ", value or "").split())


def build_email(
    *, to: list[str], subject: str, body: str, reply_to: list[str], attachment: Attachment | None
) -> EmailMessage:
    """The message, with its own Message-ID and Date, from DEFAULT_FROM_EMAIL."""
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip(" >") or None
    message = EmailMessage(
        subject=header_text(subject),
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=to,
        reply_to=reply_to,
        headers={"Message-ID": make_msgid(domain=domain), "Date": formatdate(localtime=True)},
    )
    if attachment is not None:
        message.attach(attachment.filename, attachment.content, attachment.content_type)
    return message


def eml_bytes(message: EmailMessage) -> bytes:
    return message.message().as_bytes()


def email_from_eml(raw: bytes, *, connection=None) -> EmailMessage:
    """The stored message as a Django e-mail ready to send: the same headers, body and attachments."""
    parsed = email.message_from_bytes(raw, policy=email.policy.default)

    def addresses(header: str) -> list[str]:
        value = parsed.get(header)
        return [str(address) for address in value.addresses] if value is not None else []

    body_part = parsed.get_body(preferencelist=("plain",))
    message = EmailMessage(
        subject=str(parsed.get("Subject", "")),
        body=body_part.get_content() if body_part is not None else "",
        from_email=str(parsed.get("From", settings.DEFAULT_FROM_EMAIL)),
        to=addresses("To"),
        cc=addresses("Cc"),
        reply_to=addresses("Reply-To"),
        headers={name: str(parsed[name]) for name in ("Message-ID", "Date") if parsed.get(name)},
        connection=connection,
    )
    for part in parsed.iter_attachments():
        message.attach(part.get_filename() or "attachment", part.get_content(), part.get_content_type())
    return message
