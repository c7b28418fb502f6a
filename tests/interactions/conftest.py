"""Fixtures of the interactions tests."""

import pytest


@pytest.fixture
def person():
    """Ada Lovelace, with an e-mail address and her own salesperson (JS). A module may have its own `person`."""
    from tests.factories import PersonFactory, SalespersonFactory

    return PersonFactory(name="Ada Lovelace", email="ada@example.com", salesperson=SalespersonFactory(code="JS"))


@pytest.fixture
def queued_deliveries(monkeypatch) -> list[list[int]]:
    """The batches of entry ids handed to the delivery task (interactions.tasks.deliver_entries), recorded there
    instead of being sent."""
    from interactions.services import delivery as delivery_service

    enqueued: list[list[int]] = []

    class RecordingTask:
        enqueue = staticmethod(enqueued.append)

    monkeypatch.setattr(delivery_service, "deliver_entries", RecordingTask)
    return enqueued
