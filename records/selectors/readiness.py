"""Staff readiness per premises, and the figures the records standing reads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Count, Exists, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.models import Membership, Premises
from accounts.permissions import Permission, has_permission, scope_for

from ..readiness import (
    ELIGIBLE_JOB_ROLES,
    READY,
    READY_PHARMACIST,
    assess_membership,
    training_refresh_cutoff,
)

if TYPE_CHECKING:
    from datetime import date

    from django.db.models import QuerySet

    from accounts.models import User


def _count(memberships):
    return Coalesce(
        Subquery(
            memberships.order_by()
            .values("premises")
            .annotate(total=Count("pk"))
            .values("total")[:1]
        ),
        0,
    )


def readiness_figures(
    premises: QuerySet[Premises], *, today: date | None = None
) -> QuerySet[Premises]:
    """`premises` (any Premises queryset, already scoped by the caller) annotated with:

    staff_count, eligible_staff_count, ready_staff_count, has_ready_pharmacist and
    training_due_count (eligible staff whose CPPE training is older than the refresh
    period). One query, however many premises.
    """
    today = today or timezone.localdate()
    current = Membership.objects.current(today).filter(premises=OuterRef("pk"))
    eligible = current.filter(job_role__in=ELIGIBLE_JOB_ROLES)
    return premises.annotate(
        staff_count=_count(current),
        eligible_staff_count=_count(eligible),
        ready_staff_count=_count(current.filter(READY)),
        has_ready_pharmacist=Exists(current.filter(READY_PHARMACIST)),
        training_due_count=_count(
            eligible.filter(scr_readiness__cppe_training_on__lte=training_refresh_cutoff(today))
        ),
    )


@dataclass(frozen=True)
class StaffReadiness:
    membership: Membership
    record: object
    gphc_number: str
    assessment: object


def readiness_for_premises(
    user: User, premises: Premises, *, today: date | None = None
) -> list[StaffReadiness]:
    """Current staff at the premises with their readiness record, GPhC number ("" when
    none) and assessment (records.readiness), by name: one query. [] for someone who may
    not view readiness there (docs/decisions/0019-records-readiness.md)."""
    if not has_permission(user, Permission.VIEW_READINESS, premises):
        return []
    today = today or timezone.localdate()
    memberships = (
        Membership.objects.current(today)
        .filter(premises=premises)
        .select_related("user", "user__gphc_registration", "scr_readiness")
        .order_by("user__full_name")
    )
    rows = []
    for membership in memberships:
        registration = getattr(membership.user, "gphc_registration", None)
        rows.append(
            StaffReadiness(
                membership=membership,
                record=getattr(membership, "scr_readiness", None),
                gphc_number=registration.number if registration else "",
                assessment=assess_membership(membership, today),
            )
        )
    return rows


def premises_readiness_summary(premises: Premises, *, today: date | None = None) -> Premises:
    """The premises again, with readiness_figures' annotations: one query. Unscoped: the
    caller has fetched the premises through a scoped selector."""
    return readiness_figures(Premises.objects.filter(pk=premises.pk), today=today).get()


def readiness_membership_get(user: User, pk: int) -> Membership:
    """A current membership whose readiness the user may record (Permission.MANAGE_READINESS
    at its premises), with user, GPhC registration, premises, organisation and readiness
    record joined. Raises Http404 otherwise."""
    scope = scope_for(user)
    return get_object_or_404(
        Membership.objects.current()
        .filter(scope.premises_filter(Permission.MANAGE_READINESS, prefix="premises__"))
        .select_related(
            "user",
            "user__gphc_registration",
            "premises",
            "premises__organisation",
            "scr_readiness",
        ),
        pk=pk,
    )
