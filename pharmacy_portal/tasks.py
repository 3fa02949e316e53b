"""Celery tasks of the project app. Thin: each calls one service and is safe to run twice.

The bulk import's tasks live in pharmacy_portal/imports/tasks.py and are imported here so
workers, which discover each app's `tasks` module, register them.
"""

from celery import shared_task

from pharmacy_portal.dashboard.services import weekly_digests_send
from pharmacy_portal.imports.tasks import apply_import, check_import, import_follow_up

__all__ = ["apply_import", "check_import", "import_follow_up", "send_weekly_digests"]


@shared_task(acks_late=True)
def send_weekly_digests():
    """The weekly digest to head-office admins; one per admin per week however often run."""
    return weekly_digests_send()
