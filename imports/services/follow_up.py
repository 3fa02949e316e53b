"""After a staff import: the emails, the areas' refresh, and ending the memberships of
people a full staff list leaves out."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts import services as account_services
from accounts import standings
from accounts.audit import audit_record
from accounts.emails import queue_email
from accounts.models import Invitation, Membership, Premises, hash_invitation_token

from .. import selectors
from ..actions import run_state
from ..models import ImportRow, ImportRun
from .common import CHUNK, UPDATE_BATCH, Action, _require

if TYPE_CHECKING:
    from datetime import date

    from accounts.models import User


def import_follow_up(*, run_id: int) -> None:
    """Email each person the import invited or added, once, and tell the areas whose
    premises' staff changed. Rows already emailed are skipped, so running twice is safe."""
    run = ImportRun.objects.select_related("organisation", "applied_by").get(pk=run_id)
    premises_by_ods = dict(
        Premises.objects.filter(organisation=run.organisation).values_list("ods_code", "pk")
    )
    touched = set()
    last = 0
    while True:
        with transaction.atomic():
            rows = list(
                ImportRow.objects.select_for_update()
                .filter(run=run, number__gt=last, action__in=[Action.ADD, Action.CHANGE])
                .order_by("number")
                .only("id", "number", "key", "invitation_id", "notified_at")[:CHUNK]
            )
            if not rows:
                break
            last = rows[-1].number
            touched.update(premises_by_ods.get(row.key.rpartition("|")[2]) for row in rows)
            _send_invitations(
                run, [row for row in rows if row.invitation_id and not row.notified_at]
            )
    standings.refresh_on_commit(touched - {None})


def _send_invitations(run, rows):
    invitations = Invitation.objects.select_related("premises").in_bulk(
        [row.invitation_id for row in rows]
    )
    now = timezone.now()
    for row in rows:
        invitation = invitations.get(row.invitation_id)
        if invitation is None or invitation.revoked_at:
            continue
        if invitation.accepted_at:
            membership = (
                Membership.objects.filter(
                    premises=invitation.premises, user__email=invitation.email
                )
                .select_related("user", "premises")
                .order_by("-start_date")
                .first()
            )
            if membership is not None:
                queue_email(
                    to=invitation.email,
                    subject=f"You have been added to {invitation.premises.name} on the "
                    "Pharmacy Digital Portal",
                    template="accounts/emails/added_to_premises.txt",
                    context={"membership": membership, "invited_by": run.applied_by},
                )
        else:
            token = Invitation.new_token()
            invitation.token_hash = hash_invitation_token(token)
            invitation.save(update_fields=["token_hash"])
            queue_email(
                to=invitation.email,
                subject=f"Join {invitation.premises.name} on the Pharmacy Digital Portal",
                template="accounts/emails/invitation.txt",
                context={"invitation": invitation, "token": token, "invited_by": run.applied_by},
            )
        row.notified_at = now
    ImportRow.objects.bulk_update(rows, ["notified_at"], batch_size=UPDATE_BATCH)


# --- People missing from a full staff list -----------------------------------------------


@transaction.atomic
def import_end_missing(*, actor: User, run: ImportRun, end_date: date) -> ImportRun:
    """End the memberships of people a full staff list left out: a separate decision, on
    `end_date` (the first day they no longer work there). Raises PermissionDenied without
    Permission.MANAGE_STAFF on the organisation (and what accounts' membership_end
    raises), and ValidationError ({"end_date": ...}) for a run that is not an applied full
    staff list, already ended, or a date before someone started."""
    _require(actor, ImportRun.Kind.STAFF, run.organisation)
    run = ImportRun.objects.select_for_update().get(pk=run.pk)
    if not (run.kind == ImportRun.Kind.STAFF and run.is_full_staff_list):
        raise ValidationError({"end_date": "Only a full staff list can end memberships"})
    state = run_state(run)
    if not state.applied:
        raise ValidationError({"end_date": "Import the file before ending anyone's membership"})
    if not state.may_end_missing:
        raise ValidationError({"end_date": "These memberships have already been ended"})
    missing = list(selectors.missing_memberships(run))
    late = [m for m in missing if m.start_date > end_date]
    if late:
        first = min(m.start_date for m in late)
        raise ValidationError(
            {
                "end_date": f"{len(late)} of these people started after that date. Enter a "
                f"date on or after {first:%-d %B %Y}."
            }
        )
    for membership in missing:
        account_services.membership_end(actor=actor, membership=membership, end_date=end_date)
    run.missing_ended_count = len(missing)
    run.missing_ended_at = timezone.now()
    run.save(update_fields=["missing_ended_count", "missing_ended_at"])
    audit_record(
        actor=actor,
        action="import.memberships_ended",
        obj=run,
        organisation=run.organisation,
        changes={"ended": len(missing), "end_date": end_date.isoformat()},
    )
    return run
