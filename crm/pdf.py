"""HTML to PDF with WeasyPrint. Pure: takes rendered HTML, returns bytes; knows nothing of the ORM.

WeasyPrint is imported lazily: it needs Pango at import time, and a server without it must still start (it
then refuses to print with a clear message instead of failing at boot).
"""

import logging
import os
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any

# WeasyPrint logs every layout step at INFO, and fontTools (which cuts the fonts where HarfBuzz's subsetter is not
# installed: docs/DEPLOY.md) every step of every cut, about 140 lines a print; keep the server log for what matters.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
logging.getLogger("fontTools").setLevel(logging.WARNING)

UNAVAILABLE_MESSAGE = "PDF printing is not available on this server: {reason}"


class PdfUnavailableError(RuntimeError):
    """WeasyPrint (or the Pango library it needs) cannot be loaded here."""


# Built once per process: font discovery is the slow part of WeasyPrint's start-up.
FONT_CONFIG = None
_lock = threading.Lock()
_stylesheets: dict[tuple[str, float], object] = {}
_fetcher = None
_html_class = None

# WeasyPrint's user-agent stylesheet styles ::marker, ::footnote-call, ::footnote-marker, ::note-call, ::note-marker
# and ::note-callback with universal selectors, so every element gets six pseudo-element styles computed on each
# render (654 of the 727 styles of a one-page invoice) and more objects for the garbage collector to walk
# (docs/PERFORMANCE.md, "Print one invoice PDF"). Our PDF stylesheets use no footnotes or notes and our templates
# no lists (tests/crm/test_document_printing.py holds both, and that the bytes printed do not change), so those
# rules are dropped and ::marker is kept for <li> and <summary> only.
_UNUSED_PSEUDO_RULE = re.compile(
    r"^::(?:footnote-call|footnote-marker|note-call|note-marker|note-callback) \{[^}]*\}\n", re.M
)
_MARKER_RULE = re.compile(r"^::marker \{", re.M)


def _weasyprint():
    try:
        import weasyprint
    except (ImportError, OSError) as error:  # OSError: the shared library (Pango) is missing
        raise PdfUnavailableError(UNAVAILABLE_MESSAGE.format(reason=error)) from error
    return weasyprint


def pdf_unavailable_reason() -> str | None:
    """None when PDFs can be printed here, else the sentence saying why not."""
    try:
        _weasyprint()
    except PdfUnavailableError as error:
        return str(error)
    return None


def _font_config(weasyprint):
    global FONT_CONFIG
    if FONT_CONFIG is None:
        from weasyprint.text.fonts import FontConfiguration

        FONT_CONFIG = FontConfiguration()
    return FONT_CONFIG


def _refusing_fetcher():
    """Documents load nothing from outside: a contact's data can never make the renderer read a file or URL."""
    global _fetcher
    if _fetcher is not None:
        return _fetcher
    try:
        from weasyprint.urls import URLFetcher
    except ImportError:  # WeasyPrint < 68 takes a plain function

        def refuse(url, *args, **kwargs):
            raise ValueError(f"External resources are not loaded in documents: {url}")

        _fetcher = refuse
    else:

        class RefusingFetcher(URLFetcher):
            def fetch(self, url, headers=None):
                raise ValueError(f"External resources are not loaded in documents: {url}")

        _fetcher = RefusingFetcher()
    return _fetcher


def _lean_ua_stylesheet(weasyprint):
    """WeasyPrint's user-agent stylesheet without the universal pseudo-element rules (see _UNUSED_PSEUDO_RULE);
    None when this WeasyPrint's stylesheet does not have them in the expected form (then its own is used)."""
    from importlib.resources import files

    from weasyprint.css.counters import CounterStyle

    text = (files("weasyprint.css") / "html5_ua.css").read_text("utf-8")
    text, dropped = _UNUSED_PSEUDO_RULE.subn("", text)
    text, markers = _MARKER_RULE.subn("li::marker, summary::marker {", text)
    if dropped != 5 or markers != 1:
        return None
    return weasyprint.CSS(string=text, counter_style=CounterStyle())


