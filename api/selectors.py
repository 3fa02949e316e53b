"""Reads for the API and its token pages.

Every API list starts from the premises the token's admin may see with the permission
the matching web page needs, narrowed to the token's organisation: another
organisation's ids are simply absent, so they answer 404. `request` is the DRF request,
its `auth` the ApiToken that authenticated it (api.authentication); `since` an aware
datetime, the `updated_since` of docs/api.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import CharField, Exists, OuterRef, Q
from django.db.models.functions import Cast
from django.shortcuts import get_object_or_404

from accounts import standings
from accounts.models import AuditEvent, Membership, Premises
from accounts.permissions import Permission, scope_for
from accounts.selectors import organisation_get
from eps.models import TokenOrder
from eps.selectors import token_figures
from nhsmail.models import MailboxLink, PersonalAccount
from smartcards.models import SmartcardRequest, SmartcardRequestEvent

from .models import ApiToken

if TYPE_CHECKING:
    from datetime import datetime

    from django.db.models import QuerySet
    from rest_framework.request import Request

    from accounts.models import Organisation, User
    from eps.selectors import TokenFigures

# Creating and revoking tokens is an organisation-wide write: head office and portal admins.
TOKEN_PERMISSION = Permission.MANAGE_PREMISES


def token_organisation_get(user: User, pk: int) -> Organisation:
    """An organisation whose API tokens the user may manage (TOKEN_PERMISSION: head office
    and portal admins). Raises Http404 for any other."""
    return organisation_get(user, pk, TOKEN_PERMISSION)


def tokens_for_organisation(organisation: Organisation) -> QuerySet[ApiToken]:
    """Every API token of the organisation, revoked and expired ones too, with creator and
    revoker joined. The caller has checked the organisation is the user's."""
    return ApiToken.objects.filter(organisation=organisation).select_related(
        "created_by", "revoked_by"
    )


def token_get(organisation: Organisation, pk: int) -> ApiToken:
    """One of the organisation's API tokens. Raises Http404 for another's."""
    return get_object_or_404(tokens_for_organisation(organisation), pk=pk)


# --- The API's scoped querysets ----------------------------------------------------------


def premises_in_scope(
    request: Request, permission: Permission = Permission.VIEW_PREMISES
) -> QuerySet[Premises]:
    """The premises of the token's organisation where its owner holds `permission`."""
    scope = scope_for(request.user)
    return Premises.objects.filter(
        scope.premises_filter(permission), organisation=request.auth.organisation
    )


def _audited_since(object_type, since, premises_ref="premises_id"):
    return Exists(
        AuditEvent.objects.filter(
            premises_id=OuterRef(premises_ref),
            object_type=object_type,
            object_id=Cast(OuterRef("pk"), CharField()),
            created_at__gte=since,
        )
    )


def premises_for_api(request: Request, since: datetime | None = None) -> QuerySet[Premises]:
    """The API's premises, by id with region joined; with `since`, only those created or
    with an audit event at or after it."""
    premises = premises_in_scope(request).select_related("region").order_by("pk")
    if since is not None:
        premises = premises.filter(
            Q(created_at__gte=since)
            | Exists(AuditEvent.objects.filter(premises_id=OuterRef("pk"), created_at__gte=since))
        )
    return premises


def memberships_for_api(
    request: Request,
    since: datetime | None = None,
    premises_id: int | None = None,
    current: bool | None = None,
) -> QuerySet[Membership]:
    """Memberships at premises where the token's owner may see staff, by id with user and
    premises joined. premises_id narrows to one premises; current True gives only current
    memberships, False only ended or future ones, None both; with `since`, those that
    started, ended or were audited on or after it."""
    memberships = (
        Membership.objects.filter(
            premises__in=premises_in_scope(request, Permission.VIEW_STAFF).values("pk")
        )
        .select_related("user", "premises")
        .order_by("pk")
    )
    if premises_id is not None:
        memberships = memberships.filter(premises_id=premises_id)
    if current is True:
        memberships = memberships.filter(pk__in=Membership.objects.current().values("pk"))
    elif current is False:
        memberships = memberships.exclude(pk__in=Membership.objects.current().values("pk"))
    if since is not None:
        memberships = memberships.filter(
            Q(start_date__gte=since.date())
            | Q(end_date__gte=since.date())
            | _audited_since("accounts.Membership", since)
        )
    return memberships


def membership_for_api(
    request: Request, pk: int, permission: Permission = Permission.VIEW_STAFF
) -> Membership:
    """One membership at a premises of the token's organisation where its owner holds
    `permission`, with user, premises and organisation joined. Raises Http404 otherwise."""
    return get_object_or_404(
        Membership.objects.filter(
            premises__in=premises_in_scope(request, permission).values("pk")
        ).select_related("user", "premises", "premises__organisation"),
        pk=pk,
    )


def accounts_for_api(request: Request, since: datetime | None = None) -> QuerySet[PersonalAccount]:
    """Personal NHSmail accounts of people currently working at a premises where the
    token's owner may see NHSmail, by id with user joined; with `since`, those updated at
    or after it."""
    staff = Membership.objects.current().filter(
        user=OuterRef("user"),
        premises__in=premises_in_scope(request, Permission.VIEW_NHSMAIL).values("pk"),
    )
    accounts = PersonalAccount.objects.filter(Exists(staff)).select_related("user").order_by("pk")
    if since is not None:
        accounts = accounts.filter(updated_at__gte=since)
    return accounts


