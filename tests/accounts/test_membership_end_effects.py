"""Ending a membership says, before it is confirmed, what it does to the premises'
NHSmail rule, and the end date starts at today."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership
from tests.conftest import sign_in
from tests.factories import MembershipFactory
from tests.nhsmail.factories import MailboxLinkFactory, PersonalAccountFactory, SharedMailboxFactory

pytestmark = pytest.mark.django_db


def linked(user, mailbox):
    account = PersonalAccountFactory(user=user, last_confirmed_on=timezone.localdate())
    return MailboxLinkFactory(account=account, mailbox=mailbox)


def end_page(world, membership, role="manager"):
    response = sign_in(Client(), world.user(role)).get(
        reverse("membership_end", args=[membership.pk])
    )
    assert response.status_code == 200
    return response.content.decode()


def test_warns_when_it_breaks_the_nhsmail_rule(world):
    mailbox = SharedMailboxFactory(premises=world.premises)
    linked(world.staff, mailbox)
    linked(world.manager, mailbox)
    html = end_page(world, world.staff.memberships.get())
    assert "This breaks the NHSmail rule" in html
    assert "Calder Pharmacy will have one live linked NHSmail account: not compliant" in html


def test_says_what_is_left_when_the_rule_still_holds(world):
    mailbox = SharedMailboxFactory(premises=world.premises)
    for user in (world.staff, world.manager, MembershipFactory(premises=world.premises).user):
        linked(user, mailbox)
    html = end_page(world, world.staff.memberships.get())
    assert "This breaks the NHSmail rule" not in html
    assert "Calder Pharmacy will have two live linked NHSmail accounts: compliant, at risk" in html


def test_says_nothing_about_nhsmail_for_someone_who_does_not_count(world):
    SharedMailboxFactory(premises=world.premises)
    html = end_page(world, world.staff.memberships.get())
    assert "live linked NHSmail" not in html


def test_end_date_defaults_to_today(world):
    today = timezone.localdate()
    html = end_page(world, world.staff.memberships.get())
    assert f'name="end_date_day" type="text" value="{today.day}"' in html
    assert f'name="end_date_month" type="text" value="{today.month}"' in html
    assert f'name="end_date_year" type="text" value="{today.year}"' in html


@pytest.mark.parametrize("role", ["manager", "head_office", "portal_admin"])
def test_who_may_end_a_membership_sees_the_effects(world, role):
    mailbox = SharedMailboxFactory(premises=world.premises)
    linked(world.staff, mailbox)
    assert "This breaks the NHSmail rule" not in end_page(
        world, world.staff.memberships.get(), role
    )


@pytest.mark.parametrize("role", ["staff", "unlocker", "other_manager", "other_head_office"])
def test_others_get_404(world, role):
    membership = Membership.objects.get(user=world.staff)
    response = sign_in(Client(), world.user(role)).get(
        reverse("membership_end", args=[membership.pk])
    )
    assert response.status_code == 404
