"""The benchmarks of SPEC.md's budgets: the harness (`registry.py`), the registered operations (`benchmarks/`)
and `manage.py bench`, which records them in docs/PERFORMANCE.md.

Not part of the product: it sits on top of the apps (bench → demo, segments → interactions → crm), and none of
them imports it.
"""
