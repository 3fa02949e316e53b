from celery import shared_task

from . import services
from .models import JobRun


@shared_task
def run_job(*, name, trigger=JobRun.Trigger.SCHEDULE, run_id=None):
    """Every periodic job, as beat, the start-up catch-up and "Run now" queue it: runs the
    job and records the run. Safe to run twice: a job is never run twice at once, and
    each job's own task is idempotent."""
    run = services.job_run(
        name=name, trigger=trigger, run_id=run_id, worker=run_job.request.hostname or ""
    )
    return None if run is None else run.pk
