# An inserting step records the ids of the lines it added as a range on the step instead of one history row per
# line (docs/PERFORMANCE.md, "Add contacts"). The existing insertion rows become ranges: a step's insertion rows
# are exactly its segment's lines from the smallest to the largest of their ids (the step held the segment's
# lock and ids only grow), so the range names the same lines.

from django.db import migrations, models
from django.db.models import Exists, Max, Min, OuterRef, Subquery


def rows_to_ranges(apps, schema_editor):
    Action = apps.get_model("segments", "SegmentCriteriaAction")
    History = apps.get_model("segments", "SegmentHistory")
    inserted = History.objects.filter(action_id=OuterRef("pk"), kind="insertion").order_by().values("action_id")
    Action.objects.filter(Exists(inserted)).update(
        inserted_ids_from=Subquery(inserted.annotate(low=Min("line_id")).values("low")),
        inserted_ids_to=Subquery(inserted.annotate(high=Max("line_id")).values("high")),
    )
    History.objects.filter(kind="insertion").delete()


def ranges_to_rows(apps, schema_editor):
    Action = apps.get_model("segments", "SegmentCriteriaAction")
    History = apps.get_model("segments", "SegmentHistory")
    Line = apps.get_model("segments", "SegmentLine")
    quote = schema_editor.connection.ops.quote_name
    actions, history, lines = (quote(m._meta.db_table) for m in (Action, History, Line))
    # The lines in each range, whether still on the worksheet or deleted by a later step (kept in its history).
    schema_editor.execute(
        f"INSERT INTO {history} (action_id, kind, line_id, contact_id, description, correspondence_type, subject, "
        f"language_code, personal_note) SELECT a.id, 'insertion', x.line_id, x.contact_id, '', '', '', '', '' "
        f"FROM {actions} a JOIN (SELECT segment_id, id AS line_id, contact_id FROM {lines} UNION "
        f"SELECT s.segment_id, h.line_id, h.contact_id FROM {history} h JOIN {actions} s ON s.id = h.action_id "
        f"WHERE h.kind = 'deletion') x ON x.segment_id = a.segment_id "
        f"AND x.line_id BETWEEN a.inserted_ids_from AND a.inserted_ids_to WHERE a.inserted_ids_from IS NOT NULL"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("segments", "0016_log_job_counts"),
    ]

    operations = [
        migrations.AddField(
            model_name="segmentcriteriaaction",
            name="inserted_ids_from",
            field=models.BigIntegerField(blank=True, help_text="First id of the lines it inserted.", null=True),
        ),
        migrations.AddField(
            model_name="segmentcriteriaaction",
            name="inserted_ids_to",
            field=models.BigIntegerField(blank=True, help_text="Last id of the lines it inserted.", null=True),
        ),
        migrations.RunPython(rows_to_ranges, ranges_to_rows, elidable=True),
        migrations.AlterField(
            model_name="segmenthistory",
            name="kind",
            field=models.CharField(choices=[("deletion", "Deletion")], max_length=10),
        ),
        migrations.AlterField(
            model_name="segmenthistory",
            name="line_id",
            field=models.BigIntegerField(help_text="The id of the line deleted."),
        ),
    ]
