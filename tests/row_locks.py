"""The marks of a test that needs row locks: real concurrent transactions, which only PostgreSQL gives here; and
running jobs at the same moment, each on its own database connection."""

import threading
from collections.abc import Callable

import pytest
from django.db import connection, connections

NEEDS_ROW_LOCKS = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="SQLite has no row locks (it serialises writers); the concurrency tests need PostgreSQL.",
    ),
]


def run_together(*jobs: Callable[[], object], timeout: float = 120) -> list[object]:
    """Run each job in its own thread (its own database connection), all released at once; what each returned, or
    the exception it raised, in the order of the jobs."""
    start = threading.Barrier(len(jobs))
    outcomes: list[object] = [None] * len(jobs)

    def worker(index: int, job: Callable[[], object]) -> None:
        try:
            start.wait()
            outcomes[index] = job()
        except BaseException as error:  # noqa: BLE001 - reported by the test
            outcomes[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(index, job)) for index, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck (deadlock?)"
    return outcomes


def raised(outcomes: list[object]) -> list[BaseException]:
    """The exceptions among run_together's outcomes."""
    return [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
