"""Staff files: one row per person and premises; new people are invited, people on the
portal added, memberships changed or ended."""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone

from accounts.models import Invitation, Membership, Premises, User
from accounts.validators import normalise_ods_code

from .. import bulk, cells
from ..models import ImportRow, ImportRun
from ..sql import one_of
from .base import Action, Column, ImportKind, _changes, _error, _show, invitation_expiry

JOB_ROLES = Membership.JobRole.choices
JOB_ROLE_KEYS = cells.choices_lookup(JOB_ROLES)


def _job_role(value):
    if not cells.text(value):
        raise ValidationError("Enter the job role, like Dispenser")
    return cells.choice(value, JOB_ROLES, JOB_ROLE_KEYS, "job role")


STAFF_CLEANERS = {
    "email": lambda value: cells.email(value, missing="Enter the person's email address"),
    "full_name": lambda value: cells.words(value, max_length=150, missing="person's full name"),
    "premises_ods_code": lambda value: cells.ods_code(
        value, missing="Enter the ODS code of the premises they work at"
    ),
    "job_role": _job_role,
    "is_manager": cells.yes_no,
    "start_date": cells.date,
    "end_date": cells.date,
}


@dataclass
class StaffStep:
    op: str  # "invite", "add", "update", "reinvite"
    row: ImportRow
    cleaned: dict
    premises: Premises
    user: User | None = None
    membership: Membership | None = None
    invitation: Invitation | None = None
    fields: dict = field(default_factory=dict)


