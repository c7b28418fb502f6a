"""Cache django-tables2's per-cell signature look-up.

django-tables2 calls `inspect.signature()` on a column's render function for every cell; on a 50-row page of
ten columns that is 500 signature computations, a third of the table's render time. A function's signature does
not change, so we compute it once per function (bound methods share their function's entry).
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
