"""Reads for the records area, each scoped to what the user may see.

Guidance: every signed-in user reads published pages; drafts, history and versions are
for those who edit guidance (portal admins) and answer 404 to everyone else.
Readiness: through accounts' premises scope with VIEW_READINESS or MANAGE_READINESS.
"""

import difflib
from dataclasses import dataclass

from django.db.models import Case, Count, Exists, IntegerField, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts import standings
from accounts.models import Membership, Organisation, OrganisationAdmin, Premises
from accounts.permissions import Permission, has_permission, scope_for
from accounts.selectors import premises_for_user

from .models import GuidanceArea, GuidancePage, GuidancePageVersion, ScrGovernancePerson
from .readiness import (
    ELIGIBLE_JOB_ROLES,
    READY,
    READY_PHARMACIST,
    Training,
    assess_membership,
    training_refresh_cutoff,
    training_state,
)
from .search import search_pages

AREA = "records"

# --- Guidance ----------------------------------------------------------------------------

AREA_ORDER = [area.value for area in GuidanceArea]


def can_edit_guidance(user):
    return has_permission(user, Permission.EDIT_GUIDANCE)


def guidance_pages_for_user(user):
    pages = GuidancePage.objects.defer("body", "search_vector")
    if not can_edit_guidance(user):
        pages = pages.published()
    area_position = Case(
        *(When(area=area, then=Value(index)) for index, area in enumerate(AREA_ORDER)),
        output_field=IntegerField(),
    )
    return pages.annotate(area_position=area_position).order_by("area_position", "title")


def guidance_search(user, text):
    pages = GuidancePage.objects.defer("body", "search_vector")
    if not can_edit_guidance(user):
        pages = pages.published()
    return search_pages(pages, text)


def guidance_page_get(user, slug):
    pages = GuidancePage.objects.select_related("updated_by").defer("search_vector")
    if not can_edit_guidance(user):
        pages = pages.published()
    return get_object_or_404(pages, slug=slug)


def guidance_page_for_editing(user, slug):
    if not can_edit_guidance(user):
        raise Http404
    return guidance_page_get(user, slug)


VERSION_FIELDS = (
    ("title", "Title"),
    ("summary", "Summary"),
    ("area", "Area"),
    ("body", "Content"),
    ("status", "Status"),
    ("review_by", "Review date"),
)


@dataclass(frozen=True)
class VersionRow:
    version: GuidancePageVersion
    changed: tuple


def guidance_history(user, page):
    """Every version of a page, newest first, each with the parts changed since the one
    before. One query."""
    if not can_edit_guidance(user):
        raise Http404
    versions = list(page.versions.select_related("created_by").order_by("number"))
    rows = []
    previous = None
    for version in versions:
        if previous is None:
            changed = ("Created",)
        else:
            changed = tuple(
                label
                for field, label in VERSION_FIELDS
                if getattr(version, field) != getattr(previous, field)
            )
        rows.append(VersionRow(version, changed))
        previous = version
    return list(reversed(rows))


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "removed" or "added"
    text: str

    @property
    def is_removed(self) -> bool:
        return self.kind == "removed"


def guidance_version_get(user, page, number):
    if not can_edit_guidance(user):
        raise Http404
    return get_object_or_404(page.versions.select_related("created_by"), number=number)


def guidance_version_changes(version):
    """The lines of the content removed and added since the version before, if any."""
    previous = (
        GuidancePageVersion.objects.filter(page_id=version.page_id, number__lt=version.number)
        .order_by("-number")
        .only("body")
        .first()
    )
    if previous is None:
        return None
    lines = []
    for line in difflib.ndiff(previous.body.splitlines(), version.body.splitlines()):
        if line.startswith("- "):
            lines.append(DiffLine("removed", line[2:]))
        elif line.startswith("+ "):
            lines.append(DiffLine("added", line[2:]))
    return lines


def guidance_due_for_review(user, today=None):
    """Pages (drafts too) past their review date or due within REVIEW_SOON_DAYS, soonest
    first, for whoever maintains guidance (EDIT_GUIDANCE); none for anyone else."""
    if not can_edit_guidance(user):
        return GuidancePage.objects.none()
    return (
        GuidancePage.objects.due_for_review(today or timezone.localdate())
        .select_related("updated_by")
        .defer("body", "search_vector")
        .order_by("review_by", "title")
    )


def guidance_past_review(user, today=None):
    if not can_edit_guidance(user):
        return GuidancePage.objects.none()
    return GuidancePage.objects.past_review(today or timezone.localdate()).order_by("review_by")


# --- Readiness per premises ---------------------------------------------------------------


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


def readiness_figures(premises, *, today=None):
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


def readiness_for_premises(user, premises, *, today=None):
    """Current staff at the premises with their readiness. One query."""
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


def premises_readiness_summary(premises, *, today=None):
    return readiness_figures(Premises.objects.filter(pk=premises.pk), today=today).get()


def readiness_membership_get(user, pk):
    """A current membership whose readiness the user may record, else 404."""
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


# --- Organisations: head-office view and the SCR governance person -------------------------


def organisation_readiness(user, organisation, *, flagged_only=False, today=None):
    """The organisation's premises the user may see readiness for, with their figures."""
    premises = premises_for_user(user, Permission.VIEW_READINESS).filter(organisation=organisation)
    premises = readiness_figures(premises, today=today)
    if flagged_only:
        premises = premises.filter(has_ready_pharmacist=False)
    return premises


def organisation_premises_by_standing(user, organisation, *, flagged_only=False):
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


def organisation_readiness_totals(user, organisation):
    """Premises, and premises with no ready pharmacist, from the stored standings: two
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


def governance_for(organisation, *, today=None):
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


def person_works_for_organisation(user, organisation, *, today=None):
    """A current member of staff at one of its premises, or one of its head-office admins."""
    if not user.is_active:
        return False
    staff = Membership.objects.current(today).filter(user=user, premises__organisation=organisation)
    admin = OrganisationAdmin.objects.filter(user=user, organisation=organisation)
    return staff.exists() or admin.exists()


def can_manage_governance(user, organisation):
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


def governance_organisation_get(user, pk):
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


# --- Home page ---------------------------------------------------------------------------


@dataclass(frozen=True)
class HomePanel:
    managed_premises: list
    organisations: list
    guidance_past_review: list

    def __bool__(self):
        return bool(self.managed_premises or self.organisations or self.guidance_past_review)


def home_panel(user, *, today=None):
    """What the records area has to say on the user's home page, or None."""
    scope = scope_for(user)
    managed = []
    if scope.managed_premises_ids:
        managed = standings.attach(
            Premises.objects.filter(pk__in=scope.managed_premises_ids).order_by("name"), AREA
        )
    organisations = []
    if scope.admin_organisation_ids:
        organisations = list(
            Organisation.objects.filter(pk__in=scope.admin_organisation_ids).order_by("name")
        )
    due = list(
        guidance_due_for_review(user, today).select_related(None).only("slug", "title", "review_by")
    )
    panel = HomePanel(managed, organisations, due)
    return panel or None
