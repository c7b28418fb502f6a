"""Receivers for crm's signals. They only call services (STYLE.md 8)."""
