"""Reads for the NHSmail area, scoped to what the user may see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from django.db.models import FilteredRelation, Q, prefetch_related_objects
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
    user: User,
    pk: int,
    permission: Permission = Permission.VIEW_NHSMAIL,
    *,
    related: tuple[str, ...] = (),
) -> Premises:
    """One premises where the user holds `permission` (viewing NHSmail by default), with
    organisation and any `related` joined. Raises Http404 otherwise."""
    scope = scope_for(user)
    return get_object_or_404(
        Premises.objects.filter(scope.premises_filter(permission)).select_related(
            "organisation", *related
        ),
        pk=pk,
    )


def mailbox_for_premises(premises: Premises) -> SharedMailbox | None:
    """The premises' shared mailbox with its owners prefetched, or None when none is
    recorded. The caller has fetched the premises through a scoped selector."""
    return SharedMailbox.objects.filter(premises=premises).prefetch_related("owners").first()


def staff_rows(premises: Premises, mailbox: SharedMailbox | None) -> list[StaffRow]:
    """Each current member of the premises with their account and current link to its
    shared mailbox `mailbox` (or None), by name: one query."""
    memberships = (
        Membership.objects.current()
        .filter(premises=premises)
        .select_related("user", "user__nhsmail_account")
        .order_by("user__full_name")
    )
    if mailbox is not None:
        links = "user__nhsmail_account__links"
        current = Q(**{f"{links}__mailbox": mailbox, f"{links}__unlinked_on__isnull": True})
        memberships = memberships.annotate(
            current_link=FilteredRelation(links, condition=current)
        ).select_related("current_link")
    rows = []
    for membership in memberships:
        account = getattr(membership.user, "nhsmail_account", None)
        link = getattr(membership, "current_link", None)
        rows.append(StaffRow(membership, account, link))
    return rows


@dataclass
class PremisesPage:
    """A premises' NHSmail page, for one viewer."""

    premises: Premises
    mailbox: SharedMailbox | None
    standing: StoredStanding | None
    rows: list[StaffRow]
    can_manage: bool
    requests: list[AccountRequest]
    own_account: PersonalAccount | None
    own_requests: list[AccountRequest]


def premises_page(user: User, pk: int) -> PremisesPage:
    """Everything a premises' NHSmail page shows a user who may view NHSmail there: the
    premises (organisation joined), its shared mailbox with owners, its stored NHSmail
    standing (made current first; None for a closed premises), each member's StaffRow,
    whether the user manages NHSmail there, its open account requests (for those who
    do; [] otherwise), and the user's own account and own requests there (as
    account_requests_for_self keeps them). Raises Http404 outside the user's scope.
    Six queries at most, whatever the number of staff: the premises with its mailbox,
    the owners, the standing, the staff rows, the requests, and the user's own account
    when they do not work there."""
    premises = premises_for_nhsmail(user, pk, related=("shared_mailbox",))
    mailbox = getattr(premises, "shared_mailbox", None)
    if mailbox is not None:
        prefetch_related_objects([mailbox], "owners")
    can_manage = scope_for(user).has_permission(Permission.MANAGE_NHSMAIL, premises)
    rows = staff_rows(premises, mailbox)
    mine = _own_requests(user)
    wanted = (mine | ~Q(status=AccountRequest.Status.LIVE)) if can_manage else mine
    found = list(
        AccountRequest.objects.filter(premises=premises)
        .filter(wanted)
        .select_related("user", "premises", "account", "submitted_by", "completed_by")
    )
    own_row = next((row for row in rows if row.membership.user_id == user.pk), None)
    return PremisesPage(
        premises=premises,
        mailbox=mailbox,
        standing=standings.standing_of(premises, AREA),
        rows=rows,
        can_manage=can_manage,
        requests=[r for r in found if r.status != AccountRequest.Status.LIVE] if can_manage else [],
        own_account=own_row.account if own_row else own_account(user),
        own_requests=[r for r in found if r.user_id == user.pk and _is_recent_own(r)],
    )


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


# Own account requests a person still sees: open ones, and those that went live in the
# last OWN_REQUESTS_SHOWN_DAYS days.
OWN_REQUESTS_SHOWN_DAYS = 90


def _own_requests(user):
    since = timezone.now() - timedelta(days=OWN_REQUESTS_SHOWN_DAYS)
    return Q(user=user) & (Q(completed_at__isnull=True) | Q(completed_at__gte=since))


def _is_recent_own(account_request):
    since = timezone.now() - timedelta(days=OWN_REQUESTS_SHOWN_DAYS)
    return account_request.completed_at is None or account_request.completed_at >= since


def account_requests_for_self(user: User) -> list[AccountRequest]:
    """A person's own NHSmail account requests, newest first, open ones and those that
    went live in the last 90 days (OWN_REQUESTS_SHOWN_DAYS), for their My NHSmail
    account page."""
    return list(
        AccountRequest.objects.filter(_own_requests(user)).select_related(
            "premises", "account", "submitted_by", "completed_by"
        )
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
