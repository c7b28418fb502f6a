"""The SQL that resolves each worksheet line into its log entry's values (docs/BEHAVIOUR.md §3, §4, §7).

Why raw SQL: logging 100,000 lines has a budget (docs/PERFORMANCE.md) that bulk_create from Python objects
cannot meet, so the rows never leave the database: one INSERT … SELECT joins each line with its segment header,
contact, template and language variants and resolves every value in SQL. The expressions mirror the Python rules
in `interactions.letters` (tests check that both agree). The Log dialog asks the same resolution whether any
line has a correspondence type.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from django.db import connection
from django.utils import timezone

from crm.models import Contact
from interactions.letters import NO_CORRESPONDENCE_TYPE
from interactions.models import (
    DeliveryStatus,
    InteractionLogEntry,
    InteractionTemplate,
    InteractionTemplateLanguage,
    LoggedSegment,
)

from ..models import Segment, SegmentLine

if TYPE_CHECKING:
    from django.contrib.auth.models import User

__all__ = [
    "EntryRows",
    "email_lines_without_address_sql",
    "entries_insert",
    "entry_rows",
    "lines_typed_without_letter",
    "lines_with_correspondence_type_exist",
    "resolved_line_ids_sql",
]

_LINE = SegmentLine._meta.db_table
_SEGMENT = Segment._meta.db_table
_CONTACT = Contact._meta.db_table
_TEMPLATE = InteractionTemplate._meta.db_table
_VARIANT = InteractionTemplateLanguage._meta.db_table
_ENTRY = InteractionLogEntry._meta.db_table

# The line names its own template, different from the header's: header defaults derived from the header's
# template (cost, duration, flow, initiated by, subject, language) do not apply to it.
_OWN_TEMPLATE = "(l.template_id IS NOT NULL AND (s.template_id IS NULL OR l.template_id <> s.template_id))"

# docs/BEHAVIOUR.md §3, first rule that applies wins; a line's own type overrides them all; without a letter (the
# line's own, the variant's of the entry's language, the template's) the type is blank.
_HAS_LETTER = "(l.letter_id IS NOT NULL OR COALESCE(t.attachment, '') <> '' OR COALESCE(rl.attachment, '') <> '')"
_RAW_CORRESPONDENCE = f"""CASE
    WHEN NOT {_HAS_LETTER} OR l.correspondence_type = '{NO_CORRESPONDENCE_TYPE}' THEN ''
    WHEN l.correspondence_type <> '' THEN l.correspondence_type
    WHEN s.ignore_contact_correspondence_type AND s.correspondence_type <> '' THEN s.correspondence_type
    WHEN t.ignore_contact_correspondence_type OR (c.correspondence_type = '' AND t.correspondence_type <> '')
        THEN t.correspondence_type
    WHEN c.correspondence_type <> '' THEN c.correspondence_type
    ELSE s.correspondence_type
