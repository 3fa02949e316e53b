"""The import and API tables now belong to the imports and api apps: state only, the
tables stay as they are (their names are kept by each model's db_table).
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("imports", "0001_initial"),
        ("api", "0001_initial"),
        ("pharmacy_portal", "0003_import_file_notes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name="importrow",
                    name="run",
                ),
                migrations.RemoveField(
                    model_name="importrun",
                    name="applied_by",
                ),
                migrations.RemoveField(
                    model_name="importrun",
                    name="organisation",
                ),
                migrations.RemoveField(
                    model_name="importrun",
                    name="uploaded_by",
                ),
                migrations.RemoveField(
                    model_name="odsreconciliation",
                    name="applied_by",
                ),
                migrations.RemoveField(
                    model_name="odsreconciliation",
                    name="uploaded_by",
                ),
                migrations.RemoveField(
                    model_name="odsrow",
                    name="reconciliation",
                ),
                migrations.RemoveField(
                    model_name="odsrow",
                    name="added_premises",
                ),
                migrations.RemoveField(
                    model_name="odsrow",
                    name="premises",
                ),
                migrations.DeleteModel(
                    name="ApiToken",
                ),
                migrations.DeleteModel(
                    name="ImportRow",
                ),
                migrations.DeleteModel(
                    name="ImportRun",
                ),
                migrations.DeleteModel(
                    name="OdsReconciliation",
                ),
                migrations.DeleteModel(
                    name="OdsRow",
                ),
            ],
            database_operations=[],
        )
    ]
