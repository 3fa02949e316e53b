"""Organisations: the head-office readiness view and the SCR governance person."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts import standings
from accounts.models import Membership, Organisation, OrganisationAdmin, Premises
from accounts.permissions import Permission, has_permission, scope_for
from accounts.selectors import premises_for_user

from ..models import ScrGovernancePerson
from ..readiness import Training, training_state
from ._shared import AREA
from .readiness import readiness_figures

if TYPE_CHECKING:
    from datetime import date

    from django.db.models import QuerySet

    from accounts.models import User


def organisation_readiness(
    user: User, organisation: Organisation, *, flagged_only: bool = False, today: date | None = None
) -> QuerySet[Premises]:
    """The organisation's premises the user may see readiness for, with readiness_figures'
    annotations; flagged_only keeps those with no ready pharmacist."""
    premises = premises_for_user(user, Permission.VIEW_READINESS).filter(organisation=organisation)
    premises = readiness_figures(premises, today=today)
    if flagged_only:
        premises = premises.filter(has_ready_pharmacist=False)
    return premises


def organisation_premises_by_standing(
    user: User, organisation: Organisation, *, flagged_only: bool = False
) -> QuerySet[Premises]:
    """The organisation's premises the user may see readiness for, made current, most
    urgent SCR/NCRS standing first; flagged_only keeps those with no ready pharmacist."""
    premises = premises_for_user(user, Permission.VIEW_READINESS).filter(organisation=organisation)
    standings.ensure_current(premises)
    premises = standings.join_standings(premises, [AREA])
    if flagged_only:
        premises = premises.filter(
            **{f"{standings.joined(AREA)}__figures__has_ready_pharmacist": False}
        )
    return premises.order_by(standings.urgency(AREA), "name", "pk")


def organisation_readiness_totals(user: User, organisation: Organisation) -> dict[str, int]:
    """{"premises_count", "without_ready_pharmacist"}: numbers of the organisation's
    premises the user may see readiness for, the second from the stored standings: two
    queries."""
    premises = premises_for_user(user, Permission.VIEW_READINESS).filter(organisation=organisation)
    return {
        "premises_count": premises.count(),
        "without_ready_pharmacist": standings.join_standings(premises, [AREA])
        .filter(**{f"{standings.joined(AREA)}__figures__has_ready_pharmacist": False})
        .count(),
    }


@dataclass(frozen=True)
class Governance:
    organisation: Organisation
    sgp: ScrGovernancePerson | None
    sgp_works_here: bool
    training: str
    problems: tuple

    @property
    def tag(self):
        if self.sgp is None:
            return "No SGP", "red"
        if self.problems:
            return "Check SGP", "orange"
        return "SGP recorded", "green"


def governance_for(organisation: Organisation, *, today: date | None = None) -> Governance:
    """The organisation's SGP and what is wrong with it, if anything. At most 2 queries."""
    today = today or timezone.localdate()
    sgp = (
        ScrGovernancePerson.objects.select_related("user").filter(organisation=organisation).first()
    )
    if sgp is None:
        return Governance(
            organisation,
            None,
            False,
            Training.NOT_DONE,
            (
                f"{organisation.name} has no SCR governance person (SGP) recorded. Every "
                "organisation needs one.",
            ),
        )
    works_here = person_works_for_organisation(sgp.user, organisation, today=today)
    training = training_state(sgp.trained_on, today)
    problems = []
    if not works_here:
        problems.append(
            f"{sgp.user.full_name} no longer works for {organisation.name}. Record a new SGP."
        )
    if training == Training.NOT_DONE:
        problems.append("The SGP's training is not recorded.")
    elif training == Training.DUE_REFRESH:
        problems.append("The SGP's training is due a refresh.")
    return Governance(organisation, sgp, works_here, training, tuple(problems))


def person_works_for_organisation(
    user: User, organisation: Organisation, *, today: date | None = None
) -> bool:
    """Whether an active user is a current member of staff at one of its premises (on
    `today`, today when None), or one of its head-office admins."""
    if not user.is_active:
        return False
    staff = Membership.objects.current(today).filter(user=user, premises__organisation=organisation)
    admin = OrganisationAdmin.objects.filter(user=user, organisation=organisation)
    return staff.exists() or admin.exists()


def can_manage_governance(user: User, organisation: Organisation) -> bool:
    """Head office and portal admins; for an independent pharmacy, which has no head office,
    the managers of its premises."""
    if has_permission(user, Permission.MANAGE_READINESS, organisation):
        return True
    if organisation.kind != Organisation.Kind.INDEPENDENT:
        return False
    scope = scope_for(user)
    return Premises.objects.filter(
        scope.premises_filter(Permission.MANAGE_READINESS), organisation=organisation
    ).exists()


def governance_organisation_get(user: User, pk: int) -> Organisation:
    """An organisation whose SCR governance person the user may record: any for a portal
    admin, the groups they run, and independents whose premises they manage. Raises
    Http404 otherwise."""
    scope = scope_for(user)
    if scope.is_portal_admin:
        organisations = Organisation.objects.all()
    else:
        independents = Premises.objects.filter(
            scope.premises_filter(Permission.MANAGE_READINESS),
            organisation__kind=Organisation.Kind.INDEPENDENT,
        ).values("organisation_id")
        organisations = Organisation.objects.filter(
            Q(pk__in=scope.admin_organisation_ids) | Q(pk__in=independents)
        )
    return get_object_or_404(organisations, pk=pk)