def _html_type(weasyprint):
    """weasyprint.HTML, with the lean user-agent stylesheet where this WeasyPrint allows it.

    `_ua_stylesheets` is the method WeasyPrint's HTML asks for its user-agent stylesheets; an upgrade that renames
    it or changes those rules leaves printing on WeasyPrint's own stylesheet, which
    tests/crm/test_document_printing.py reports.
    """
    global _html_class
    if _html_class is None:
        ua_sheet = _lean_ua_stylesheet(weasyprint)
        if ua_sheet is None or not hasattr(weasyprint.HTML, "_ua_stylesheets"):
            _html_class = weasyprint.HTML
        else:
            html_base: Any = weasyprint.HTML

            class LeanHTML(html_base):
                def _ua_stylesheets(self, forms=False):
                    return [ua_sheet, *super()._ua_stylesheets(forms)[1:]]

            _html_class = LeanHTML
    return _html_class


def _stylesheet(weasyprint, path: str):
    """Parsed once per file version (parsing the CSS costs more than laying out a one-page document)."""
    key = (path, os.path.getmtime(path))
    sheet = _stylesheets.get(key)
    if sheet is None:
        with open(path, encoding="utf-8") as handle:
            css = handle.read()
        sheet = weasyprint.CSS(string=css, font_config=_font_config(weasyprint), url_fetcher=_refusing_fetcher())
        _stylesheets[key] = sheet
    return sheet


def render_pdf(html: str, *, base_url, stylesheets: Sequence[str] = ()) -> bytes:
    """Render an HTML document (and the CSS files at `stylesheets`) to PDF bytes.

    Raises PdfUnavailableError when WeasyPrint cannot run on this server.
    """
    return render_pdf_counted(html, base_url=base_url, stylesheets=stylesheets)[0]


def render_pdf_counted(html: str, *, base_url, stylesheets: Sequence[str] = ()) -> tuple[bytes, int]:
    """render_pdf, and the number of pages it laid out (for documents that must fit a page each)."""
    weasyprint = _weasyprint()
    # FontConfiguration and the stylesheet cache are shared; WeasyPrint's layout is not known to be thread-safe
    # with a shared font configuration, so renders in one process take turns (a render is short: docs/PERFORMANCE.md).
    with _lock:
        font_config = _font_config(weasyprint)
        sheets = [_stylesheet(weasyprint, path) for path in stylesheets]
        document = _html_type(weasyprint)(string=html, base_url=str(base_url), url_fetcher=_refusing_fetcher())
        rendered = document.render(stylesheets=sheets, font_config=font_config)
        return rendered.write_pdf(), len(rendered.pages)


def render_pdf_batches(
    htmls: Iterable[str],
    *,
    base_url,
    stylesheets: Sequence[str] = (),
    target,
    progress: Callable[[int, int], None] | None = None,
) -> None:
    """Render several HTML documents into one PDF written to `target` (a binary file), in order.

    For many pages (a worksheet's cover sheets): each batch is laid out on its own, taking turns with other
    renders in this process batch by batch rather than for the whole run, and `progress(n, pages)` is called
    after each with the number of batches laid out so far and the pages of the last one (it may raise to stop).
    The pages are then written as one document.
    """
    weasyprint = _weasyprint()
    documents = []
    for html in htmls:
        with _lock:
            font_config = _font_config(weasyprint)
            sheets = [_stylesheet(weasyprint, path) for path in stylesheets]
            document = _html_type(weasyprint)(string=html, base_url=str(base_url), url_fetcher=_refusing_fetcher())
            documents.append(document.render(stylesheets=sheets, font_config=font_config))
        if progress is not None:
            progress(len(documents), len(documents[-1].pages))
    if not documents:
        raise ValueError("There is nothing to print.")
    pages = [page for document in documents for page in document.pages]
    with _lock:
        documents[0].copy(pages).write_pdf(target)
