"""Two people printing the same quote at the same moment get versions 1 and 2, never the same one twice."""

import threading

import pytest
from django.db import connections

from crm import services
from crm.models import SalesDocument
from crm.pdf import pdf_unavailable_reason
from interactions.models import InteractionLogEntry
from tests.factories import (
    InteractionTemplateFactory,
    InteractionTemplateSetupFactory,
    SalesDocumentFactory,
    SalesDocumentLineFactory,
)
from tests.row_locks import NEEDS_ROW_LOCKS

pytestmark = [
    *NEEDS_ROW_LOCKS,
    pytest.mark.skipif(pdf_unavailable_reason() is not None, reason=pdf_unavailable_reason() or ""),
]


def test_two_simultaneous_prints_of_a_quote_get_two_different_versions(salesperson_user):
    InteractionTemplateSetupFactory(event="sales_quote", template=InteractionTemplateFactory())
    quote = SalesDocumentFactory(kind="quote")
    SalesDocumentLineFactory.create_batch(5, document=quote)
    start = threading.Barrier(2)
    errors: list[Exception] = []

    def click():
        try:
            copy = SalesDocument.objects.get(pk=quote.pk)  # both loaded the page before either printed
            start.wait()
            services.document_print(copy, user=salesperson_user)
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=click) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    quote.refresh_from_db()
    assert (quote.printed_versions, quote.no_printed) == (2, 2)
    assert sorted(InteractionLogEntry.objects.values_list("version_no", flat=True)) == [1, 2]
