"""Reads for the NHSmail area, scoped to what the user may see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts import standings
from accounts.models import Membership, Premises, User
from accounts.permissions import Permission, scope_for
from accounts.selectors import Holdings, holdings_for_self, staff_for_premises

from . import rules
from .models import AccountRequest, MailboxLink, PersonalAccount, SharedMailbox
from .services import AREA

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from accounts.models import Organisation
    from accounts.standings import StoredStanding


@dataclass
class StaffRow:
    membership: Membership
    account: PersonalAccount | None
    link: MailboxLink | None

    @property
    def counted(self):
        return (
            self.link is not None
            and self.account is not None
            and rules.account_is_counted(self.account)
        )

    @property
    def at_risk(self):
        return self.account is not None and rules.account_at_risk(self.account)

    @property
    def days_unconfirmed(self):
        return rules.account_days_unconfirmed(self.account) if self.account else None


def premises_for_nhsmail(
    user: User, pk: int, permission: Permission = Permission.VIEW_NHSMAIL
) -> Premises:
    """One premises where the user holds `permission` (viewing NHSmail by default), with
    organisation joined. Raises Http404 otherwise."""
    scope = scope_for(user)
    return get_object_or_404(
        Premises.objects.filter(scope.premises_filter(permission)).select_related("organisation"),
        pk=pk,
    )


def mailbox_for_premises(premises: Premises) -> SharedMailbox | None:
    """The premises' shared mailbox with its owners prefetched, or None when none is
    recorded. The caller has fetched the premises through a scoped selector."""
    return SharedMailbox.objects.filter(premises=premises).prefetch_related("owners").first()


def staff_rows(premises: Premises) -> list[StaffRow]:
    """Each current member with their account and current link to the premises' shared
    mailbox (or None), by name: three queries."""
    memberships = list(
        Membership.objects.current()
        .filter(premises=premises)
        .select_related("user")
        .order_by("user__full_name")
    )
    user_ids = [m.user_id for m in memberships]
    accounts = {a.user_id: a for a in PersonalAccount.objects.filter(user_id__in=user_ids)}
    links = {
        link.account.user_id: link
        for link in MailboxLink.objects.current()
        .filter(mailbox__premises=premises, account__user_id__in=user_ids)
        .select_related("account")
    }
    return [StaffRow(m, accounts.get(m.user_id), links.get(m.user_id)) for m in memberships]


def standing_for(premises: Premises) -> StoredStanding | None:
    """The premises' stored NHSmail standing (accounts.standings.StoredStanding), made
    current first; None when it has none (a closed premises)."""
    return standings.standing_of(premises, AREA)


def link_for_user(user: User, pk: int) -> MailboxLink:
    """A mailbox link at a premises where the user may manage NHSmail, with account, user,
    mailbox and premises joined. Raises Http404 otherwise."""
    scope = scope_for(user)
    return get_object_or_404(
        MailboxLink.objects.filter(
            scope.premises_filter(Permission.MANAGE_NHSMAIL, prefix="mailbox__premises__")
        ).select_related("account__user", "mailbox__premises"),
        pk=pk,
    )


def account_for_user(user: User, pk: int) -> PersonalAccount:
    """An account the user may confirm: their own, or a current staff member's where they
    manage NHSmail; any for a portal admin. Raises Http404 otherwise."""
    scope = scope_for(user)
    managed = Membership.objects.current().filter(
        scope.premises_filter(Permission.MANAGE_NHSMAIL, prefix="premises__")
    )
    accounts = PersonalAccount.objects.select_related("user")
    if not scope.is_portal_admin:
        accounts = accounts.filter(Q(user=user) | Q(user_id__in=managed.values("user_id")))
    return get_object_or_404(accounts, pk=pk)


def mailbox_owner_choices(user: User, premises: Premises) -> QuerySet[User]:
    """The people who may be named owners of the premises' shared mailbox: its current
    staff, by name; none for someone who may not see its staff."""
    on_staff = staff_for_premises(user, premises).values("user_id")
    return User.objects.filter(pk__in=on_staff).order_by("full_name")


def linkable_accounts(user: User, premises: Premises) -> QuerySet[PersonalAccount]:
    """Personal accounts of the premises' current staff not yet linked to its shared
    mailbox, by holder's name: the choices of the link form."""
    on_staff = staff_for_premises(user, premises).values("user_id")
    linked_here = MailboxLink.objects.current().filter(mailbox__premises=premises)
    return (
        PersonalAccount.objects.filter(user_id__in=on_staff)
        .exclude(links__in=linked_here)
        .select_related("user")
        .order_by("user__full_name")
    )


