"""Receivers for crm's signals. They only call services."""

from django.dispatch import receiver

from crm.models import SalesDocument
from crm.signals import document_printed

from .services.document_logging import log_printed_document


@receiver(document_printed, sender=SalesDocument, dispatch_uid="interactions.record_printed_document")
def record_printed_document(sender, *, document, user, pdf, version_no, emailed=False, **kwargs):
    return log_printed_document(document=document, user=user, pdf=pdf, version_no=version_no, emailed=emailed)
