"""Two people printing the same quote at the same moment get versions 1 and 2, never the same one twice."""

from crm import services
from crm.models import SalesDocument
from interactions.models import InteractionLogEntry
from tests.factories import (
    InteractionTemplateFactory,
    InteractionTemplateSetupFactory,
    SalesDocumentFactory,
    SalesDocumentLineFactory,
)
from tests.pdf_helpers import needs_pdf
from tests.row_locks import NEEDS_ROW_LOCKS, raised, run_together

pytestmark = [*NEEDS_ROW_LOCKS, needs_pdf]


def test_two_simultaneous_prints_of_a_quote_get_two_different_versions(salesperson_user):
    InteractionTemplateSetupFactory(event="sales_quote", template=InteractionTemplateFactory())
    quote = SalesDocumentFactory(kind="quote")
    SalesDocumentLineFactory.create_batch(5, document=quote)
    first, second = (SalesDocument.objects.get(pk=quote.pk) for _ in range(2))  # both loaded the page first

    outcomes = run_together(
        lambda: services.document_print(first, user=salesperson_user),
        lambda: services.document_print(second, user=salesperson_user),
    )

    assert raised(outcomes) == []
    quote.refresh_from_db()
    assert (quote.printed_versions, quote.no_printed) == (2, 2)
    assert sorted(InteractionLogEntry.objects.values_list("version_no", flat=True)) == [1, 2]
