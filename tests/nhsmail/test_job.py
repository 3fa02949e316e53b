"""The daily compliance job and the reminders: once per transition, weekly while red."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from accounts.models import AuditEvent, PremisesStanding, StandingDay
from nhsmail import services, tasks
from nhsmail.models import MailboxLink
from tests.factories import MembershipFactory, OrganisationAdminFactory
from tests.nhsmail.factories import MailboxLinkFactory, PersonalAccountFactory, SharedMailboxFactory


def link_people(premises, count):
    mailbox = (
        premises.shared_mailbox
        if hasattr(premises, "shared_mailbox")
        else SharedMailboxFactory(premises=premises)
    )
    links = []
    for _ in range(count):
        user = MembershipFactory(premises=premises).user
        links.append(MailboxLinkFactory(account=PersonalAccountFactory(user=user), mailbox=mailbox))
    return links


def run_job(django_capture_on_commit_callbacks, on=None):
    with django_capture_on_commit_callbacks(execute=True):
        services.compliance_refresh(on=on)


@pytest.mark.django_db
class TestComplianceJob:
    def test_second_run_same_day_changes_nothing(self, world, django_capture_on_commit_callbacks):
        link_people(world.premises, 2)
        run_job(django_capture_on_commit_callbacks)

        def stored():
            return (
                list(
                    PremisesStanding.objects.filter(area="nhsmail")
                    .order_by("premises_id")
                    .values_list("premises_id", "level", "reason", "figures")
                ),
                list(
                    StandingDay.objects.filter(area="nhsmail")
                    .order_by("premises_id")
                    .values_list("premises_id", "day", "level")
                ),
            )

        before = stored()
        emails, events = len(mail.outbox), AuditEvent.objects.count()
        run_job(django_capture_on_commit_callbacks)
        assert stored() == before
        # One history row per premises per day.
        assert StandingDay.objects.filter(area="nhsmail").count() == 3
        assert len(mail.outbox) == emails
        assert AuditEvent.objects.count() == events

    def test_turning_amber_emails_managers_and_head_office_once(
        self, world, django_capture_on_commit_callbacks
    ):
        links = link_people(world.premises, 3)
        services.compliance_refresh(baseline=True)
        mail.outbox.clear()
        links[0].unlinked_on = timezone.localdate()
        links[0].save()
        run_job(django_capture_on_commit_callbacks)
        recipients = sorted(address for message in mail.outbox for address in message.to)
        assert recipients == sorted([world.manager.email, world.head_office.email])
        assert "compliant, at risk" in mail.outbox[0].subject
        assert "Exactly two live linked accounts" in mail.outbox[0].body
        event = AuditEvent.objects.get(action="nhsmail.status_changed", premises=world.premises)
        assert event.changes["from"] == "green"
        assert event.changes["to"] == "amber"
        mail.outbox.clear()
        run_job(django_capture_on_commit_callbacks)
        assert mail.outbox == []

    def test_weekly_reminder_while_red_then_recovery(
        self, world, django_capture_on_commit_callbacks
    ):
        SharedMailboxFactory(premises=world.premises)
        today = timezone.localdate()
        run_job(django_capture_on_commit_callbacks, on=today)
        first = [m for m in mail.outbox if world.manager.email in m.to]
        assert len(first) == 1
        assert "not compliant" in first[0].subject
        for days_later, expected in [(1, 0), (6, 0), (7, 1), (8, 0), (13, 0), (14, 1)]:
            mail.outbox.clear()
            with time_machine.travel(timezone.now() + timedelta(days=days_later)):
                run_job(django_capture_on_commit_callbacks, on=today + timedelta(days=days_later))
            reminders = [m for m in mail.outbox if world.manager.email in m.to]
            assert len(reminders) == expected, f"day {days_later}"
            if expected:
                assert "still not compliant" in reminders[0].subject
        mail.outbox.clear()
        for user in (world.staff, world.manager):
            MailboxLinkFactory(
                account=PersonalAccountFactory(user=user), mailbox=world.premises.shared_mailbox
            )
        link_people(world.premises, 1)
        with time_machine.travel(timezone.now() + timedelta(days=15)):
            run_job(django_capture_on_commit_callbacks, on=today + timedelta(days=15))
        recovered = [m for m in mail.outbox if world.manager.email in m.to]
        assert [m.subject for m in recovered] == [
            f"NHSmail: {world.premises.name} is back to compliant"
        ]

    def test_head_office_gets_one_email_for_many_premises(
        self, world, django_capture_on_commit_callbacks
    ):
        run_job(django_capture_on_commit_callbacks)
        to_head_office = [m for m in mail.outbox if world.head_office.email in m.to]
        assert len(to_head_office) == 1
        assert to_head_office[0].subject == "NHSmail: 2 premises changed"

    def test_job_queries_do_not_grow_with_premises(self, world, django_capture_on_commit_callbacks):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        from outbox.models import Message
        from tests.factories import PremisesFactory

        services.compliance_refresh(baseline=True)
        for _ in range(20):
            link_people(PremisesFactory(organisation=world.premises.organisation), 1)
        second_admin = OrganisationAdminFactory(organisation=world.premises.organisation).user
        before = Message.objects.count()
        # Evaluate, standings, history, closed premises' rows dropped, tallies, states,
        # audit, recipients: the same few queries for 3 or 23; and one outbox row per
        # email (per person told), all written in one statement with the job's change.
        with CaptureQueriesContext(connection) as queries:
            services.compliance_refresh()
        emails = [q for q in queries.captured_queries if "outbox_message" in q["sql"]]
        told = sorted(m.kwargs["to"] for m in Message.objects.all()[before:])
        assert told == sorted([world.head_office.email, second_admin.email])
        assert len(emails) == 1
        assert len(queries.captured_queries) <= 18


@pytest.mark.django_db
class TestConfirmationReminders:
    def test_sent_once_per_confirmation(self, world, django_capture_on_commit_callbacks):
        today = timezone.localdate()
        PersonalAccountFactory(user=world.staff, last_confirmed_on=today - timedelta(days=25))
        PersonalAccountFactory(user=world.manager, last_confirmed_on=today - timedelta(days=24))
        PersonalAccountFactory(last_confirmed_on=today - timedelta(days=61))
        with django_capture_on_commit_callbacks(execute=True):
            assert services.confirmation_reminders_send() == 1
        assert [m.to for m in mail.outbox] == [[world.staff.email]]
        with django_capture_on_commit_callbacks(execute=True):
            assert services.confirmation_reminders_send() == 0
        assert len(mail.outbox) == 1


def test_job_runs_through_a_real_worker(real_celery_worker, django_db_blocker):
    from tests.factories import PremisesFactory

    premises = PremisesFactory()
    mailbox = SharedMailboxFactory(premises=premises)
    for _ in range(2):
        user = MembershipFactory(premises=premises).user
        MailboxLinkFactory(account=PersonalAccountFactory(user=user), mailbox=mailbox)
    OrganisationAdminFactory(organisation=premises.organisation)
    tasks.evaluate_compliance.delay().get(timeout=60)
    tasks.evaluate_compliance.delay().get(timeout=60)
    assert StandingDay.objects.get(premises=premises, area="nhsmail").level == "amber"
    # Email is queued on commit by the worker and delivered by the worker too.
    for _ in range(50):
        if mail.outbox:
            break
        import time

        time.sleep(0.1)
    assert len([m for m in mail.outbox if "at risk" in m.subject]) == 1
    assert MailboxLink.objects.count() == 2
