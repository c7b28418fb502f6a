"""The indexes of the contact look-up (crm/selectors.py): byte-ordered ranges on the number and on UPPER(name),
and on the companies' UPPER(name) alone (a company field, and the persons of the companies with a name). The
companies are written "not a person" (the same rows): a plain `type = 'company'` term makes SQLite's planner walk
the (type, name) index over every company instead of this range; the query says it the same way.

Per database, because the collation that makes a prefix a range is spelled differently: PostgreSQL needs the
index built `COLLATE "C"` (its default collation is not byte order); on SQLite the default collation is binary,
the unique index on `no` already serves the number, and the name needs an index on UPPER(name).
"""

from django.db import migrations

INDEXES = {
    "postgresql": [
        ("contact_no_lookup", 'CREATE INDEX IF NOT EXISTS contact_no_lookup ON crm_contact ((no COLLATE "C"))'),
        (
            "contact_name_lookup",
            'CREATE INDEX IF NOT EXISTS contact_name_lookup ON crm_contact ((UPPER(name) COLLATE "C"))',
        ),
        (
            "contact_company_name_lookup",
            'CREATE INDEX IF NOT EXISTS contact_company_name_lookup ON crm_contact ((UPPER(name) COLLATE "C")) '
            "WHERE NOT (type = 'person')",
        ),
    ],
    "sqlite": [
        ("contact_name_lookup", "CREATE INDEX IF NOT EXISTS contact_name_lookup ON crm_contact (UPPER(name))"),
        (
            "contact_company_name_lookup",
            "CREATE INDEX IF NOT EXISTS contact_company_name_lookup ON crm_contact (UPPER(name)) "
            "WHERE NOT (type = 'person')",
        ),
    ],
}


def create_indexes(apps, schema_editor):
    for _name, sql in INDEXES.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql)


def drop_indexes(apps, schema_editor):
    for name, _sql in INDEXES.get(schema_editor.connection.vendor, []):
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0008_plausible_values"),
    ]

    operations = [migrations.RunPython(create_indexes, drop_indexes, elidable=False)]
