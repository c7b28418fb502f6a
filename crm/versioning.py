"""Optimistic locking for edit forms (issue 14, lost updates; docs/SECURITY.md).

An edit form carries the row's `row_version` as it was when the page was opened; the service locks the row and
compares. A different number means someone saved in between: the save is refused, nothing is changed, and the
page shows the user's input again with the message below.
"""

from django.core.exceptions import ValidationError

STALE_MESSAGE = (
    "{what} was changed by someone else since you opened it. Reload it to see their changes, then make yours again."
)


def ensure_version(stored, row_version: int | None, *, what: str) -> None:
    """Refuse when the form's `row_version` is not the locked row's current one (None: the caller has no form)."""
    if row_version is not None and row_version != stored.row_version:
        raise ValidationError(STALE_MESSAGE.format(what=what), code="stale")
