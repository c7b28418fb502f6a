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


_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"})


def _logfmt_value(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.1f}"
    text = str(value)
    if text and not any(char in text for char in ' ="\\\n\r\t'):
        return text
    return '"' + text.translate(_ESCAPES) + '"'


class KeyValueFormatter(logging.Formatter):
    """`key=value` pairs separated by spaces; values with spaces, quotes or newlines are quoted and escaped."""

    def format(self, record: logging.LogRecord) -> str:
        return " ".join(f"{key}={_logfmt_value(value)}" for key, value in record_fields(record).items())


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with the same fields as KeyValueFormatter."""

    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(record_fields(record), default=str, ensure_ascii=False)
