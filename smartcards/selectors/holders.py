"""Cards and their holders, scoped to who may see them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Exists, OuterRef, Q
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.models import Membership, Premises, User
from accounts.permissions import Permission, scope_for

from ..models import SmartcardHolder

if TYPE_CHECKING:
    from datetime import date

    from django.contrib.auth.models import AnonymousUser
    from django.db.models import QuerySet


def holder_for_self(user: User | AnonymousUser) -> SmartcardHolder | None:
    """The user's own card details, or None (no card recorded, or not signed in)."""
    if not user.is_authenticated:
        return None
    return SmartcardHolder.objects.filter(user=user).first()


def _premises_in_scope(user, permission):
    return Premises.objects.filter(scope_for(user).premises_filter(permission))


def holders_for_user(user: User) -> QuerySet[SmartcardHolder]:
    """Holders the user may see, with user joined: their own card, and the cards of people
    currently working where they hold Permission.VIEW_HOLDER_PROFILE; every card for a
    portal admin."""
    scope = scope_for(user)
    holders = SmartcardHolder.objects.select_related("user")
    if scope.is_portal_admin:
        return holders
    works_in_scope = Membership.objects.current().filter(
        user=OuterRef("user"),
        premises__in=_premises_in_scope(user, Permission.VIEW_HOLDER_PROFILE),
    )
    return holders.filter(Q(user=user) | Exists(works_in_scope))


def holder_get(user: User, pk: int) -> SmartcardHolder:
    """One holder from holders_for_user. Raises Http404 for one out of the user's sight."""
    return get_object_or_404(holders_for_user(user), pk=pk)


def can_search_holders(user: User) -> bool:
    """Whoever may view holders' profiles somewhere: managers, unlockers, head office,
    portal admins."""
    return scope_for(user).has_permission(Permission.VIEW_HOLDER_PROFILE)


def holder_search(user: User, query: str | None) -> QuerySet[SmartcardHolder]:
    """Holders in scope whose name or email contains the query, or whose UUID it is (digits,
    spaces ignored), by name; none for a blank query."""
    holders = holders_for_user(user)
    query = " ".join((query or "").split())
    if not query:
        return holders.none()
    if query.replace(" ", "").isdigit():
        return holders.filter(uuid=query.replace(" ", "")).order_by("user__full_name")
    return holders.filter(
        Q(user__full_name__icontains=query) | Q(user__email__icontains=query)
    ).order_by("user__full_name", "pk")


def holder_premises_in_scope(user: User, holder: SmartcardHolder) -> list[Premises]:
    """The premises where the holder works now that the viewer may see (all of them for
    the holder themselves), by name, with organisation joined."""
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


def staff_cards_at_premises(user: User, premises: Premises) -> list[Membership]:
    """Current staff at a premises with their smartcard (membership.user.smartcard, or
    none), by name, for those who may see holders' profiles there; [] for anyone else."""
    if not scope_for(user).has_permission(Permission.VIEW_HOLDER_PROFILE, premises):
        return []
    return list(
        Membership.objects.current()
        .filter(premises=premises)
        .select_related("user", "user__smartcard")
        .order_by("user__full_name")
    )


def staff_member_at_premises(user: User, premises: Premises, user_pk: int) -> User:
    """A current, active member of staff at the premises a manager may act for
    (Permission.RAISE_UNLOCK_REQUEST_FOR_STAFF there). Raises Http404 otherwise."""
    if not scope_for(user).has_permission(Permission.RAISE_UNLOCK_REQUEST_FOR_STAFF, premises):
        raise Http404
    on_staff = Membership.objects.current().filter(premises=premises).values("user_id")
    return get_object_or_404(User.objects.filter(pk__in=on_staff, is_active=True), pk=user_pk)


def holders_of_staff_at_premises(premises: Premises) -> QuerySet[SmartcardHolder]:
    """Cards of the active people currently working at the premises, by name, with user
    joined. Unscoped: the caller has checked the viewer may see them."""
    on_staff = Membership.objects.current().filter(premises=premises).values("user_id")
    return (
        SmartcardHolder.objects.filter(user__in=on_staff, user__is_active=True)
        .select_related("user")
        .order_by("user__full_name")
    )


def any_certificates_expired(holders: QuerySet[SmartcardHolder], today: date | None = None) -> bool:
    """Whether any card of a holder queryset has certificates past their last good day
    (today when None)."""
    return holders.filter(certificate_expires_on__lt=today or timezone.localdate()).exists()


def premises_to_raise_from(user: User | AnonymousUser) -> QuerySet[Premises]:
    """Where the user works today: the premises a request for themselves can come from, by
    name with region joined; none when not signed in."""
    if not user.is_authenticated:
        return Premises.objects.none()
    on_staff = Membership.objects.current().filter(user=user).values("premises_id")
    return Premises.objects.filter(pk__in=on_staff).select_related("region").order_by("name")


def premises_for_smartcards(
    user: User, pk: int, permission: Permission = Permission.VIEW_PREMISES
) -> Premises:
    """One premises where the user holds `permission`, with organisation and region joined.
    Raises Http404 otherwise."""
    return get_object_or_404(
        Premises.objects.filter(scope_for(user).premises_filter(permission)).select_related(
            "organisation", "region"
        ),
        pk=pk,
    )


def can_act_for(actor: User, person: User, premises: Premises) -> bool:
    """May actor raise requests and keep card details for person at premises? Themselves
    where they work now; anyone currently working there for whoever holds
    Permission.RAISE_UNLOCK_REQUEST_FOR_STAFF at the premises (their manager)."""
    scope = scope_for(actor)
    if actor.pk == person.pk:
        return premises.pk in scope.staff_premises_ids
    return (
        scope.has_permission(Permission.RAISE_UNLOCK_REQUEST_FOR_STAFF, premises)
        and Membership.objects.current().filter(user=person, premises=premises).exists()
    )
