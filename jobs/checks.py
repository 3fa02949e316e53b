"""The embedded broker's folder must exist and be writable before anything queues a task.

`manage.py migrate` (the first step of `make run`) and runserver run this check, so a
folder that cannot be written stops the portal with one clear sentence instead of a
traceback when the first email is queued.
"""

import tempfile
from pathlib import Path

from django.conf import settings
from django.core import checks


def broker_folders():
    """The folders kombu's filesystem transport reads and writes, or [] with Redis."""
    if settings.CELERY_BROKER_URL != "filesystem://":
        return []
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    return sorted(
        {
            Path(options[key])
            for key in ("data_folder_in", "data_folder_out", "control_folder", "processed_folder")
        }
    )


@checks.register(checks.Tags.compatibility)
def check_broker_folder(app_configs=None, **kwargs):
    for folder in broker_folders():
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryFile(dir=folder):
                pass
        except OSError as exc:
            return [
                checks.Error(
                    f"The task broker's folder {folder} cannot be written ({exc.strerror}).",
                    hint="Set BROKER_FOLDER to a folder this user can write, or set REDIS_URL "
                    "to use Redis.",
                    id="jobs.E001",
                )
            ]
    return []
