"""Demo sales documents: a handful of each kind with realistic lines (called by `manage.py seed_demo`).

Idempotent: documents are only added while there are fewer than the wanted number of each kind.
"""

import datetime
import random
from decimal import Decimal

from django.utils import timezone

from crm.document_printing import document_create
from crm.models import Contact, SalesDocument

PER_KIND = 4
CATALOGUE = [
    ("Stainless steel hex bolts M8 x 40, DIN 933, box of 100", Decimal("18.90")),
    ("Hex nuts M8, zinc plated, DIN 934, box of 200", Decimal("9.40")),
    ("Industrial shelving unit, 2000 x 1000 x 500 mm, 5 shelves", Decimal("289.00")),
    ("Pallet racking beam, 2700 mm, pair", Decimal("74.50")),
    ("Safety gloves, cut level C, size 9, pack of 12 pairs", Decimal("46.80")),
    ("Cordless drill driver 18 V with two batteries and charger", Decimal("219.00")),
    ("Installation on site, per hour", Decimal("85.00")),
    ("Delivery and unloading, Greater London", Decimal("120.00")),
    ("Annual maintenance contract, warehouse equipment", Decimal("1450.00")),
    ("LED high-bay luminaire 150 W, 4000 K", Decimal("164.00")),
    ("Anti-fatigue floor mat, 900 x 1500 mm", Decimal("58.20")),
    ("Labelling system for racking, 500 labels with barcodes", Decimal("95.00")),
]
QUANTITIES = [1, 1, 2, 4, 5, 10, 25]
REFERENCES = ["PO 4711", "RFQ 2026-118", "Framework 2026", "Call-off 7", "Ticket 5532", ""]


def seed(stdout, **options) -> None:
    rng = random.Random(5)
    contacts = list(Contact.objects.filter(privacy_blocked=False).select_related("company").order_by("id")[:60])
    if not contacts:
        stdout.write("Sales documents: no contacts yet, skipped.")
        return
    added = 0
    today = timezone.localdate()
    for kind in SalesDocument.Kind.values:
        missing = PER_KIND - SalesDocument.objects.filter(kind=kind).count()
        for index in range(max(missing, 0)):
            contact = rng.choice(contacts)
            count = 40 if index == 0 and kind == SalesDocument.Kind.INVOICE else rng.randint(2, 9)
            lines = [
                {"description": description, "quantity": Decimal(rng.choice(QUANTITIES)), "unit_price": price}
                for description, price in (rng.choice(CATALOGUE) for _ in range(count))
            ]
            date = today - datetime.timedelta(days=rng.randint(0, 60))
            document_create(
                kind=kind,
                contact=contact,
                user=None,
                lines=lines,
                date=date,
                due_date=date + datetime.timedelta(days=30 if kind == SalesDocument.Kind.QUOTE else 14),
                your_reference=rng.choice(REFERENCES),
            )
            added += 1
    stdout.write(f"Sales documents: {added} added ({PER_KIND} of each type wanted).")
