"""The marks of a test that needs row locks: real concurrent transactions, which only PostgreSQL gives here."""

import pytest
from django.db import connection

NEEDS_ROW_LOCKS = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="SQLite has no row locks (it serialises writers); the concurrency tests need PostgreSQL.",
    ),
]
