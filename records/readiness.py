"""The SCR/NCRS readiness rules, in one place.

From the public community pharmacy guidance:

- GPhC-registered pharmacists and pharmacy technicians, and trainees for either, may apply
  for SCR access. Everyone else in the team gets EPS access only.
- The Registration Authority adds the SCR role to the smartcard against the premises' ODS
  code; a locum may hold it against the national locum code FFFFF instead.
- The CPPE SCR e-learning is recommended, no longer mandatory: it never stops someone
  being ready, it is only shown as missing or due a refresh.

So a person is ready at a premises when their job role is eligible, their smartcard carries
the SCR role (premises or locum code), and they have a GPhC number recorded unless they
are a trainee. `READY` says the same for the database, for counts over many premises;
`assess` says it for one person, with the reasons. Tests hold the two together.
"""

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q

from accounts.models import Membership

from .dates import add_months
from .models import ScrRole

JobRole = Membership.JobRole
ELIGIBLE_JOB_ROLES = frozenset({JobRole.PHARMACIST, JobRole.TECHNICIAN})
SCR_ROLES_HELD = (ScrRole.PREMISES, ScrRole.LOCUM)

# Over Membership: ready for SCR/NCRS at its premises.
READY = (
    Q(job_role__in=ELIGIBLE_JOB_ROLES)
    & Q(scr_readiness__scr_role__in=SCR_ROLES_HELD)
    & (Q(scr_readiness__is_trainee=True) | Q(user__gphc_registration__isnull=False))
)
# A registered (not trainee) pharmacist who is ready: what every premises needs one of.
READY_PHARMACIST = READY & Q(job_role=JobRole.PHARMACIST, scr_readiness__is_trainee=False)

PLURAL_JOB_ROLES = {
    JobRole.PHARMACIST: "Pharmacists",
    JobRole.TECHNICIAN: "Pharmacy technicians",
    JobRole.DISPENSER: "Dispensers",
    JobRole.COUNTER_ASSISTANT: "Counter assistants",
    JobRole.OTHER: "Team members in other roles",
}


def is_eligible(job_role):
    return job_role in ELIGIBLE_JOB_ROLES


def not_eligible_reason(job_role):
    who = PLURAL_JOB_ROLES.get(job_role, "Team members in this role")
    return (
        f"{who} get EPS access only. Only pharmacists and pharmacy technicians, and trainees "
        "for either, can have the SCR role."
    )


def training_refresh_cutoff(today, months=None):
    """Training completed on or before this day is due a refresh."""
    if months is None:
        months = settings.SCR_TRAINING_REFRESH_MONTHS
    return add_months(today, -months)


class Training:
    NOT_DONE = "not_done"
    CURRENT = "current"
    DUE_REFRESH = "due_refresh"


def training_state(trained_on, today, months=None):
    if trained_on is None:
        return Training.NOT_DONE
    if trained_on <= training_refresh_cutoff(today, months):
        return Training.DUE_REFRESH
    return Training.CURRENT


@dataclass(frozen=True)
class Assessment:
    eligible: bool
    ready: bool
    # Why the person is not ready, in words a manager acts on.
    reasons: tuple
    training: str
    # An SCR role recorded for someone whose job role is not eligible (their role changed).
    role_not_allowed: bool = False

    @property
    def tag(self):
        """(text, colour) for {% nhsuk_tag %}."""
        if self.role_not_allowed:
            return "SCR role not allowed", "red"
        if not self.eligible:
            return "EPS access only", "grey"
        if self.ready:
            return "Ready", "green"
        return "Not ready", "orange"

    @property
    def training_tag(self):
        if not self.eligible:
            return None
        return {
            Training.NOT_DONE: ("Not recorded", "grey"),
            Training.CURRENT: ("Done", "green"),
            Training.DUE_REFRESH: ("Due a refresh", "yellow"),
        }[self.training]


def assess(*, job_role, is_trainee, has_gphc_number, scr_role, trained_on, today, months=None):
    eligible = is_eligible(job_role)
    holds_role = scr_role in SCR_ROLES_HELD
    if not eligible:
        reasons = ()
        if holds_role:
            reasons = (
                f"{not_eligible_reason(job_role)} Ask the Registration Authority to remove "
                "the SCR role from their smartcard.",
            )
        return Assessment(
            eligible=False,
            ready=False,
            reasons=reasons,
            training=training_state(trained_on, today, months),
            role_not_allowed=holds_role,
        )
    reasons = []
    if not (is_trainee or has_gphc_number):
        reasons.append("No GPhC registration number recorded")
    if not holds_role:
        reasons.append("Their smartcard does not carry the SCR role yet")
    return Assessment(
        eligible=True,
        ready=not reasons,
        reasons=tuple(reasons),
        training=training_state(trained_on, today, months),
    )


def assess_membership(membership, today):
    """Assess a Membership fetched with select_related("scr_readiness",
    "user__gphc_registration")."""
    record = getattr(membership, "scr_readiness", None)
    return assess(
        job_role=membership.job_role,
        is_trainee=bool(record and record.is_trainee),
        has_gphc_number=getattr(membership.user, "gphc_registration", None) is not None,
        scr_role=record.scr_role if record else ScrRole.NONE,
        trained_on=record.cppe_training_on if record else None,
        today=today,
    )