def organisation_premises_ids(organisation: Organisation) -> list[int]:
    """Ids of every premises of the organisation (the "check now" job's list)."""
    return list(Premises.objects.filter(organisation=organisation).values_list("id", flat=True))


def own_account(user: User) -> PersonalAccount | None:
    """The user's own personal NHSmail account, or None when none is recorded."""
    return PersonalAccount.objects.filter(user=user).first()


def account_requests_for_premises(premises: Premises) -> QuerySet[AccountRequest]:
    """The premises' NHSmail account requests not yet live, with user and submitter
    joined. The caller has checked the viewer may manage NHSmail there."""
    return (
        AccountRequest.objects.filter(premises=premises)
        .exclude(status=AccountRequest.Status.LIVE)
        .select_related("user", "premises", "submitted_by")
    )


def account_requests_for_self(user: User) -> list[AccountRequest]:
    """A person's own NHSmail account requests, newest first, open ones and those that
    went live in the last 90 days, for their My NHSmail account and premises pages."""
    since = timezone.now() - timedelta(days=90)
    return list(
        AccountRequest.objects.filter(user=user)
        .filter(Q(completed_at__isnull=True) | Q(completed_at__gte=since))
        .select_related("premises", "account", "submitted_by", "completed_by")
    )


def account_request_for_user(user: User, pk: int) -> AccountRequest:
    """An account request at a premises where the user may manage NHSmail, with user and
    premises joined. Raises Http404 otherwise."""
    scope = scope_for(user)
    return get_object_or_404(
        AccountRequest.objects.filter(
            scope.premises_filter(Permission.MANAGE_NHSMAIL, prefix="premises__")
        ).select_related("user", "premises"),
        pk=pk,
    )


@dataclass
class PremisesCompliance:
    premises: Premises
    standing: object  # accounts.standings.StoredStanding, or None if never worked out


def organisation_compliance(premises_queryset: QuerySet[Premises]) -> list[PremisesCompliance]:
    """Every premises of a queryset with its stored NHSmail standing, made current first:
    a fixed number of queries, any size. For the head-office list, its CSV and home."""
    standings.ensure_current(premises_queryset)
    premises = list(premises_queryset.select_related("region").order_by("name"))
    stored = standings.stored_standings([p.pk for p in premises])
    return [PremisesCompliance(p, stored.get(p.pk, {}).get(AREA)) for p in premises]


@dataclass
class HomePanel:
    premises: list
    no_account: bool
    account_needs_confirming: bool
    days_unconfirmed: int | None


def home_panel(user: User, *, holdings: Holdings | None = None) -> HomePanel | None:
    """The NHSmail state of the premises a person works at (accounts.selectors.
    PremisesInArea: premises and stored standing, by name), and of their own account
    (days_unconfirmed in days), for their home page; None when they work nowhere.
    `holdings`: what the home page has already read of the user (holdings_for_self);
    read here when not given."""
    holdings = holdings if holdings is not None else holdings_for_self(user)
    rows = holdings.in_area(AREA)
    if not rows:
        return None
    account = own_account(user)
    return HomePanel(
        premises=rows,
        no_account=account is None,
        account_needs_confirming=account is not None and rules.account_at_risk(account),
        days_unconfirmed=rules.account_days_unconfirmed(account) if account else None,
    )
