"""Named reads over contacts: the look-up behind every contact picker and the navigation bar's search
(docs/BEHAVIOUR.md §1a Finding a contact).

A look-up runs on every keystroke over up to a million contacts, so each of its queries is an index range scan
that stops after `LOOKUP_LIMIT` rows, never a scan of the table (docs/PERFORMANCE.md, the contact look-up row):

1. the number starts with the text (`no`, stored in upper case);
2. the name starts with the text, whatever the case (the index on UPPER(name));
3. the persons of the companies whose name starts with the text (a partial index on the companies' names, which
   the queries name "not a person" as the index does).

The prefixes are compared as byte-ordered ranges (`>= text AND < text + U+10FFFF`) on an expression in binary
collation, so the same query is an index range on both databases: SQLite's default collation is binary, and on
PostgreSQL the look-up indexes are built `COLLATE "C"` (crm/migrations/0009_contact_lookup_indexes.py).
"""

from django.db import connection
from django.db.models import F, Func, QuerySet, Value
from django.db.models.functions import Collate, Concat, Upper

from .models import Contact

LOOKUP_LIMIT = 20
# Longer text cannot be a prefix of a number or a name (names are at most 100 characters).
MAX_LOOKUP_TEXT = 100
# The highest code point: every string that starts with a prefix sorts below prefix + this one (byte order).
_AFTER_PREFIX = "\U0010ffff"


def _binary(expression: Func | F):
    """The expression compared byte by byte: PostgreSQL's "C" collation; SQLite's default (BINARY) already is."""
    if connection.vendor == "postgresql":
        return Collate(expression, "C")
    return expression


def _starting_with(queryset: QuerySet, expression: Func | F, prefix: Func | Value) -> QuerySet:
    """Rows whose `expression` starts with `prefix`, in that expression's byte order."""
    key = _binary(expression)
    upper_bound = Concat(prefix, Value(_AFTER_PREFIX))
    return queryset.alias(lookup_key=key).filter(lookup_key__gte=prefix, lookup_key__lt=upper_bound).order_by(key.asc())


def contact_lookup(*, text: str, companies_only: bool = False, limit: int = LOOKUP_LIMIT) -> list[Contact]:
    """At most `limit` contacts whose number, name or company name starts with `text` (case-insensitive), in that
    order of kinds: three small indexed queries, whatever the text and the size of the table. `companies_only`
    for a company field (a person's company)."""
    text = " ".join(text.split())[:MAX_LOOKUP_TEXT]
    if not text:
        return []
    base = Contact.objects.select_related("company").only("id", "no", "name", "type", "company__name")
    if companies_only:
        base = base.exclude(type=Contact.Type.PERSON)
    found: dict[int, Contact] = {}

    def take(queryset: QuerySet) -> None:
        wanted = limit - len(found)
        if wanted > 0:
            for contact in queryset.exclude(pk__in=list(found))[:wanted]:
                found[contact.pk] = contact

    # Numbers are upper case (CT000001); Python's upper() is enough for them.
    take(_starting_with(base, F("no"), Value(text.upper())))
    # Names: the database upper-cases both sides, so the text compares as the index stores the names.
    name_prefix = Upper(Value(text))
    take(_starting_with(base, Upper("name"), name_prefix))
    if not companies_only:
        companies = _starting_with(Contact.objects.exclude(type=Contact.Type.PERSON), Upper("name"), name_prefix)
        take(base.filter(company_id__in=companies.values("id")[:limit]).order_by("company_id", "name"))
    return list(found.values())


def lookup_result(contact: Contact) -> dict:
    """One row of the look-up's JSON answer (docs/BEHAVIOUR.md §1a Finding a contact)."""
    return {"id": contact.pk, "no": contact.no, "name": contact.name, "company_name": contact.company_name}
