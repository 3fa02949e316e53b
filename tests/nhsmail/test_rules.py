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

    def test_an_evaluation_names_its_premises(self, mailbox):
        qualifying_person(mailbox)
        assert evaluate(mailbox.premises).premises_id == mailbox.premises.pk

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


def test_status_needs_a_mailbox_and_two_people():
    assert rules.status_for(False, 3) == ComplianceStatus.RED
    assert rules.status_for(True, 1) == ComplianceStatus.RED
    assert rules.status_for(True, 2) == ComplianceStatus.AMBER
    assert rules.status_for(True, 3) == ComplianceStatus.GREEN


def test_reasons_say_why_in_full():
    assert rules.reason_for(False, ("A. Khan", "B. Smith", "C. Wu")) == (
        "No shared mailbox recorded for this premises"
    )
    assert rules.reason_for(True, ()) == "No live personal accounts linked to the shared mailbox"
    assert rules.reason_for(True, ("A. Khan",)) == "Only one live linked account: A. Khan"
    assert rules.reason_for(True, ("A. Khan", "B. Smith")) == (
        "Exactly two live linked accounts: A. Khan and B. Smith. One leaver breaks the rule"
    )
    assert rules.reason_for(True, ("A. Khan", "B. Smith", "C. Wu")) == "3 live linked accounts"


@pytest.mark.django_db
class TestWhatCounts:
    def test_three_people_are_named_in_order_and_counted(self, mailbox):
        for name in ("Cara Wu", "Aisha Khan", "Ben Smith"):
            qualifying_person(mailbox, name=name)
        evaluation = evaluate(mailbox.premises)
        assert evaluation.qualifying_names == ("A. Khan", "B. Smith", "C. Wu")
        assert evaluation.has_mailbox is True
        assert evaluation.reason == "3 live linked accounts"

    def test_a_link_made_after_the_day_does_not_count_on_it(self, mailbox):
        membership = qualifying_person(mailbox)
        membership.user.nhsmail_account.links.update(
            linked_on=timezone.localdate() + timedelta(days=1)
        )
        assert evaluate(mailbox.premises).count == 0
        membership.user.nhsmail_account.links.update(linked_on=timezone.localdate())
        assert evaluate(mailbox.premises).count == 1

    def test_an_account_at_another_premises_shared_mailbox_address_never_counts(self, mailbox):
        qualifying_person(mailbox, address="front.desk.calder@nhs.net")
        SharedMailboxFactory(address="front.desk.calder@nhs.net")
        assert evaluate(mailbox.premises).count == 0

    @pytest.mark.parametrize(
        "address", ["pharmacy.fab12@nhs.net", "nhspharmacy.leeds.boots.fa123@nhs.net"]
    )
    def test_an_account_shaped_like_a_shared_mailbox_never_counts(self, mailbox, address):
        membership = qualifying_person(mailbox, address=address)
        assert evaluate(mailbox.premises).count == 0
        assert rules.account_is_counted(membership.user.nhsmail_account) is False

    def test_the_rule_is_evaluated_for_the_day_asked(self, mailbox):
        today = timezone.localdate()
        starter = qualifying_person(mailbox, last_confirmed_on=today)
        starter.start_date = today + timedelta(days=10)
        starter.save()
        premises = Premises.objects.filter(pk=mailbox.premises.pk)
        assert rules.evaluate(premises, on=today)[mailbox.premises.pk].count == 0
        later = rules.evaluate(premises, on=today + timedelta(days=10))
        assert later[mailbox.premises.pk].qualifying_names == (starter.user.short_name,)
        # Confirmed today: still counted 60 days on, no longer 61 days on.
        assert (
            rules.evaluate(premises, on=today + timedelta(days=60))[mailbox.premises.pk].count == 1
        )
        assert (
            rules.evaluate(premises, on=today + timedelta(days=61))[mailbox.premises.pk].count == 0
        )

    def test_every_premises_is_evaluated_without_a_queryset(self, mailbox):
        qualifying_person(mailbox, name="Aisha Khan")
        bare = PremisesFactory()
        evaluations = rules.evaluate()
        assert evaluations[mailbox.premises.pk].qualifying_names == ("A. Khan",)
        assert evaluations[bare.pk].has_mailbox is False
        assert evaluations[bare.pk].qualifying_names == ()


