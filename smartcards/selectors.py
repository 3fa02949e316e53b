"""Reads for the smartcards area, each scoped to what the user may see.

Holders are seen by themselves and by whoever holds VIEW_HOLDER_PROFILE at a premises
where they currently work (their manager, the unlockers covering it, their head office,
portal admins). Requests are seen by the holder, whoever raised them, and the same
premises roles. The unlock queue is WORK_UNLOCK_QUEUE's scope: the unlockers covering the
premises, and portal admins.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import (
    Count,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts import standings
from accounts.models import Membership, Premises, Region, UnlockerCover, User
from accounts.permissions import Permission, scope_for

from .actions import may_work_queue
from .models import FINAL_REMINDER_DAYS, RegistrationAuthority, SmartcardHolder, SmartcardRequest

ACTIVE = SmartcardRequest.ACTIVE
AREA = "smartcards"


class _Count(Func):
    """COUNT over a correlated subquery, without the GROUP BY Count() would add."""

    function = "COUNT"
    output_field = IntegerField()


class _CountDistinct(_Count):
    template = "%(function)s(DISTINCT %(expressions)s)"


def _count(queryset, expression="pk", *, distinct=False):
    counter = _CountDistinct if distinct else _Count
    return Coalesce(
        Subquery(queryset.order_by().annotate(n=counter(F(expression))).values("n")[:1]), 0
    )


# --- Holders -----------------------------------------------------------------------------


def holder_for_self(user):
    if not user.is_authenticated:
        return None
    return SmartcardHolder.objects.filter(user=user).first()


def _premises_in_scope(user, permission):
    return Premises.objects.filter(scope_for(user).premises_filter(permission))


def holders_for_user(user):
    scope = scope_for(user)
    holders = SmartcardHolder.objects.select_related("user")
    if scope.is_portal_admin:
        return holders
    works_in_scope = Membership.objects.current().filter(
        user=OuterRef("user"),
        premises__in=_premises_in_scope(user, Permission.VIEW_HOLDER_PROFILE),
    )
    return holders.filter(Q(user=user) | Exists(works_in_scope))


def holder_get(user, pk):
    return get_object_or_404(holders_for_user(user), pk=pk)


def can_search_holders(user):
    """Whoever may view holders' profiles somewhere: managers, unlockers, head office,
    portal admins."""
    return scope_for(user).has_permission(Permission.VIEW_HOLDER_PROFILE)


def holder_search(user, query):
    """Holders in scope whose name or email contains the query, or whose UUID it is."""
    holders = holders_for_user(user)
    query = " ".join((query or "").split())
    if not query:
        return holders.none()
    if query.replace(" ", "").isdigit():
        return holders.filter(uuid=query.replace(" ", "")).order_by("user__full_name")
    return holders.filter(
        Q(user__full_name__icontains=query) | Q(user__email__icontains=query)
    ).order_by("user__full_name", "pk")


def holder_premises_in_scope(user, holder):
    """The premises where the holder works now that the viewer may see."""
    memberships = (
        Membership.objects.current()
        .filter(user=holder.user_id)
        .select_related("premises", "premises__organisation")
        .order_by("premises__name")
    )
    if holder.user_id != user.pk:
        memberships = memberships.filter(
            premises__in=_premises_in_scope(user, Permission.VIEW_HOLDER_PROFILE)
        )
    return [membership.premises for membership in memberships]


def staff_cards_at_premises(user, premises):
    """Current staff at a premises with their smartcard (or None), for those who may see."""
    if not scope_for(user).has_permission(Permission.VIEW_HOLDER_PROFILE, premises):
        return []
    return list(
        Membership.objects.current()
        .filter(premises=premises)
        .select_related("user", "user__smartcard")
        .order_by("user__full_name")
    )


def staff_member_at_premises(user, premises, user_pk):
    """A current member of staff a manager may act for, else 404."""
    if not scope_for(user).has_permission(Permission.RAISE_UNLOCK_REQUEST_FOR_STAFF, premises):
        raise Http404
    on_staff = Membership.objects.current().filter(premises=premises).values("user_id")
    return get_object_or_404(User.objects.filter(pk__in=on_staff, is_active=True), pk=user_pk)


def holders_of_staff_at_premises(premises):
    on_staff = Membership.objects.current().filter(premises=premises).values("user_id")
    return (
        SmartcardHolder.objects.filter(user__in=on_staff, user__is_active=True)
        .select_related("user")
        .order_by("user__full_name")
    )


def any_certificates_expired(holders, today=None):
    """Whether any card of a holder queryset has certificates past their last good day."""
    return holders.filter(certificate_expires_on__lt=today or timezone.localdate()).exists()


def premises_to_raise_from(user):
    """Where the user works today: the premises a request for themselves can come from."""
    if not user.is_authenticated:
        return Premises.objects.none()
    on_staff = Membership.objects.current().filter(user=user).values("premises_id")
    return Premises.objects.filter(pk__in=on_staff).select_related("region").order_by("name")


def premises_for_smartcards(user, pk, permission=Permission.VIEW_PREMISES):
    return get_object_or_404(
        Premises.objects.filter(scope_for(user).premises_filter(permission)).select_related(
            "organisation", "region"
        ),
        pk=pk,
    )


def can_act_for(actor, person, premises):
    """May actor raise requests and keep card details for person at premises?"""
    scope = scope_for(actor)
    if actor.pk == person.pk:
        return premises.pk in scope.staff_premises_ids
    return (
        scope.has_permission(Permission.RAISE_UNLOCK_REQUEST_FOR_STAFF, premises)
        and Membership.objects.current().filter(user=person, premises=premises).exists()
    )


# --- Registration Authorities ------------------------------------------------------------


def registration_authorities_for_premises(premises_list):
    region_ids = {premises.region_id for premises in premises_list}
    return list(
        RegistrationAuthority.objects.filter(region_id__in=region_ids).select_related("region")
    )


def regions_with_authorities():
    return Region.objects.select_related("registration_authority").order_by("name")


def region_get(user, pk):
    if not scope_for(user).has_permission(Permission.MANAGE_UNLOCKER_COVER):
        raise Http404
    return get_object_or_404(Region.objects.select_related("registration_authority"), pk=pk)


# --- Requests ----------------------------------------------------------------------------


def _requests():
    return SmartcardRequest.objects.select_related(
        "holder__user", "premises", "raised_by", "claimed_by", "closed_by"
    )


def requests_for_user(user):
    scope = scope_for(user)
    if scope.is_portal_admin:
        return _requests()
    return _requests().filter(
        Q(holder__user=user)
        | Q(raised_by=user)
        | scope.premises_filter(Permission.VIEW_HOLDER_PROFILE, prefix="premises__")
    )


def request_get(user, pk):
    return get_object_or_404(requests_for_user(user), pk=pk)


def requests_for_self(user):
    return _requests().filter(holder__user=user).order_by("-raised_at")


def requests_for_holder(user, holder):
    return requests_for_user(user).filter(holder=holder).order_by("-raised_at")


def active_requests_at_premises(user, premises):
    return (
        requests_for_user(user)
        .filter(premises=premises, status__in=ACTIVE)
        .order_by("-urgent", "raised_at", "pk")
    )


def request_events(smartcard_request):
    return smartcard_request.events.select_related("actor")


QUEUE_VIEWS = {
    "all": "Everything waiting or claimed",
    "waiting": "Waiting for an unlocker",
    "mine": "Claimed by me",
}


def can_work_queue(user):
    """Whether the user works an unlock queue anywhere (smartcards.actions decides)."""
    return may_work_queue(user)


def queue_for_user(user, show="all"):
    """Open and claimed requests from the premises the user covers: urgent, then oldest."""
    scope = scope_for(user)
    queue = SmartcardRequest.objects.filter(status__in=ACTIVE).filter(
        scope.premises_filter(Permission.WORK_UNLOCK_QUEUE, prefix="premises__")
    )
    if show == "waiting":
        queue = queue.filter(status=SmartcardRequest.Status.OPEN)
    elif show == "mine":
        queue = queue.filter(claimed_by=user)
    return queue.select_related("holder__user", "premises", "claimed_by").order_by(
        "-urgent", "raised_at", "pk"
    )


def queue_request_get(user, pk):
    """A request the user may work, in any state (so a refusal can say why), else 404."""
    scope = scope_for(user)
    return get_object_or_404(
        _requests().filter(
            scope.premises_filter(Permission.WORK_UNLOCK_QUEUE, prefix="premises__")
        ),
        pk=pk,
    )


# --- Unlocker cover ----------------------------------------------------------------------


def _covers_of(premises_ref, organisation_ref):
    return UnlockerCover.objects.filter(
        Q(premises=premises_ref) | Q(organisation=organisation_ref), unlocker__is_active=True
    )


def with_cover(premises_queryset, today=None):
    """Premises annotated with `unlocker_count` (unlockers covering it) and
    `unlocker_on_site` (one of them works there), in the same query."""
    today = today or timezone.localdate()
    covers = _covers_of(OuterRef("pk"), OuterRef("organisation_id"))
    on_site = covers.filter(
        Q(unlocker__memberships__end_date__isnull=True)
        | Q(unlocker__memberships__end_date__gt=today),
        unlocker__memberships__premises=OuterRef("pk"),
        unlocker__memberships__start_date__lte=today,
    )
    return premises_queryset.annotate(
        unlocker_count=_count(covers, "unlocker_id", distinct=True),
        unlocker_on_site=Exists(on_site),
    )


def cover_for_user(user, *, without_on_site=False):
    premises = Premises.objects.filter(
        scope_for(user).premises_filter(Permission.VIEW_COMPLIANCE)
    ).select_related("organisation")
    premises = with_cover(premises)
    if without_on_site:
        premises = premises.filter(unlocker_on_site=False)
    # No cover first, then cover from elsewhere only, then the rest.
    return premises.order_by("unlocker_count", "unlocker_on_site", "name", "pk")


def can_view_cover(user):
    """Whoever sees compliance somewhere sees unlocker cover: managers, head office,
    portal admins."""
    return scope_for(user).has_permission(Permission.VIEW_COMPLIANCE)


@dataclass(frozen=True)
class CoverRow:
    premises: Premises
    unlockers: list
    on_site: set

    @property
    def has_cover(self):
        return bool(self.unlockers)

    @property
    def unlocker_on_site(self):
        return bool(self.on_site)


def cover_rows(premises_page, today=None):
    """The unlockers covering each premises of a page (already fetched): two queries."""
    today = today or timezone.localdate()
    premises_list = list(premises_page)
    ids = {p.pk for p in premises_list}
    organisation_ids = {p.organisation_id for p in premises_list}
    covers = (
        UnlockerCover.objects.filter(
            Q(premises_id__in=ids) | Q(organisation_id__in=organisation_ids),
            unlocker__is_active=True,
        )
        .select_related("unlocker")
        .order_by("unlocker__full_name")
    )
    by_premises, by_organisation = {}, {}
    for cover in covers:
        if cover.premises_id:
            by_premises.setdefault(cover.premises_id, []).append(cover.unlocker)
        else:
            by_organisation.setdefault(cover.organisation_id, []).append(cover.unlocker)
    working = set(
        Membership.objects.current(today)
        .filter(premises_id__in=ids, user__in=[c.unlocker_id for c in covers])
        .values_list("premises_id", "user_id")
    )
    rows = []
    for premises in premises_list:
        unlockers = {
            u.pk: u
            for u in by_premises.get(premises.pk, [])
            + by_organisation.get(premises.organisation_id, [])
        }
        on_site = {pk for pk in unlockers if (premises.pk, pk) in working}
        rows.append(
            CoverRow(
                premises,
                sorted(unlockers.values(), key=lambda u: u.full_name),
                on_site,
            )
        )
    return rows


# --- Head office -------------------------------------------------------------------------


def premises_smartcard_figures(premises_queryset, today=None):
    """Per-premises smartcard figures, in one query whatever the number of premises.

    Annotates: `open_requests` and `urgent_requests` (waiting or claimed),
    `oldest_raised_at` (the longest-waiting of those), `certificates_expired` and
    `expiring_30`, `expiring_60`, `expiring_90` (certificates of people working there now,
    not yet expired, ending within that many days), plus the cover figures of
    `with_cover`. The smartcards standing (smartcards/standing.py) is worked out from
    these, and the organisation page's CSV lists them.
    """
    today = today or timezone.localdate()
    active = SmartcardRequest.objects.filter(premises=OuterRef("pk"), status__in=ACTIVE)
    # Cards of people working there now. A person holds one card, however many
    # memberships they have at the premises, so counting cards counts people once; and
    # matching memberships by user id skips a join through the user table, which was most
    # of the cost of these four figures across thousands of premises.
    cards = SmartcardHolder.objects.filter(
        user_id__in=Membership.objects.current(today)
        .filter(premises=OuterRef(OuterRef("pk")))
        .values("user_id")
    )

    def expiring_within(days):
        return _count(
            cards.filter(
                certificate_expires_on__gte=today,
                certificate_expires_on__lte=today + timedelta(days=days),
            )
        )

    figures = premises_queryset.annotate(
        open_requests=_count(active),
        urgent_requests=_count(active.filter(urgent=True)),
        oldest_raised_at=Subquery(active.order_by("raised_at").values("raised_at")[:1]),
        certificates_expired=_count(cards.filter(certificate_expires_on__lt=today)),
        expiring_30=expiring_within(30),
        expiring_60=expiring_within(60),
        expiring_90=expiring_within(settings.SMARTCARD_RENEWAL_WINDOW_DAYS),
    )
    return with_cover(figures, today)


def premises_by_standing(premises_queryset):
    """The premises, made current, most urgent smartcards standing first: red, amber, then
    green, by name within each."""
    standings.ensure_current(premises_queryset)
    return standings.join_standings(premises_queryset, [AREA]).order_by(
        standings.urgency(AREA), "name", "pk"
    )


def with_standing(premises_list):
    """Attach each premises' stored smartcards standing (made current by
    premises_by_standing) as `.standing`, and the moment its oldest open request was
    raised as `.oldest_waiting_since`: one query."""
    premises_list = standings.attach(premises_list, AREA, ensure=False)
    for premises in premises_list:
        oldest = premises.standing.figures.get("oldest_raised_at") if premises.standing else None
        premises.oldest_waiting_since = datetime.fromisoformat(oldest) if oldest else None
    return premises_list


def standing_totals(premises_queryset):
    """Totals of the stored smartcards figures over the premises, summed per premises as
    the dashboard sums them (a locum's card counts at each premises they work at), and
    the number of premises without unlocker cover: two queries."""
    totals = standings.figure_totals(
        premises_queryset,
        AREA,
        [
            "open_requests",
            "urgent_requests",
            "certificates_expired",
            "expiring_30",
            "expiring_60",
            "expiring_90",
        ],
    )
    totals["without_cover"] = (
        standings.join_standings(premises_queryset, [AREA])
        .filter(**{f"{standings.joined(AREA)}__figures__unlocker_count": 0})
        .count()
    )
    return totals


# --- Jobs --------------------------------------------------------------------------------


def holders_due_reminder(today=None):
    """Ids of holders owed a certificate reminder today: entering the renewal window, or
    close to expiry, and not yet sent for this expiry date."""
    today = today or timezone.localdate()
    window_end = today + timedelta(days=settings.SMARTCARD_RENEWAL_WINDOW_DAYS)
    final_end = today + timedelta(days=FINAL_REMINDER_DAYS)
    not_sent = Q(renewal_reminder_for__isnull=True) | ~Q(
        renewal_reminder_for=F("certificate_expires_on")
    )
    final_not_sent = Q(final_reminder_for__isnull=True) | ~Q(
        final_reminder_for=F("certificate_expires_on")
    )
    return (
        SmartcardHolder.objects.filter(certificate_expires_on__gte=today)
        .filter(
            (Q(certificate_expires_on__lte=window_end) & not_sent)
            | (Q(certificate_expires_on__lte=final_end) & final_not_sent)
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def requests_due_escalation(now=None):
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=settings.SMARTCARD_ESCALATE_AFTER_MINUTES)
    return (
        SmartcardRequest.objects.filter(
            status=SmartcardRequest.Status.OPEN,
            escalated_at__isnull=True,
            waiting_since__lte=cutoff,
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def escalation_recipients(premises):
    """Active unlockers covering the premises, then portal admins: (email, name) pairs."""
    covering = _covers_of(premises, premises.organisation_id).values("unlocker_id")
    people = User.objects.filter(
        Q(pk__in=covering) | Q(is_portal_admin=True), is_active=True
    ).order_by("full_name")
    return list(people)


def manager_memberships_of(user, today=None):
    """One current manager membership per active manager of the premises where user
    works now (other than user), with the premises they manage."""
    today = today or timezone.localdate()
    where = Membership.objects.current(today).filter(user=user).values("premises_id")
    memberships = (
        Membership.objects.current(today)
        .filter(premises_id__in=where, is_manager=True, user__is_active=True)
        .exclude(user=user)
        .select_related("user", "premises")
        .order_by("user__full_name", "premises__name")
    )
    first_per_manager = {}
    for membership in memberships:
        first_per_manager.setdefault(membership.user_id, membership)
    return list(first_per_manager.values())


# --- Home --------------------------------------------------------------------------------


@dataclass(frozen=True)
class HomePanel:
    holder: SmartcardHolder | None
    active_requests: list
    works_somewhere: bool
    queue_waiting: int | None
    queue_urgent: int | None
    organisations: list
    can_view_cover: bool
    can_manage_authorities: bool

    def __bool__(self):
        return bool(
            self.holder
            or self.active_requests
            or self.works_somewhere
            or self.queue_waiting is not None
            or self.organisations
            or self.can_view_cover
        )


def home_panel(user):
    """What the home page shows about smartcards; falsy when nothing applies to the user."""
    from accounts.models import Organisation

    scope = scope_for(user)
    holder = holder_for_self(user)
    active = list(requests_for_self(user).filter(status__in=ACTIVE)) if holder else []
    queue_waiting = queue_urgent = None
    if can_work_queue(user):
        counts = (
            queue_for_user(user, "waiting")
            .order_by()
            .aggregate(waiting=Count("pk"), urgent=Count("pk", filter=Q(urgent=True)))
        )
        queue_waiting, queue_urgent = counts["waiting"], counts["urgent"]
    organisations = (
        list(Organisation.objects.filter(pk__in=scope.admin_organisation_ids).order_by("name"))
        if scope.admin_organisation_ids
        else []
    )
    return HomePanel(
        holder=holder,
        active_requests=active,
        works_somewhere=bool(scope.staff_premises_ids),
        queue_waiting=queue_waiting,
        queue_urgent=queue_urgent,
        organisations=organisations,
        can_view_cover=can_view_cover(user),
        can_manage_authorities=scope.has_permission(Permission.MANAGE_UNLOCKER_COVER),
    )