END"""

# docs/BEHAVIOUR.md §4: the line's language, else the contact's if the template has that variant, else the header's
# default (when the line uses the header's template), else the template's default.
_LANGUAGE = f"""COALESCE(
    NULLIF(l.language_code, ''), cl.language_code,
    NULLIF(CASE WHEN {_OWN_TEMPLATE} THEN '' ELSE s.language_code END, ''), t.language_code, ''
)"""


# docs/BEHAVIOUR.md §4 Subject: the line's, else the header's, else the variant's of the entry's language, else
# the template's. A header subject that is the template's own (copied when the template was chosen, not typed by
# hand) gives way to the variant's subject, so a German line gets the German subject (reference scenario 25).
_SUBJECT = f"""COALESCE(
    NULLIF(l.subject, ''),
    NULLIF(CASE
        WHEN {_OWN_TEMPLATE} THEN ''
        WHEN s.subject = COALESCE(t.subject, '') AND COALESCE(rl.subject, '') <> '' THEN ''
        ELSE s.subject
    END, ''),
    NULLIF(rl.subject, ''), t.subject, ''
)"""


def _correspondence_sql(*, send: bool) -> str:
    # An e-mail line whose contact has no address: blank when not sending; kept (and refused) when sending.
    if send:
        return f"({_RAW_CORRESPONDENCE})"
    return f"(CASE WHEN ({_RAW_CORRESPONDENCE}) = 'email' AND c.email = '' THEN '' ELSE ({_RAW_CORRESPONDENCE}) END)"


def _header_or_template(column: str) -> str:
    return f"COALESCE(NULLIF(CASE WHEN {_OWN_TEMPLATE} THEN '' ELSE s.{column} END, ''), t.{column}, '')"


def _header_or_template_number(column: str) -> str:
    # The header's 0 means "not set" (its default): the template's value applies then.
    header = f"COALESCE(NULLIF(s.{column}, 0), t.{column})"
    return f"COALESCE(l.{column}, CASE WHEN {_OWN_TEMPLATE} THEN t.{column} ELSE {header} END, 0)"


def _resolution_query(segment: Segment, *, select: str, where: str = "") -> tuple[str, list]:
    sql = f"""
        SELECT {select}
        FROM {_LINE} l
        JOIN {_SEGMENT} s ON s.id = l.segment_id
        JOIN {_CONTACT} c ON c.id = l.contact_id
        LEFT JOIN {_TEMPLATE} t ON t.id = COALESCE(l.template_id, s.template_id)
        LEFT JOIN {_VARIANT} cl ON cl.template_id = t.id AND cl.language_code = c.language_code
        LEFT JOIN {_VARIANT} rl ON rl.template_id = t.id AND rl.language_code = {_LANGUAGE}
        WHERE l.segment_id = %s {"AND " + where if where else ""}
    """
    return sql, [segment.pk]


def lines_with_correspondence_type_exist(segment: Segment) -> bool:
    """Whether any line of the segment resolves to a correspondence type (the Log dialog's Send needs one)."""
    sql, params = _resolution_query(segment, select="1", where=f"{_correspondence_sql(send=False)} <> ''")
    with connection.cursor() as cursor:
        cursor.execute(sql + " LIMIT 1", params)
        return cursor.fetchone() is not None


def lines_typed_without_letter(segment: Segment, *, limit: int) -> list[tuple[str, str, str]]:
    """Lines given a correspondence type of their own (hard copy or e-mail) that have no letter at all: not the
    line's own, not the variant's of its language, not the template's. (contact no., name, type), at most `limit`,
    in line order. Logging with Send refuses them (docs/BEHAVIOUR.md §7, reference scenario 52)."""
    # "none" is no type at all (a way out of Send's refusal, unsendable_lines).
    where = f"l.correspondence_type <> '' AND l.correspondence_type <> '{NO_CORRESPONDENCE_TYPE}' AND NOT {_HAS_LETTER}"
    sql, params = _resolution_query(segment, select="c.no, c.name, l.correspondence_type", where=where)
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} ORDER BY l.id LIMIT %s", [*params, limit])
        return [tuple(row) for row in cursor.fetchall()]


def resolved_line_ids_sql(
    segment: Segment, *, correspondence_type: str | None = None, language_code: str | None = None
) -> tuple[str, list]:
    """SQL selecting the ids of the segment's lines that resolve, as the worksheet shows them (an e-mail line
    whose contact has no address shows blank), to this correspondence type ("" for none) and language: the
    worksheet's filters (`segments.filters.SegmentLineFilter`) use it in `pk__in`."""
    conditions, params = [], []
    if correspondence_type is not None:
        conditions.append(f"{_correspondence_sql(send=False)} = %s")
        params.append(correspondence_type)
    if language_code is not None:
        conditions.append(f"{_LANGUAGE} = %s")
        params.append(language_code)
    sql, segment_params = _resolution_query(segment, select="l.id", where=" AND ".join(conditions))
    return sql, segment_params + params


def email_lines_without_address_sql(segment: Segment) -> tuple[str, list]:
    """SQL selecting the ids of the lines that would be sent by e-mail though their contact has no e-mail address:
    what logging with Send refuses (docs/BEHAVIOUR.md §7). Privacy-blocked contacts are refused for that first."""
    return _resolution_query(
        segment, select="l.id", where=f"c.email = '' AND NOT c.privacy_blocked AND ({_RAW_CORRESPONDENCE}) = 'email'"
    )


