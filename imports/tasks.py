"""Background work for big import files. Each task takes ids and calls one service."""

from celery import shared_task

from accounts.models import User

from . import services
from .models import ImportRun


@shared_task(acks_late=True)
def check_import(run_id):
    services.import_check(run_id=run_id)


@shared_task(acks_late=True)
def apply_import(run_id):
    run = ImportRun.objects.get(pk=run_id)
    actor = User.objects.get(pk=run.applied_by_id)
    services.import_apply(actor=actor, run=run)


@shared_task(acks_late=True)
def import_follow_up(run_id):
    services.import_follow_up(run_id=run_id)
