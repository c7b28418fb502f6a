"""Demo data for `manage.py seed_demo`: contacts, templates with Word letters, log entries, documents, worksheets.

Not part of the product: it sits on top of the apps (demo → segments → interactions → crm), and none of them
imports it.
"""
