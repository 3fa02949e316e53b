from django.core.management.base import BaseCommand, CommandError

from jobs import services
from jobs.models import JobRun
from jobs.schedule import BEAT_SCHEDULE
from jobs.selectors import SEND_EMAIL_TASK


class Command(BaseCommand):
    help = (
        "Run a periodic job now, in this process, and record the run. Lists the jobs without NAME."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", nargs="?", help="the job's name, as `run_job` lists them")

    def handle(self, *args, name=None, **options):
        if not name:
            self.stdout.write("Periodic jobs (manage.py run_job NAME runs one):")
            for job_name, job in BEAT_SCHEDULE.items():
                self.stdout.write(f"  {job_name:<42} {job.get('title', '')}")
            return
        try:
            run = services.job_run(name=name, trigger=JobRun.Trigger.COMMAND)
        except services.UnknownJob as exc:
            raise CommandError(str(exc)) from None
        if run is None:
            raise CommandError(str(services.JobAlreadyLive(name)))
        if run.state == JobRun.State.FAILED:
            raise CommandError(f"{name} failed: {run.error}")
        count = run.result.get("count")
        counted = (
            f"{count} {BEAT_SCHEDULE[name].get('counts', 'rows')}, " if count is not None else ""
        )
        emails = run.tasks_queued.get(SEND_EMAIL_TASK, 0)
        self.stdout.write(
            self.style.SUCCESS(
                f"{name} ran in {(run.finished_at - run.started_at).total_seconds():.1f} s: "
                f"{counted}{emails} email{'s' if emails != 1 else ''} queued."
            )
        )
