"""The canceled-entries index holds only logged (not postponed) canceled entries, the rows "delete canceled
entries" may delete: it counts them from the index alone (docs/PERFORMANCE.md, "Deleting canceled entries")."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("interactions", "0011_logged_segment_worksheet_id"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="interactionlogentry", name="ile_canceled_date"),
        migrations.AddIndex(
            model_name="interactionlogentry",
            index=models.Index(
                condition=models.Q(("canceled", True), ("postponed", False)), fields=["date"], name="ile_canceled_date"
            ),
        ),
    ]
