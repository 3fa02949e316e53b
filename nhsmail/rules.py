"""The shared-mailbox rule, in one place.

NHS Terms of Service (since 9 November 2020): at least two members of staff working at a
premises must have live personal NHSmail accounts linked to its shared mailbox.

A person counts for a premises when, on the day evaluated, they
  (a) have a current membership at that premises,
  (b) have a live personal account, confirmed in use within the last 60 days, and
  (c) have a current link from that account to that premises' shared mailbox.
Fewer than two: red. Exactly two: amber (one leaver breaks it). Three or more: green.

The portal cannot see NHSmail sign-ins, so it keeps accounts alive by confirmation: an
account unconfirmed for 30 days is at risk (NHSmail marks unused accounts inactive after
30 days), and after 60 days it no longer counts (by then NHSmail would have deleted it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from django.db.models import Exists, OuterRef
from django.utils import timezone

from accounts.models import Membership, Premises, short_name
from accounts.standings import LeavingEffect, Standing

from .models import ComplianceStatus, MailboxLink, PersonalAccount, SharedMailbox
from .validators import is_shared_mailbox_address, shared_mailbox_address_q

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import date

    from django.db.models import QuerySet

    from accounts.models import User

AT_RISK_AFTER_DAYS = 30
STOPS_COUNTING_AFTER_DAYS = 60
# Reminders go out this many days after the last confirmation, before the 30 run out.
REMIND_AFTER_DAYS = 25
REQUIRED_PEOPLE = 2


def status_for(has_mailbox: bool, count: int) -> ComplianceStatus:
    """The rule's status for a premises with (or without) a shared mailbox and `count`
    people who count."""
    if not has_mailbox or count < REQUIRED_PEOPLE:
        return ComplianceStatus.RED
    if count == REQUIRED_PEOPLE:
        return ComplianceStatus.AMBER
    return ComplianceStatus.GREEN


@dataclass(frozen=True)
class Evaluation:
    premises_id: int
    has_mailbox: bool
    qualifying_names: tuple  # short names ("A. Khan"), sorted

    @property
    def count(self):
        return len(self.qualifying_names)

    @property
    def status(self):
        return status_for(self.has_mailbox, self.count)

    @property
    def reason(self):
        return reason_for(self.has_mailbox, self.qualifying_names)


def reason_for(has_mailbox: bool, names: Sequence[str]) -> str:
    """The rule's reason for a premises with (or without) a shared mailbox and the sorted
    short names of the people who count, as the standing and the compliance page show it."""
    if not has_mailbox:
        return "No shared mailbox recorded for this premises"
    if not names:
        return "No live personal accounts linked to the shared mailbox"
    if len(names) == 1:
        return f"Only one live linked account: {names[0]}"
    if len(names) == 2:
        return (
            f"Exactly two live linked accounts: {names[0]} and {names[1]}. "
            "One leaver breaks the rule"
        )
    return f"{len(names)} live linked accounts"


def counts_as_live_since(on: date) -> date:
    """The earliest last-confirmed date that still counts as live on day `on`."""
    return on - timedelta(days=STOPS_COUNTING_AFTER_DAYS)


def qualifying_links(on: date | None = None) -> QuerySet[MailboxLink]:
    """Current links that count towards the rule on day `on`: one row per link.

    A shared mailbox is never a personal account: an account whose address is any
    premises' shared mailbox, or has a shared mailbox's shape, never counts (such accounts
    may have been stored before they were refused).
    """
    on = on or timezone.localdate()
    works_there = Membership.objects.current(on).filter(
        user_id=OuterRef("account__user_id"), premises_id=OuterRef("mailbox__premises_id")
    )
    return (
        MailboxLink.objects.filter(
            unlinked_on__isnull=True,
            linked_on__lte=on,
            account__status=PersonalAccount.Status.LIVE,
            account__last_confirmed_on__gte=counts_as_live_since(on),
        )
        .filter(Exists(works_there))
        .exclude(account__address__in=SharedMailbox.objects.values("address"))
        .exclude(shared_mailbox_address_q("account__address"))
    )


def evaluate(
    premises_queryset: QuerySet[Premises] | None = None, on: date | None = None
) -> dict[int, Evaluation]:
    """Evaluate the rule for many premises in two queries, whatever their number.

    Returns {premises_id: Evaluation}. Without a queryset, every premises.
    """
    on = on or timezone.localdate()
    links = qualifying_links(on)
    if premises_queryset is None:
        premises_queryset = Premises.objects.all()
    else:
        links = links.filter(mailbox__premises_id__in=premises_queryset.values("id"))
    mailbox_of = dict(premises_queryset.values_list("id", "shared_mailbox__id"))
    people = {}
    rows = links.values_list("mailbox__premises_id", "account__user_id", "account__user__full_name")
    for premises_id, user_id, full_name in rows:
        # A dict per premises: a person linked by two rows still counts once.
        people.setdefault(premises_id, {})[user_id] = short_name(full_name)
    return {
        premises_id: Evaluation(
            premises_id=premises_id,
            has_mailbox=mailbox_id is not None,
            qualifying_names=tuple(sorted(people.get(premises_id, {}).values())),
        )
        for premises_id, mailbox_id in mailbox_of.items()
    }


def account_days_unconfirmed(account: PersonalAccount, on: date | None = None) -> int | None:
    """Days since the account was last confirmed in use, on day `on` (today when None);
    None when it never was."""
    if account.last_confirmed_on is None:
        return None
    return ((on or timezone.localdate()) - account.last_confirmed_on).days


def account_is_counted(account: PersonalAccount, on: date | None = None) -> bool:
    """Whether the account itself can count towards the rule on day `on` (today when
    None): live, not a shared mailbox's shape, confirmed within STOPS_COUNTING_AFTER_DAYS
    days. Membership and link are qualifying_links' part."""
    on = on or timezone.localdate()
    return (
        account.status == PersonalAccount.Status.LIVE
        # Shapes only: an address stored as a shared mailbox is left out by the rule's
        # query (qualifying_links), which this per-person marker follows for the shapes.
        and not is_shared_mailbox_address(account.address)
        and account.last_confirmed_on is not None
        and account.last_confirmed_on >= counts_as_live_since(on)
    )