class StaffKind(ImportKind):
    kind = ImportRun.Kind.STAFF
    date_fields = ("start_date", "end_date")
    extra_labels = {"premises": "Premises ODS code"}
    columns = (
        Column("email", "Email address", "Their own work email, like sam.jones@example.com"),
        Column("full_name", "Full name", "Like Sam Jones"),
        Column("premises_ods_code", "Premises ODS code", "Where they work, like FA123"),
        Column(
            "job_role",
            "Job role",
            "Pharmacist, Pharmacy technician, Dispenser, Counter assistant or Other",
        ),
        Column("is_manager", "Premises manager", "yes or no", required=False),
        Column("start_date", "Start date", "Like 27/03/2026; blank for today", required=False),
        Column(
            "end_date",
            "End date",
            "The first day no longer worked; blank if still working",
            required=False,
        ),
    )

    def key(self, data):
        email = (data.get("email") or "").strip().lower()
        return f"{email}|{normalise_ods_code(data.get('premises_ods_code'))}"

    def cleaners(self):
        return STAFF_CLEANERS

    def check_row(self, cleaned):
        start, end = cleaned.get("start_date"), cleaned.get("end_date")
        if start and end and end < start:
            return [("end_date", f"The end date is before the start date, {start:%-d %B %Y}")]
        return []

    def classify(self, items, ctx):
        today = timezone.localdate()
        now = timezone.now()
        emails = {cleaned["email"] for _, cleaned in items}
        users = {
            user.email: user
            for user in User.objects.filter(one_of(User, "email", emails)).order_by()
        }
        premises_ids = {p.pk for p in ctx["premises"].values()}
        memberships = {}
        if users:
            active = Membership.objects.filter(
                Q(end_date__isnull=True) | Q(end_date__gt=today),
                user_id__in=[u.pk for u in users.values()],
                premises__organisation=ctx["organisation"],
            ).order_by("start_date")
            for membership in active:
                memberships[(membership.user_id, membership.premises_id)] = membership
        invitations = {}
        new_emails = emails - set(users)
        if new_emails and premises_ids:
            pending = Invitation.objects.filter(
                one_of(Invitation, "email", new_emails),
                premises__organisation=ctx["organisation"],
                accepted_at__isnull=True,
                revoked_at__isnull=True,
                expires_at__gt=now,
            ).order_by("created_at")
            for invitation in pending:
                invitations[(invitation.email, invitation.premises_id)] = invitation
        steps = []
        for row, cleaned in items:
            premises = ctx["premises"].get(cleaned["premises_ods_code"])
            if premises is None:
                _error(
                    row,
                    "Premises ODS code",
                    self.unknown_premises_message(cleaned["premises_ods_code"], ctx),
                )
                continue
            step = self._classify_row(
                row, cleaned, premises, users, memberships, invitations, today
            )
            if step is not None:
                steps.append(step)
        return steps

    def _classify_row(self, row, cleaned, premises, users, memberships, invitations, today):
        user = users.get(cleaned["email"])
        wanted = {"job_role": cleaned["job_role"], "is_manager": cleaned["is_manager"]}
        membership = memberships.get((user.pk, premises.pk)) if user else None
        if membership is not None:
            if cleaned["start_date"]:
                wanted["start_date"] = cleaned["start_date"]
            if cleaned["end_date"]:
                wanted["end_date"] = cleaned["end_date"]
            start = wanted.get("start_date", membership.start_date)
            if cleaned["end_date"] and cleaned["end_date"] < start:
                _error(
                    row,
                    "End date",
                    f"The end date is before the start date, {start:%-d %B %Y}",
                )
                return None
            current = {name: getattr(membership, name) for name in wanted}
            row.changes = _changes(current, wanted)
            row.action = Action.CHANGE if row.changes else Action.UNCHANGED
            if row.changes:
                _name_kept(row, user, cleaned)
                return StaffStep("update", row, cleaned, premises, user, membership, fields=wanted)
            return None
        if cleaned["end_date"] and cleaned["end_date"] <= today:
            # A leaver who has no membership here: nothing to end.
            row.action = Action.UNCHANGED
            row.changes = {}
            return None
        if user is not None:
            if not user.is_active:
                _error(
                    row,
                    "Email address",
                    "This person's portal account is switched off. Ask the portal team to "
                    "switch it back on, or leave them out of the file.",
                )
                return None
            row.action = Action.ADD
            row.changes = _new_membership_changes(cleaned, premises, today)
            _name_kept(row, user, cleaned)
            return StaffStep("add", row, cleaned, premises, user)
        invitation = invitations.get((cleaned["email"], premises.pk))
        wanted["start_date"] = cleaned["start_date"]
        wanted["end_date"] = cleaned["end_date"]
        if invitation is not None:
            current = {
                "job_role": invitation.job_role,
                "is_manager": invitation.is_manager,
                "start_date": invitation.start_date,
                "end_date": invitation.end_date,
            }
            row.changes = _changes(current, wanted)
            if not row.changes:
                row.action = Action.UNCHANGED
                return None
            row.action = Action.CHANGE
            return StaffStep("reinvite", row, cleaned, premises, invitation=invitation)
        row.action = Action.ADD
        row.changes = {
            "email": ["", cleaned["email"]],
            "full_name": ["", cleaned["full_name"]],
            **_new_membership_changes(cleaned, premises, None),
        }
        # Kept with the cleaned values, so the apply invites such rows in a few statements
        # when nothing this read has changed (apply_set_based).
        cleaned[bulk.NEW_TO_PORTAL] = True
        return StaffStep("invite", row, cleaned, premises)

    def apply(self, *, actor, run, steps, ctx):
        bulk.staff_steps_apply(actor=actor, run=run, steps=steps)

    def apply_set_based(self, *, actor, run, ctx):
        """Invite the people of every row the check found new to the portal, straight from
        the staged rows, when nothing classify read for them has changed since; they are
        the bulk of a big file and need no Python each. Returns how many rows (all added),
        or 0 when any such row changed: then every row is classified again."""
        now = timezone.now()
        if bulk.stale_invitations(
            run=run, organisation=ctx["organisation"], today=timezone.localdate(), now=now
        ):
            return 0
        expires = invitation_expiry(now)
        return bulk.invitations_from_rows(actor=actor, run=run, now=now, expires=expires)


def _name_kept(row, user, cleaned):
    """Say in the preview when the file gives someone on the portal another name: an
    import does not change it (each person keeps their own name up to date)."""
    if not _same_words(user.full_name, cleaned["full_name"]):
        row.changes["full_name"] = [
            user.full_name,
            f"{cleaned['full_name']} (not changed: people change their own name on the portal)",
        ]


def _same_words(a, b):
    return " ".join((a or "").split()).casefold() == " ".join((b or "").split()).casefold()


def _new_membership_changes(cleaned, premises, today):
    """What a new membership or invitation sets, as the preview shows it. A blank start is
    today for someone already on the portal, the day they accept for someone invited."""
    start = cleaned["start_date"] or today
    return {
        "premises": ["", premises.ods_code],
        "job_role": ["", _show(cleaned["job_role"], "job_role")],
        "is_manager": ["", _show(cleaned["is_manager"])],
        "start_date": ["", _show(start) if start else "the day they accept the invitation"],
        "end_date": ["", _show(cleaned["end_date"]) or "none: still working"],
    }
