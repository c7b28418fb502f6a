"""The privacy block: a privacy-blocked contact gets no new interaction from any path (docs/BEHAVIOUR.md §1).

Create interaction, a worksheet line, logging a segment and a printed document all refuse with this one message
(Business Central's wording) and the code `privacy_blocked`.
"""

from django.core.exceptions import ValidationError

PRIVACY_BLOCKED = "You cannot use contact {no} {name} because they are marked as blocked due to privacy."


def privacy_blocked_message(contact) -> str:
    return PRIVACY_BLOCKED.format(no=contact.no, name=contact.name)


def privacy_blocked_error(contact, *, advice: str = "") -> ValidationError:
    """The refusal for `contact`; `advice` (a sentence) says what to do where there is something to do."""
    message = privacy_blocked_message(contact)
    return ValidationError(f"{message} {advice}" if advice else message, code="privacy_blocked")


def refuse_privacy_blocked(contact) -> None:
    if contact.privacy_blocked:
        raise privacy_blocked_error(contact)
