"""Postponed log entries (docs/BEHAVIOUR.md §2, Finish later).

The column is added without rewriting the million-row entry table: PostgreSQL (11+) keeps a constant DEFAULT in
the catalogue for ADD COLUMN … NOT NULL DEFAULT, and so does SQLite's ALTER TABLE ADD COLUMN, but Django's SQLite
schema editor copies the whole table for any NOT NULL column, so on SQLite the column is added with that statement.
"""

from django.conf import settings
from django.db import migrations, models


class AddColumnInPlace(migrations.AddField):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "sqlite":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        model = to_state.apps.get_model(app_label, self.model_name)
        field = model._meta.get_field(self.name)
        quote = schema_editor.quote_name
        schema_editor.execute(
            f"ALTER TABLE {quote(model._meta.db_table)} ADD COLUMN {quote(field.column)} bool NOT NULL DEFAULT 0"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("interactions", "0009_plausible_values"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        AddColumnInPlace(
            model_name="interactionlogentry",
            name="postponed",
            field=models.BooleanField(db_default=False, default=False),
        ),
        migrations.AddIndex(
            model_name="interactionlogentry",
            index=models.Index(
                condition=models.Q(("postponed", True)), fields=["user", "id"], name="ile_postponed_user"
            ),
        ),
    ]
