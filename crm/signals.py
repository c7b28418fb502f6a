"""crm's signals. The one signal that carries domain flow (docs/BEHAVIOUR.md §10): crm stays independent of
interactions.

`document_printed(sender=SalesDocument, document, user, pdf, version_no, emailed)` is sent inside the
transaction of a real print or e-mail, after the PDF was rendered. A receiver may refuse the print by raising
ValidationError: the transaction rolls back and nothing is recorded (not the print counter either).
"""

from django.dispatch import Signal

document_printed = Signal()
