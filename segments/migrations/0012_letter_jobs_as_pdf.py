from django.db import migrations, models


class Migration(migrations.Migration):
    """Letter jobs of two more kinds: the letters as a zip of PDFs, and as one PDF to print."""

    dependencies = [
        ("segments", "0011_cover_sheet_jobs"),
    ]

    operations = [
        migrations.AlterField(
            model_name="letterdownloadjob",
            name="kind",
            field=models.CharField(
                choices=[
                    ("zip", "Letters (.zip)"),
                    ("docx", "Letters (one .docx)"),
                    ("covers", "Cover sheets (PDF)"),
                    ("pdfzip", "Letters as PDF (.zip)"),
                    ("pdf", "Letters (one PDF)"),
                ],
                max_length=10,
            ),
        ),
    ]
