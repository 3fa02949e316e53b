"""Audit events carry the client's address; on PostgreSQL the audit table refuses TRUNCATE.

Row triggers (migration 0002) do not fire on TRUNCATE, so a statement-level trigger
refuses it too. The trigger function is shared with 0002, so the error reads the same.
"""

from django.db import migrations, models

CREATE = """
CREATE TRIGGER accounts_auditevent_no_truncate
    BEFORE TRUNCATE ON accounts_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION accounts_auditevent_refuse_change();
"""

DROP = "DROP TRIGGER IF EXISTS accounts_auditevent_no_truncate ON accounts_auditevent;"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0007_imports_keep_values")]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="client_address",
            field=models.GenericIPAddressField(blank=True, null=True),
        ),
        migrations.RunPython(forwards, backwards),
    ]
