"""The sales document form as POST data, shared by the page tests and the form-length tests."""


def sales_document_form(contact_no: str, **overrides) -> dict:
    """A quote with two lines (and one blank line form), for the contact with this number."""
    data = {
        "kind": "quote",
        "contact_no": contact_no,
        "date": "2026-04-01",
        "due_date": "2026-05-01",
        "your_reference": "RFQ 12",
        "salesperson": "",
        "vat_percent": "20",
        "lines-TOTAL_FORMS": "3",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "500",
        "lines-0-description": "Shelving unit",
        "lines-0-quantity": "3",
        "lines-0-unit_price": "289.00",
        "lines-1-description": "Delivery",
        "lines-1-quantity": "",
        "lines-1-unit_price": "120",
        "lines-2-description": "",
        "lines-2-quantity": "",
        "lines-2-unit_price": "",
    }
    data.update(overrides)
    return data
