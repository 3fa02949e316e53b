from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from accounts.models import Premises
from nhsmail import rules
from nhsmail.models import ComplianceStatus, PersonalAccount
from tests.factories import MembershipFactory, PremisesFactory
from tests.nhsmail.factories import MailboxLinkFactory, PersonalAccountFactory, SharedMailboxFactory


def evaluate(premises):
    return rules.evaluate(Premises.objects.filter(pk=premises.pk))[premises.pk]


def qualifying_person(mailbox, name=None, **account):
    membership = MembershipFactory(
        premises=mailbox.premises, **({"user__full_name": name} if name else {})
    )
    linked = PersonalAccountFactory(user=membership.user, **account)
    MailboxLinkFactory(account=linked, mailbox=mailbox)
    return membership


@pytest.fixture
def mailbox(db):
    return SharedMailboxFactory()


@pytest.mark.django_db
class TestCounting:
    @pytest.mark.parametrize(
        ("people", "status"),
        [
            (0, ComplianceStatus.RED),
            (1, ComplianceStatus.RED),
            (2, ComplianceStatus.AMBER),
            (3, ComplianceStatus.GREEN),
        ],
    )
    def test_status_by_number_of_people(self, mailbox, people, status):
        for _ in range(people):
            qualifying_person(mailbox)
        evaluation = evaluate(mailbox.premises)
        assert evaluation.count == people
        assert evaluation.status == status

    def test_reasons_name_people(self, mailbox):
        qualifying_person(mailbox, name="Aisha Khan")
        assert evaluate(mailbox.premises).reason == "Only one live linked account: A. Khan"
        qualifying_person(mailbox, name="Ben Smith")
        assert evaluate(mailbox.premises).reason.startswith(
            "Exactly two live linked accounts: A. Khan and B. Smith"
        )

    def test_no_mailbox_is_red_with_reason(self, db):
        premises = PremisesFactory()
        MembershipFactory.create_batch(3, premises=premises)
        evaluation = evaluate(premises)
        assert evaluation.status == ComplianceStatus.RED
        assert evaluation.reason == "No shared mailbox recorded for this premises"

    @pytest.mark.parametrize(
        "status",
        [
            PersonalAccount.Status.REQUESTED,
            PersonalAccount.Status.INACTIVE,
            PersonalAccount.Status.DISABLED,
            PersonalAccount.Status.LEAVER,
            PersonalAccount.Status.DELETED,
        ],
    )
    def test_accounts_that_are_not_live_do_not_count(self, mailbox, status):
        qualifying_person(mailbox)
        qualifying_person(mailbox)
        qualifying_person(mailbox, status=status)
        assert evaluate(mailbox.premises).count == 2

    def test_ended_membership_does_not_count(self, mailbox):
        qualifying_person(mailbox)
        leaver = qualifying_person(mailbox)
        leaver.end_date = timezone.localdate()
        leaver.save()
        assert evaluate(mailbox.premises).count == 1

    def test_unlinked_account_does_not_count(self, mailbox):
        membership = qualifying_person(mailbox)
        link = membership.user.nhsmail_account.links.get()
        link.unlinked_on = timezone.localdate()
        link.save()
        assert evaluate(mailbox.premises).count == 0

    def test_person_linked_twice_counts_once(self, mailbox):
        membership = qualifying_person(mailbox)
        old = membership.user.nhsmail_account.links.get()
        old.unlinked_on = timezone.localdate()
        old.save()
        MailboxLinkFactory(account=membership.user.nhsmail_account, mailbox=mailbox)
        assert evaluate(mailbox.premises).count == 1

    def test_locum_counts_at_both_premises(self, mailbox):
        other = SharedMailboxFactory()
        locum = qualifying_person(mailbox).user
        MembershipFactory(user=locum, premises=other.premises)
        MailboxLinkFactory(account=locum.nhsmail_account, mailbox=other)
        assert evaluate(mailbox.premises).count == 1
        assert evaluate(other.premises).count == 1

    def test_link_to_a_premises_they_do_not_work_at_does_not_count(self, mailbox):
        stranger = PersonalAccountFactory()
        MailboxLinkFactory(account=stranger, mailbox=mailbox)
        assert evaluate(mailbox.premises).count == 0

    def test_evaluating_many_premises_is_two_queries(self, django_assert_num_queries):
        for _ in range(5):
            mailbox = SharedMailboxFactory()
            qualifying_person(mailbox)
            qualifying_person(mailbox)
        with django_assert_num_queries(2):
            assert len(rules.evaluate()) == 5


@pytest.mark.django_db
class TestUsageClock:
    @pytest.mark.parametrize(
        ("days_ago", "counted", "at_risk"),
        [
            (0, True, False),
            (29, True, False),
            (30, True, True),
            (60, True, True),
            (61, False, False),
        ],
    )
    def test_boundaries(self, mailbox, days_ago, counted, at_risk):
        today = timezone.localdate()
        membership = qualifying_person(mailbox, last_confirmed_on=today - timedelta(days=days_ago))
        account = membership.user.nhsmail_account
        assert rules.account_is_counted(account) is counted
        assert rules.account_at_risk(account) is at_risk
        assert evaluate(mailbox.premises).count == (1 if counted else 0)

    def test_time_passing_stops_an_account_counting(self, mailbox):
        qualifying_person(mailbox, last_confirmed_on=timezone.localdate())
        with time_machine.travel(timezone.now() + timedelta(days=61)):
            assert evaluate(mailbox.premises).count == 0

    def test_never_confirmed_does_not_count(self, mailbox):
        qualifying_person(mailbox, last_confirmed_on=None)
        assert evaluate(mailbox.premises).count == 0
