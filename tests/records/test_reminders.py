import datetime
import time

import pytest
import time_machine
from django.core import mail
from django.db import connection, connections

from accounts.models import AuditEvent
from records import services
from records.models import GuidancePage, GuidanceReviewReminder
from records.tasks import send_guidance_review_reminders
from tests.factories import UserFactory
from tests.records.factories import GuidancePageFactory

MONDAY = datetime.datetime(2026, 3, 16, 7, 0, tzinfo=datetime.UTC)


def overdue_pages():
    GuidancePage.objects.all().delete()
    return [
        GuidancePageFactory(title="Old tokens page", review_by=datetime.date(2026, 3, 1)),
        GuidancePageFactory(
            title="Old draft", status="draft", review_by=datetime.date(2026, 3, 15)
        ),
        GuidancePageFactory(title="Fresh page", review_by=datetime.date(2026, 4, 30)),
    ]


@pytest.mark.django_db
class TestReviewReminders:
    def test_each_admin_is_told_once_a_week_about_each_overdue_page(
        self, world, django_capture_on_commit_callbacks
    ):
        UserFactory(is_portal_admin=True, email="second.admin@example.test")
        UserFactory(is_portal_admin=True, is_active=False)
        overdue_pages()
        with time_machine.travel(MONDAY):
            with django_capture_on_commit_callbacks(execute=True):
                reminded = send_guidance_review_reminders.delay().get()
            assert sorted(reminded) == sorted(
                GuidancePage.objects.exclude(title="Fresh page").values_list("slug", flat=True)
            )
            assert sorted(m.to[0] for m in mail.outbox) == sorted(
                [world.portal_admin.email, "second.admin@example.test"]
            )
            body = mail.outbox[0].body
            assert "Old tokens page" in body
            assert "Old draft" in body
            assert "Fresh page" not in body
            assert "/guidance/" in body
            assert mail.outbox[0].subject == "Guidance due for review: 2 pages"

            # Running again in the same week, even on another day, sends nothing.
            with django_capture_on_commit_callbacks(execute=True):
                assert send_guidance_review_reminders.delay().get() == []
        with (
            time_machine.travel(MONDAY + datetime.timedelta(days=4)),
            django_capture_on_commit_callbacks(execute=True),
        ):
            assert send_guidance_review_reminders.delay().get() == []
        assert len(mail.outbox) == 2
        assert GuidanceReviewReminder.objects.count() == 2
        assert AuditEvent.objects.filter(action="guidance.review_reminder_sent").count() == 2

    def test_the_next_week_reminds_again_until_reviewed(
        self, world, django_capture_on_commit_callbacks
    ):
        pages = overdue_pages()
        with time_machine.travel(MONDAY), django_capture_on_commit_callbacks(execute=True):
            services.guidance_review_reminders_send()
        with time_machine.travel(MONDAY + datetime.timedelta(days=7)):
            page = pages[0]
            services.guidance_page_update(
                actor=world.portal_admin,
                page=page,
                expected_version=1,
                area=page.area,
                title=page.title,
                summary=page.summary,
                body=page.body,
                status=page.status,
                review_by=datetime.date(2027, 3, 1),
            )
            mail.outbox.clear()
            with django_capture_on_commit_callbacks(execute=True):
                reminded = services.guidance_review_reminders_send()
        assert [p.title for p in reminded] == ["Old draft"]
        assert mail.outbox[0].subject == "Guidance due for review: 1 page"

    def test_nothing_overdue_sends_nothing(self, world, django_capture_on_commit_callbacks):
        GuidancePage.objects.filter(review_by__lt=datetime.date(2026, 3, 16)).delete()
        with time_machine.travel(MONDAY), django_capture_on_commit_callbacks(execute=True):
            assert services.guidance_review_reminders_send() == []
        assert mail.outbox == []

    def test_week_of_is_the_monday(self):
        assert services.week_of(datetime.date(2026, 3, 22)) == datetime.date(2026, 3, 16)
        assert services.week_of(datetime.date(2026, 3, 16)) == datetime.date(2026, 3, 16)

    def test_the_task_is_scheduled_weekly(self):
        from jobs.schedule import BEAT_SCHEDULE

        entry = BEAT_SCHEDULE["records-guidance-review-reminders-weekly"]
        assert entry["task"] == "records.tasks.send_guidance_review_reminders"
        assert entry["schedule"].day_of_week == {1}


def wait_for_mail(count, timeout=20):
    deadline = time.monotonic() + timeout
    while len(mail.outbox) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    return len(mail.outbox)


def test_reminders_through_a_real_worker_go_once_per_week(real_celery_worker):
    from tests.factories import UserFactory as Users

    admin = Users(is_portal_admin=True)
    GuidancePageFactory(title="Old page", review_by=datetime.date(2020, 1, 1))
    first = send_guidance_review_reminders.delay().get(timeout=30)
    assert len(first) == 1
    assert wait_for_mail(1) == 1
    assert mail.outbox[0].to == [admin.email]
    second = send_guidance_review_reminders.delay().get(timeout=30)
    assert second == []
    time.sleep(1)
    assert len(mail.outbox) == 1


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL's row locking",
)
def test_two_jobs_at_once_remind_once(transactional_db):
    import threading

    UserFactory(is_portal_admin=True)
    GuidancePageFactory(title="Old page", review_by=datetime.date(2020, 1, 1))
    results = []
    barrier = threading.Barrier(2)

    def run():
        try:
            barrier.wait()
            results.append(len(services.guidance_review_reminders_send()))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results) == [0, 1]
    assert GuidanceReviewReminder.objects.count() == 1
