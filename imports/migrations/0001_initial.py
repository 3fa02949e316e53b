"""The imports app takes over its tables from the pharmacy_portal app: state only, the
tables were created by pharmacy_portal's migrations and keep their names.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("pharmacy_portal", "0003_import_file_notes"),
        ("accounts", "0008_audit_security_events"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ImportRun",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "kind",
                            models.CharField(
                                choices=[
                                    ("premises", "Premises"),
                                    ("staff", "Staff memberships"),
                                    ("nhsmail", "NHSmail accounts and links"),
                                ],
                                max_length=10,
                            ),
                        ),
                        ("file_name", models.CharField(max_length=255)),
                        ("uploaded_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("is_full_staff_list", models.BooleanField(default=False)),
                        ("file_notes", models.JSONField(blank=True, default=list)),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("checking", "Checking"),
                                    ("ready", "Ready to confirm"),
                                    ("blocked", "Has errors"),
                                    ("applying", "Importing"),
                                    ("applied", "Imported"),
                                    ("discarded", "Discarded"),
                                ],
                                default="checking",
                                max_length=10,
                            ),
                        ),
                        ("total_rows", models.PositiveIntegerField(default=0)),
                        ("add_count", models.PositiveIntegerField(default=0)),
                        ("change_count", models.PositiveIntegerField(default=0)),
                        ("unchanged_count", models.PositiveIntegerField(default=0)),
                        ("error_count", models.PositiveIntegerField(default=0)),
                        ("checked_at", models.DateTimeField(blank=True, null=True)),
                        ("applied_at", models.DateTimeField(blank=True, null=True)),
                        ("missing_ended_count", models.PositiveIntegerField(default=0)),
                        ("missing_ended_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "applied_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "organisation",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="import_runs",
                                to="accounts.organisation",
                            ),
                        ),
                        (
                            "uploaded_by",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "pharmacy_portal_importrun",
                        "ordering": ["-uploaded_at", "-id"],
                    },
                ),
                migrations.CreateModel(
                    name="ImportRow",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("number", models.PositiveIntegerField()),
                        ("data", models.JSONField(default=dict)),
                        ("key", models.CharField(blank=True, max_length=300)),
                        (
                            "action",
                            models.CharField(
                                blank=True,
                                choices=[
                                    ("add", "Add"),
                                    ("change", "Change"),
                                    ("unchanged", "Unchanged"),
                                    ("error", "Error"),
                                ],
                                max_length=10,
                            ),
                        ),
                        ("changes", models.JSONField(blank=True, default=dict)),
                        ("errors", models.JSONField(blank=True, default=list)),
                        ("cleaned", models.JSONField(blank=True, null=True)),
                        ("invitation_id", models.BigIntegerField(blank=True, null=True)),
                        ("notified_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "run",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="rows",
                                to="imports.importrun",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "pharmacy_portal_importrow",
                        "ordering": ["run", "number"],
                    },
                ),
                migrations.CreateModel(
                    name="OdsReconciliation",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("file_name", models.CharField(max_length=255)),
                        ("uploaded_at", models.DateTimeField(default=django.utils.timezone.now)),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("ready", "Ready to apply"),
                                    ("applied", "Applied"),
                                    ("discarded", "Discarded"),
                                ],
                                default="ready",
                                max_length=10,
                            ),
                        ),
                        ("total_rows", models.PositiveIntegerField(default=0)),
                        ("change_count", models.PositiveIntegerField(default=0)),
                        ("close_count", models.PositiveIntegerField(default=0)),
                        ("new_count", models.PositiveIntegerField(default=0)),
                        ("unchanged_count", models.PositiveIntegerField(default=0)),
                        ("error_count", models.PositiveIntegerField(default=0)),
                        ("applied_at", models.DateTimeField(blank=True, null=True)),
                        ("added_count", models.PositiveIntegerField(default=0)),
                        (
                            "applied_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "uploaded_by",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "pharmacy_portal_odsreconciliation",
                        "ordering": ["-uploaded_at", "-id"],
                    },
                ),
                migrations.CreateModel(
                    name="OdsRow",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("number", models.PositiveIntegerField()),
                        ("ods_code", models.CharField(max_length=12, verbose_name="ODS code")),
                        (
                            "action",
                            models.CharField(
                                choices=[
                                    ("change", "Details differ"),
                                    ("close", "Closed"),
                                    ("new", "Not on the portal"),
                                    ("error", "Cannot be read"),
                                ],
                                max_length=10,
                            ),
                        ),
                        ("data", models.JSONField(blank=True, default=dict)),
                        ("changes", models.JSONField(blank=True, default=dict)),
                        ("message", models.CharField(blank=True, max_length=300)),
                        (
                            "added_premises",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to="accounts.premises",
                            ),
                        ),
                        (
                            "premises",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="accounts.premises",
                            ),
                        ),
                        (
                            "reconciliation",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="rows",
                                to="imports.odsreconciliation",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "pharmacy_portal_odsrow",
                        "ordering": ["reconciliation", "number"],
                    },
                ),
                migrations.AddIndex(
                    model_name="importrun",
                    index=models.Index(
                        fields=["organisation", "-uploaded_at"],
                        name="pharmacy_po_organis_6aca1d_idx",
                    ),
                ),
                migrations.AddIndex(
                    model_name="importrow",
                    index=models.Index(
                        fields=["run", "action", "number"], name="pharmacy_po_run_id_229180_idx"
                    ),
                ),
                migrations.AddIndex(
                    model_name="importrow",
                    index=models.Index(fields=["run", "key"], name="pharmacy_po_run_id_188e7e_idx"),
                ),
                migrations.AddConstraint(
                    model_name="importrow",
                    constraint=models.UniqueConstraint(
                        fields=("run", "number"), name="one_import_row_per_number"
                    ),
                ),
                migrations.AddIndex(
                    model_name="odsrow",
                    index=models.Index(
                        fields=["reconciliation", "action", "number"],
                        name="pharmacy_po_reconci_7fde7f_idx",
                    ),
                ),
            ],
            database_operations=[],
        )
    ]
