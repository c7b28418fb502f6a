"""The registered operations, one module per area; `manage.py bench` imports the modules listed here."""

# In the layer order of what they measure (crm, then interactions, then segments): operations with the same
# `order` run in the order their modules are imported.
MODULES = ("contacts", "printing", "entries", "merge", "letter_pdf", "criteria", "segment_logging")
