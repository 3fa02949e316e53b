from django.db import migrations
from django.utils import timezone


def seed(apps, schema_editor):
    from records.guidance_content import seed_guidance

    seed_guidance(
        apps.get_model("records", "GuidancePage"),
        apps.get_model("records", "GuidancePageVersion"),
        now=timezone.now(),
    )


class Migration(migrations.Migration):
    dependencies = [("records", "0001_initial")]

    # Pages are the admins' once seeded: unapplying leaves them in place.
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
