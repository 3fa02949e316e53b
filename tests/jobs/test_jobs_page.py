"""The jobs page: portal admins only, every periodic job with its latest run, "Run now"
queued once however often it is pressed, and failed or missed jobs on the home page."""

import datetime

import pytest
import time_machine
from django.db.migrations.recorder import MigrationRecorder
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from jobs.models import JobRun
from jobs.schedule import BEAT_SCHEDULE
from outbox.models import Message
from tests.conftest import ROLES, sign_in

pytestmark = pytest.mark.django_db

OTHER_ROLES = [role for role in ROLES if role != "portal_admin"]


def run_now(client, name, capture):
    with capture(execute=True):
        return client.post(reverse("job_run_now", kwargs={"name": name}), follow=True)


def test_portal_admin_sees_every_job(client_for):
    response = client_for("portal_admin").get(reverse("job_list"))
    assert response.status_code == 200
    body = response.content.decode()
    for name, job in BEAT_SCHEDULE.items():
        assert f'id="job-{name}"' in body
        assert job["title"] in body
    assert "Every day at 06:00" in body
    assert "Every Monday at 07:45" in body
    assert "Every 5 minutes" in body


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_other_roles_get_404_and_cannot_run_a_job(
    client_for, role, django_capture_on_commit_callbacks
):
    client = client_for(role)
    assert client.get(reverse("job_list")).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("job_run_now", kwargs={"name": "standings-daily"}))
    assert response.status_code == 404
    assert not JobRun.objects.exists()


def test_run_now_runs_the_job_and_shows_its_outcome(
    client_for, world, django_capture_on_commit_callbacks
):
    client = client_for("portal_admin")
    response = run_now(client, "standings-daily", django_capture_on_commit_callbacks)
    assert response.status_code == 200
    assert "standings-daily is queued" in response.content.decode()
    run = JobRun.objects.get(job="standings-daily")
    assert run.state == JobRun.State.SUCCEEDED
    assert run.trigger == JobRun.Trigger.RUN_NOW
    assert run.requested_by == world.portal_admin
    assert run.result == {"count": 3}  # the world's three premises
    assert run.started_at <= run.finished_at
    audit = AuditEvent.objects.get(action="job.run_requested")
    assert audit.actor == world.portal_admin
    assert audit.changes == {"job": "standings-daily"}
    page = client.get(reverse("job_list")).content.decode()
    # The NHSmail alerts of the world's red premises, written to the outbox by the job.
    emails = Message.objects.filter(task="accounts.tasks.send_email").count()
    assert emails == run.tasks_queued["accounts.tasks.send_email"] > 0
    assert f"3 premises checked; {emails} emails queued" in page
    assert "Run now by Pat Admin" in page


def test_run_now_pressed_twice_queues_one_run(client_for, django_capture_on_commit_callbacks):
    client = client_for("portal_admin")
    url = reverse("job_run_now", kwargs={"name": "standings-daily"})
    # No worker takes it in between: the first run is still queued when the second press comes.
    with django_capture_on_commit_callbacks(execute=False):
        client.post(url)
        response = client.post(url, follow=True)
    assert response.status_code == 200
    assert "already queued or running: it was not started again" in response.content.decode()
    assert JobRun.objects.filter(job="standings-daily").count() == 1
    assert AuditEvent.objects.filter(action="job.run_requested").count() == 1
    page = client.get(reverse("job_list")).content.decode()
    assert "Queued" in page


@pytest.mark.parametrize(
    "name", ["no-such-job", "standings-daily ", "STANDINGS-DAILY", "%00", "x" * 500, "ünïcode"]
)
def test_run_now_with_a_bad_name_is_404(client_for, name, django_capture_on_commit_callbacks):
    response = run_now(client_for("portal_admin"), name, django_capture_on_commit_callbacks)
    assert response.status_code == 404
    assert not JobRun.objects.exists()


def test_jobs_page_only_answers_get_and_post_where_expected(client_for):
    client = client_for("portal_admin")
    assert client.post(reverse("job_list")).status_code == 405
    assert client.get(reverse("job_run_now", kwargs={"name": "standings-daily"})).status_code == 405


def test_failed_job_is_shown_on_the_admins_home_page_only(client_for, monkeypatch):
    JobRun.objects.create(
        job="eps-low-token-stock-daily",
        trigger=JobRun.Trigger.SCHEDULE,
        state=JobRun.State.FAILED,
        started_at=timezone.now(),
        finished_at=timezone.now(),
        error="OperationalError: database is locked",
    )
    home = client_for("portal_admin").get(reverse("home")).content.decode()
    assert "Jobs need attention" in home
    assert "EPS low token stock alerts" in home
    assert "database is locked" in home
    for role in OTHER_ROLES:
        assert "Jobs need attention" not in client_for(role).get(reverse("home")).content.decode()


def test_a_job_that_missed_its_run_is_shown_on_the_admins_home_page(world, client_for):
    # Jobs are kept from when their table was made: in this test, now, whatever time the
    # test database was made (a long test run would otherwise have missed runs already).
    MigrationRecorder.Migration.objects.filter(app="jobs", name="0001_initial").update(
        applied=timezone.now()
    )
    assert (
        "Jobs need attention"
        not in client_for("portal_admin").get(reverse("home")).content.decode()
    )
    # Nothing ran since the jobs table was made: two days on, every daily job missed a run.
    with time_machine.travel(timezone.now() + datetime.timedelta(days=2)):
        client = sign_in(Client(), world.portal_admin)
        home = client.get(reverse("home")).content.decode()
        page = client.get(reverse("job_list")).content.decode()
    assert "Jobs need attention" in home
    assert "Standings and NHSmail compliance check</a>: has not run when it should have" in home
    assert "Has not run when it should have" in page


def test_a_run_no_worker_took_is_shown_as_missed_and_can_be_run_again(
    client_for, django_capture_on_commit_callbacks
):
    two_hours_ago = timezone.now() - datetime.timedelta(hours=2)
    JobRun.objects.create(
        job="standings-daily",
        trigger=JobRun.Trigger.RUN_NOW,
        state=JobRun.State.QUEUED,
        queued_at=two_hours_ago,
    )
    client = client_for("portal_admin")
    assert "Jobs need attention" in client.get(reverse("home")).content.decode()
    page = client.get(reverse("job_list")).content.decode()
    card = page[page.index('id="job-standings-daily"') :].split('id="job-')[1]
    assert "Has not run when it should have" in card
    assert "Run now" in card
    run_now(client, "standings-daily", django_capture_on_commit_callbacks)
    lost, ran = JobRun.objects.order_by("queued_at")
    assert lost.state == JobRun.State.FAILED
    assert "No worker took it within an hour" in lost.error
    assert ran.state == JobRun.State.SUCCEEDED
