from django.db import migrations, models


class Migration(migrations.Migration):
    """"Attach as PDF": templates that exist now keep sending the .docx (False); new templates get True."""

    dependencies = [
        ("interactions", "0006_entry_references_without_db_constraints"),
    ]

    operations = [
        migrations.AddField(
            model_name="interactiontemplate",
            name="attach_as_pdf",
            field=models.BooleanField(default=False, verbose_name="Attach as PDF"),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="interactiontemplate",
            name="attach_as_pdf",
            field=models.BooleanField(
                default=True,
                help_text="E-mail a Word letter as a PDF attachment (converted by LibreOffice; where it is not "
                "installed, the .docx is attached).",
                verbose_name="Attach as PDF",
            ),
        ),
    ]