def entries_insert(segment: Segment, logged: LoggedSegment, *, user: User | None, send: bool) -> int:
    """One INSERT … SELECT: a log entry per line of the segment, in line order. Returns the number inserted.

    Lines of privacy-blocked contacts are left out; segment_log refuses the segment when any were.
    """
    rows = entry_rows(segment, logged, user=user, send=send)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {_ENTRY} ({', '.join(rows.columns)}) {rows.select}", rows.params)
        return cursor.rowcount


class EntryRows(NamedTuple):
    """A SELECT yielding one log entry row per line, in line order, for an `INSERT INTO … (columns) SELECT …`."""

    columns: list[str]  # the entry table's columns, in the SELECT's order
    select: str
    params: list


def entry_rows(segment: Segment, logged: LoggedSegment, *, user: User | None, send: bool) -> EntryRows:
    """The log entry rows of the segment's lines as one SELECT (`entries_insert` inserts them; the benchmark
    inserts the same rows into a scratch table to compare)."""
    ops = connection.ops
    now = timezone.now()
    today = timezone.localdate(now)
    time_of_day = timezone.localtime(now).time().replace(microsecond=0)
    correspondence = _correspondence_sql(send=send)
    if connection.vendor == "postgresql":
        personal_note = "jsonb_build_object('personal_note', l.personal_note)"
    else:
        personal_note = "json_object('personal_note', l.personal_note)"
    delivery = f"CASE WHEN {correspondence} = 'email' THEN %s ELSE '' END" if send else "''"
    columns_and_values = [
        ("contact_id", "l.contact_id"),
        ("contact_company_id", "COALESCE(c.company_id, c.id)"),
        ("date", "COALESCE(l.date, s.date, %s)"),
        ("time", "%s"),
        ("template_id", "t.id"),
        ("group_id", "t.group_id"),
        ("language_code", _LANGUAGE),
        ("description", "COALESCE(NULLIF(l.description, ''), NULLIF(s.description, ''), t.description, '')"),
        ("subject", _SUBJECT),
        ("information_flow", _header_or_template("information_flow")),
        ("initiated_by", _header_or_template("initiated_by")),
        ("attempt_failed", "%s"),
        ("cost", _header_or_template_number("unit_cost")),
        ("duration_minutes", _header_or_template_number("unit_duration_minutes")),
        ("correspondence_type", correspondence),
        ("delivery_status", delivery),
        ("delivery_error", "''"),
        ("evaluation", "''"),
        ("salesperson_id", "COALESCE(l.salesperson_id, s.salesperson_id, c.salesperson_id)"),
        ("user_id", "%s"),
        ("segment_no", "s.no"),
        ("logged_segment_id", "%s"),
        ("document_type", "''"),
        ("document_no", "''"),
        ("version_no", "0"),
        ("document_id", "NULL"),
        # The line's own letter replaces the template letter: it is merged (it may hold merge fields) with this
        # contact's values like a template, and delivered the same way.
        ("merge_template_id", "l.letter_id"),
        # The personal note travels on the entry: the worksheet is gone when the job merges the letters.
        ("merge_values", f"CASE WHEN l.personal_note <> '' THEN {personal_note} END"),
        ("canceled", "%s"),
        ("canceled_at", "NULL"),
        ("canceled_by_id", "NULL"),
        ("created_at", "%s"),
    ]
    params = [
        ops.adapt_datefield_value(today),
        ops.adapt_timefield_value(time_of_day),
        False,
    ]
    if send:
        params.append(DeliveryStatus.IN_PROGRESS)
    params += [user.pk if user else None, logged.pk, False, ops.adapt_datetimefield_value(now)]
    select, select_params = _resolution_query(
        segment, select=",\n".join(v for _, v in columns_and_values), where="NOT c.privacy_blocked"
    )
    # The SELECT list's placeholders come before the WHERE clause's.
    return EntryRows([name for name, _ in columns_and_values], f"{select} ORDER BY l.id", params + select_params)
