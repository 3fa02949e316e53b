"""The NHSmail daily snapshots become the NHSmail rows of the portal-wide standing history
(accounts.StandingDay), which every area's trend reads; the snapshot table goes."""

from django.db import migrations


def copy_snapshots(apps, schema_editor):
    ComplianceSnapshot = apps.get_model("nhsmail", "ComplianceSnapshot")
    StandingDay = apps.get_model("accounts", "StandingDay")
    rows = ComplianceSnapshot.objects.values_list("premises_id", "day", "status").iterator(
        chunk_size=5000
    )
    batch = []
    for premises_id, day, status in rows:
        batch.append(StandingDay(premises_id=premises_id, area="nhsmail", day=day, level=status))
        if len(batch) == 5000:
            StandingDay.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    StandingDay.objects.bulk_create(batch, ignore_conflicts=True)


def copy_back(apps, schema_editor):
    ComplianceSnapshot = apps.get_model("nhsmail", "ComplianceSnapshot")
    StandingDay = apps.get_model("accounts", "StandingDay")
    ComplianceSnapshot.objects.bulk_create(
        [
            ComplianceSnapshot(
                premises_id=premises_id, day=day, status=level, qualifying_count=0, reason=""
            )
            for premises_id, day, level in StandingDay.objects.filter(area="nhsmail").values_list(
                "premises_id", "day", "level"
            )
        ],
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_standings"),
        ("nhsmail", "0002_personal_account_not_a_shared_mailbox"),
    ]

    operations = [
        migrations.RunPython(copy_snapshots, copy_back),
        migrations.DeleteModel(name="ComplianceSnapshot"),
    ]