def links_for_api(request: Request, since: datetime | None = None) -> QuerySet[MailboxLink]:
    """Links between personal accounts and the shared mailboxes of premises where the
    token's owner may see NHSmail, by id; with `since`, those linked, unlinked or audited
    on or after it."""
    links = (
        MailboxLink.objects.filter(
            mailbox__premises__in=premises_in_scope(request, Permission.VIEW_NHSMAIL).values("pk")
        )
        .select_related("account", "account__user", "mailbox")
        .order_by("pk")
    )
    if since is not None:
        links = links.filter(
            Q(linked_on__gte=since.date())
            | Q(unlinked_on__gte=since.date())
            | _audited_since("nhsmail.MailboxLink", since, "mailbox__premises_id")
        )
    return links


def link_for_api(request: Request, pk: int) -> MailboxLink:
    """One mailbox link the token's owner may change (Permission.MANAGE_NHSMAIL at its
    premises). Raises Http404 otherwise."""
    return get_object_or_404(
        links_for_api(request).filter(
            mailbox__premises__in=premises_in_scope(request, Permission.MANAGE_NHSMAIL).values("pk")
        ),
        pk=pk,
    )


def smartcard_requests_for_api(
    request: Request, since: datetime | None = None
) -> QuerySet[SmartcardRequest]:
    """Smartcard requests at premises where the token's owner may view holders' profiles,
    by id with holder, user and premises joined; with `since`, those raised or with any
    event at or after it."""
    requests = (
        SmartcardRequest.objects.filter(
            premises__in=premises_in_scope(request, Permission.VIEW_HOLDER_PROFILE).values("pk")
        )
        .select_related("holder", "holder__user", "premises")
        .order_by("pk")
    )
    if since is not None:
        # Every state change, including a released claim (which clears claimed_at), is
        # an event on the request: those are what a sync has to see.
        requests = requests.filter(
            Q(raised_at__gte=since)
            | Exists(SmartcardRequestEvent.objects.filter(request=OuterRef("pk"), at__gte=since))
        )
    return requests


def token_orders_for_api(request: Request, since: datetime | None = None) -> QuerySet[TokenOrder]:
    """EPS token orders at premises where the token's owner may view tokens, by id with
    premises joined; with `since`, those created, placed, received or cancelled on or
    after it."""
    orders = (
        TokenOrder.objects.filter(
            premises__in=premises_in_scope(request, Permission.VIEW_TOKENS).values("pk")
        )
        .select_related("premises")
        .order_by("pk")
    )
    if since is not None:
        orders = orders.filter(
            Q(created_at__gte=since)
            | Q(placed_on__gte=since.date())
            | Q(received_on__gte=since.date())
            | Q(cancelled_at__gte=since)
        )
    return orders


# The API's name for each area, and the figures it gives beside the standing:
# {area key: (API name, {API field: stored figure})}.
COMPLIANCE_FIELDS = {
    "nhsmail": ("nhsmail", {"qualifying_people": "qualifying_people"}),
    "smartcards": (
        "smartcards",
        {
            "open_requests": "open_requests",
            "urgent_requests": "urgent_requests",
            "certificates_expired": "certificates_expired",
            "certificates_expiring_90_days": "expiring_90",
        },
    ),
    "eps": (
        "eps_tokens",
        {"stock": "stock", "days_of_cover": "days_of_cover", "open_orders": "open_orders"},
    ),
    "records": (
        "scr_ncrs",
        {
            "ready_staff": "ready_staff_count",
            "eligible_staff": "eligible_staff_count",
            "has_ready_pharmacist": "has_ready_pharmacist",
        },
    ),
}


def compliance_for_page(premises_list: list[Premises]) -> list[Premises]:
    """Each area's stored standing for a page of premises (a list of Premises), set on
    each as `premises.compliance`: {API area name: {"status", "label", "reason",
    "worked_out_at", "stale", and the area's figures under their API names}}.

    Reads the stored standings (accounts.standings), working out first any that are stale;
    a fixed number of queries whatever the page size. Returns the same list.
    """
    ids = [p.pk for p in premises_list]
    standings.ensure_current(Premises.objects.filter(pk__in=ids))
    stored = standings.stored_standings(ids)
    for premises in premises_list:
        premises.compliance = {}
        for area_key, standing in stored.get(premises.pk, {}).items():
            name, fields = COMPLIANCE_FIELDS[area_key]
            premises.compliance[name] = {
                "status": standing.level,
                "label": standing.label,
                "reason": standing.reason,
                "worked_out_at": standing.worked_out_at,
                "stale": standing.stale,
                **{field: standing[figure] for field, figure in fields.items()},
            }
    return premises_list


def token_figures_for_page(premises_list: list[Premises]) -> list[TokenFigures]:
    """EPS token figures (eps.selectors.TokenFigures) for a page of premises, in the
    page's order: [TokenFigures]. A fixed number of queries whatever the page size."""
    ids = [premises.pk for premises in premises_list]
    figures = {f.premises.pk: f for f in token_figures(Premises.objects.filter(pk__in=ids))}
    return [figures[pk] for pk in ids]


def staff_person_for_api(request: Request, email: str) -> User | None:
    """The person (User) with this email (any case) who currently works at a premises of
    the token's organisation, or None: a person elsewhere is as unknown as no one."""
    membership = (
        memberships_for_api(request, current=True)
        .filter(user__email__iexact=email)
        .select_related("user")
        .first()
    )
    return membership.user if membership else None
