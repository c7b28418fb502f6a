"""Cache django-tables2's per-cell signature look-up (installed by crm.apps.CrmConfig.ready).

django-tables2 calls `inspect.signature()` (through `django_tables2.utils.signature`) on a column's render
function, accessor or attribute callable for every cell it renders. A function's signature does not change, so
this computes it once per function (bound methods share their function's entry).

Kept because the benchmark still shows the gain on the tables rendered through django-tables2's cells (sales
documents, worksheets, logged segments, saved criteria, audit, worksheet lines); the tables with a fast body
(crm.tables.BaseTable.cell_html: contacts, log entries) barely call it. Figures and how to re-measure:
docs/PERFORMANCE.md, "List tables".

Upstream: django-tables2 could make this change itself and this module would go. In `django_tables2/utils.py`,
memoise `signature(fn)` per underlying function (`functools.lru_cache` keyed on `fn.__func__` for bound methods,
dropping the first argument there, and on `fn` for plain functions; callables that are not functions uncached),
since `call_with_appropriate` calls it once per cell and the result depends only on the function.
"""

import functools
import inspect

from django_tables2 import utils

_original_signature = utils.signature


@functools.lru_cache(maxsize=4096)
def _cached(func, bound: bool):
    args, keywords = _original_signature(func)
    return (args[1:] if bound and args else args), keywords


def signature(fn):
    func = getattr(fn, "__func__", None)
    if func is not None and inspect.isfunction(func):
        return _cached(func, True)
    if inspect.isfunction(fn):
        return _cached(fn, False)
    return _original_signature(fn)


def install() -> None:
    utils.signature = signature
