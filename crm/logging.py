"""Structured log lines: one record, one line, on stdout.

`KeyValueFormatter` (the default, "logfmt") writes

    ts=2025-01-31T10:15:02.123Z level=INFO logger=crm.request msg=request method=GET path=/interactions/
    status=200 duration_ms=12.4 user=7        (on one line)

so `grep 'status=5'` finds the failures and `grep user=7` one user's requests; `JsonFormatter` writes the same
fields as one JSON object per line for a log shipper. Fields passed with `logger.info(..., extra={...})` become
keys; a traceback is kept on the same line (newlines escaped), so a record never spans lines.

No Django imports: gunicorn.conf.py uses these formatters for gunicorn's own messages before Django starts.
"""

import json
import logging
import unicodedata
from datetime import UTC, datetime

# Attributes every LogRecord has; anything else on a record came from `extra=` and is printed as a field.
_STANDARD_ATTRIBUTES = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", (), None)).keys() | {"message", "asctime", "taskName"}
)


def record_fields(record: logging.LogRecord) -> dict[str, object]:
    """The record as ordered fields: ts, level, logger, msg, then the extras, then exc."""
    fields: dict[str, object] = {
        "ts": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "level": record.levelname,
        "logger": record.name,
        "msg": record.getMessage(),
    }
    for key, value in vars(record).items():
        if key not in _STANDARD_ATTRIBUTES and not key.startswith("_"):
            fields[key] = value
    if record.exc_info:
        fields["exc"] = logging.Formatter().formatException(record.exc_info)
    elif record.stack_info:
        fields["stack"] = record.stack_info
    return fields


_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _is_control(char: str) -> bool:
    """A character that could forge or hide part of a log line: C0/C1 controls (ESC starts terminal sequences),
    line and paragraph separators, and format characters (bidi overrides and isolates reorder what a reader sees)."""
    return unicodedata.category(char) in _CONTROL_CATEGORIES


_CONTROL_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})


def escape_controls(text: str, *, minimum: int = 0) -> str:
    """`text` with every control character from code point `minimum` up written as an escape (`\\n`, `\\x1b`,
    `\\u202e`, a backslash as two), so one record stays one readable line whatever a user typed into a name."""
    if text.isascii() and text.isprintable() and "\\" not in text:
        return text
    return "".join(
        _escape_char(char) if (char == "\\" and not minimum) or (ord(char) >= minimum and _is_control(char)) else char
        for char in text
    )


def _escape_char(char: str) -> str:
    if char in _ESCAPES:
        return _ESCAPES[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def _logfmt_value(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.1f}"
    text = str(value)
    if text and not any(char in ' ="\\' or _is_control(char) for char in text):
        return text
    return '"' + escape_controls(text).replace('"', '\\"') + '"'


class KeyValueFormatter(logging.Formatter):
    """`key=value` pairs separated by spaces; values with spaces, quotes or newlines are quoted and escaped."""

    def format(self, record: logging.LogRecord) -> str:
        return " ".join(f"{key}={_logfmt_value(value)}" for key, value in record_fields(record).items())


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with the same fields as KeyValueFormatter."""

    def format(self, record: logging.LogRecord) -> str:
        # json.dumps escapes the C0 controls itself; the others (DEL, C1, separators, bidi) are escaped here, so
        # a reader decoding the line sees `\u202e`, not the character.
        fields = {
            key: escape_controls(value, minimum=0x7F) if isinstance(value, str) else value
            for key, value in record_fields(record).items()
        }
        return json.dumps(fields, default=str, ensure_ascii=False)


# The request this process is serving now (gunicorn's sync workers serve one at a time), as a callable giving its
# log fields: set by crm.middleware.RequestLogMiddleware, cleared when the response is closed (streamed bodies
# included), so gunicorn's worker_abort hook can log the request it kills (gunicorn.conf.py).
_in_flight: dict[str, object] = {}


def request_in_flight(describe) -> None:
    """Note the request being served: `describe()` gives its log fields (method, path, duration_ms, user)."""
    _in_flight.clear()
    _in_flight["describe"] = describe


def request_done() -> None:
    _in_flight.clear()


def request_was_aborted() -> bool:
    return bool(_in_flight.get("aborted"))


def log_aborted_request(*, reason: str) -> None:
    """Log the request in flight as failed (status 504, `aborted=<reason>`): the worker serving it is being killed,
    so the request never gets a line of its own, or had one saying 200 for a response still streaming."""
    describe = _in_flight.get("describe")
    fields = dict(describe()) if callable(describe) else {}
    _in_flight["aborted"] = True
    fields.update(status=504, aborted=reason)
    logging.getLogger("crm.request").error("request", extra=fields)