@pytest.mark.django_db
class TestAccountMarkers:
    def test_days_unconfirmed_are_counted_to_the_day_asked(self):
        today = timezone.localdate()
        account = PersonalAccountFactory(last_confirmed_on=today - timedelta(days=3))
        assert rules.account_days_unconfirmed(account) == 3
        assert rules.account_days_unconfirmed(account, today + timedelta(days=5)) == 8
        assert (
            rules.account_days_unconfirmed(PersonalAccountFactory(last_confirmed_on=None)) is None
        )

    def test_counted_and_at_risk_on_the_day_asked(self):
        today = timezone.localdate()
        account = PersonalAccountFactory(last_confirmed_on=today)
        assert rules.account_is_counted(account, today + timedelta(days=60)) is True
        assert rules.account_is_counted(account, today + timedelta(days=61)) is False
        assert rules.account_at_risk(account, today + timedelta(days=29)) is False
        assert rules.account_at_risk(account, today + timedelta(days=30)) is True
        assert rules.account_at_risk(account, today + timedelta(days=61)) is False

    def test_only_a_live_confirmed_account_counts(self):
        never = PersonalAccountFactory(last_confirmed_on=None)
        assert rules.account_is_counted(never) is False
        assert rules.account_at_risk(never) is False
        old = timezone.localdate() - timedelta(days=40)
        disabled = PersonalAccountFactory(
            status=PersonalAccount.Status.DISABLED, last_confirmed_on=old
        )
        assert rules.account_is_counted(disabled) is False
        assert rules.account_at_risk(disabled) is False


@pytest.mark.django_db
class TestStandingAndLeaving:
    def test_standing_gives_the_rule_level_reason_and_figures_for_the_day_asked(self, mailbox):
        today = timezone.localdate()
        qualifying_person(mailbox, name="Aisha Khan")
        starter = qualifying_person(mailbox, name="Ben Smith")
        starter.start_date = today + timedelta(days=3)
        starter.save()
        premises = Premises.objects.filter(pk=mailbox.premises.pk)
        now = rules.work_out(premises, today)[mailbox.premises.pk]
        assert (now.level, now.reason) == ("red", "Only one live linked account: A. Khan")
        assert now.figures == {"qualifying_people": 1, "has_mailbox": True}
        later = rules.work_out(premises, today + timedelta(days=3))[mailbox.premises.pk]
        assert later.level == "amber"
        assert later.reason == (
            "Exactly two live linked accounts: A. Khan and B. Smith. One leaver breaks the rule"
        )
        assert later.figures == {"qualifying_people": 2, "has_mailbox": True}

    def test_no_mailbox_standing_for_the_premises_asked_only(self, mailbox):
        premises = PremisesFactory()
        standing = rules.work_out(Premises.objects.filter(pk=premises.pk), timezone.localdate())
        assert list(standing) == [premises.pk]
        assert standing[premises.pk].figures == {"qualifying_people": 0, "has_mailbox": False}

    def _leaving(self, mailbox, people):
        members = [qualifying_person(mailbox) for _ in range(people)]
        effect = rules.leaving_effect(mailbox.premises, members[0].user, timezone.localdate())
        return mailbox.premises.name, effect

    def test_leaving_from_three_leaves_two_at_risk(self, mailbox):
        name, effect = self._leaving(mailbox, 3)
        assert effect.area == "nhsmail"
        assert effect.sentence == (
            f"{name} will have two live linked NHSmail accounts: compliant, at risk"
        )
        assert effect.breaks_rule is False

    def test_leaving_from_two_breaks_the_rule(self, mailbox):
        name, effect = self._leaving(mailbox, 2)
        assert effect.sentence == f"{name} will have one live linked NHSmail account: not compliant"
        assert effect.breaks_rule is True

    def test_the_last_one_leaving_does_not_break_a_rule_already_broken(self, mailbox):
        name, effect = self._leaving(mailbox, 1)
        assert effect.sentence == (
            f"{name} will have no live linked NHSmail accounts: not compliant"
        )
        assert effect.breaks_rule is False

    def test_leaving_from_many_gives_the_number(self, mailbox):
        name, effect = self._leaving(mailbox, 5)
        assert effect.sentence == f"{name} will have 4 live linked NHSmail accounts: compliant"
        assert effect.breaks_rule is False

    def test_leaving_counts_only_those_who_work_where_the_mailbox_is(self, mailbox):
        # Someone linked to this mailbox who works at another premises does not count here.
        elsewhere = MembershipFactory().user
        MailboxLinkFactory(account=PersonalAccountFactory(user=elsewhere), mailbox=mailbox)
        name, effect = self._leaving(mailbox, 2)
        assert effect.sentence == f"{name} will have one live linked NHSmail account: not compliant"
        assert effect.breaks_rule is True

    def test_leaving_is_judged_by_people_not_by_their_links(self, mailbox):
        # Users and links numbered differently, so a link's id can never pass for a person's.
        MembershipFactory.create_batch(3)
        name, effect = self._leaving(mailbox, 3)
        assert effect.sentence == (
            f"{name} will have two live linked NHSmail accounts: compliant, at risk"
        )

    def test_someone_who_does_not_count_changes_nothing(self, mailbox):
        qualifying_person(mailbox)
        qualifying_person(mailbox)
        other = MembershipFactory(premises=mailbox.premises).user
        assert rules.leaving_effect(mailbox.premises, other, timezone.localdate()) is None