def account_at_risk(account: PersonalAccount, on: date | None = None) -> bool:
    """Whether a counted account has gone AT_RISK_AFTER_DAYS (30) days or more unconfirmed:
    NHSmail marks unused accounts inactive after 30 days."""
    days = account_days_unconfirmed(account, on)
    return account_is_counted(account, on) and days is not None and days >= AT_RISK_AFTER_DAYS


def work_out(premises_queryset: QuerySet[Premises], on: date) -> dict[int, Standing]:
    """The NHSmail standing of every premises of the queryset on day `on`, for
    accounts.standings: {premises_id: Standing}, in evaluate's two queries.

    Levels are the rule's own (ComplianceStatus: red "Not compliant", amber "Compliant,
    at risk", green "Compliant"). Figures: qualifying_people (int), has_mailbox (bool).
    """
    return {
        premises_id: Standing(
            level=str(evaluation.status),
            reason=evaluation.reason,
            figures={"qualifying_people": evaluation.count, "has_mailbox": evaluation.has_mailbox},
        )
        for premises_id, evaluation in evaluate(premises_queryset, on=on).items()
    }


_COUNT_WORDS = {0: "no", 1: "one", 2: "two"}


def leaving_effect(premises: Premises, user: User, on: date) -> LeavingEffect | None:
    """What `user` leaving `premises` from day `on` does to its NHSmail rule, for the page
    that ends a membership: a LeavingEffect naming the count and status left behind, or
    None when the person does not count there (their leaving changes nothing). Two
    queries. `on` is the end date: someone leaving on a later day is judged by the links
    as they stand today."""
    today = timezone.localdate()
    people = set(
        qualifying_links(today)
        .filter(mailbox__premises_id=premises.pk)
        .values_list("account__user_id", flat=True)
    )
    if user.pk not in people:
        return None
    has_mailbox = SharedMailbox.objects.filter(premises_id=premises.pk).exists()
    before = status_for(has_mailbox, len(people))
    left = len(people) - 1
    after = status_for(has_mailbox, left)
    count = _COUNT_WORDS.get(left, str(left))
    accounts = "account" if left == 1 else "accounts"
    return LeavingEffect(
        area="nhsmail",
        sentence=(
            f"{premises.name} will have {count} live linked NHSmail {accounts}: "
            f"{after.label.lower()}"
        ),
        breaks_rule=after == ComplianceStatus.RED and before != ComplianceStatus.RED,
    )
