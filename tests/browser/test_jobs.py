"""The portal admin's periodic jobs in a real browser: a failed job flagged on the home
page, the jobs page, and "Run now"."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from jobs.models import JobRun
from tests.browser.helpers import assert_accessible, sign_in


@pytest.mark.browser
def test_admin_sees_a_failed_job_and_runs_the_compliance_check_now(page, live_server, demo_world):
    JobRun.objects.create(
        job="eps-low-token-stock-daily",
        trigger=JobRun.Trigger.SCHEDULE,
        state=JobRun.State.FAILED,
        started_at=timezone.now(),
        finished_at=timezone.now(),
        error="OperationalError: database is locked",
    )
    sign_in(page, live_server, "admin@demo.portal.test")
    expect(page.get_by_text("Jobs need attention")).to_be_visible()
    expect(page.get_by_role("link", name="EPS low token stock alerts")).to_be_visible()

    page.get_by_role(
        "link", name="See every periodic job, when it last ran and what it did"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Periodic jobs")
    card = page.locator("#job-standings-daily")
    expect(card).to_contain_text("Every day at 06:00")
    expect(page.locator("#job-eps-low-token-stock-daily")).to_contain_text(
        "OperationalError: database is locked"
    )
    assert_accessible(page)

    card.get_by_role("button", name="Run now").click()
    expect(page.get_by_text("standings-daily is queued")).to_be_visible()
    # Tasks run in the web process in tests: the run is over by the time the page reloads.
    page.reload()
    expect(page.locator("#job-standings-daily")).to_contain_text("30 premises checked")
    expect(page.locator("#job-standings-daily")).to_contain_text("Run now by Nasreen Akhtar")
    assert_accessible(page)
