"""Applying a chunk of staff rows in a few statements instead of a service call per row.

A 100,000-row staff file through accounts.services.invitation_create would take a dozen
queries a row. These writes make the same rows and the same audit events (actions
"invitation.created", "membership.created", "membership.role_changed",
"membership.ended", "membership.updated") with bulk inserts, one chunk at a time. The
emails invitation_create would queue are sent after the import commits, by
tasks.import_follow_up, which also tells the areas that the premises' staff changed.
"""

from django.db import connection
from django.utils import timezone

from accounts import audit
from accounts.models import AuditEvent, Invitation, Membership, hash_invitation_token

from ..models import ImportRow


def _event(*, actor, action, obj, premises, changes):
    return audit.audit_event(
        actor=actor, action=action, obj=obj, premises=premises, changes=changes
    )


def _unsent_token_hash():
    # Nobody knows this token: the follow-up job replaces it with the one it emails.
    return hash_invitation_token(Invitation.new_token())


def staff_steps_apply(*, actor, run, steps):
    now = timezone.now()
    today = timezone.localdate()
    expires = now + timezone.timedelta(days=_valid_days())
    invitations, members, revoked, updated, events = [], [], [], [], []
    for step in steps:
        cleaned = step.cleaned
        if step.op in ("invite", "reinvite", "add"):
            if step.op == "reinvite":
                revoked.append(step.invitation.pk)
            invitation = Invitation(
                email=cleaned["email"],
                full_name=cleaned["full_name"],
                premises=step.premises,
                job_role=cleaned["job_role"],
                is_manager=cleaned["is_manager"],
                start_date=cleaned["start_date"],
                end_date=cleaned["end_date"],
                invited_by=actor,
                token_hash=_unsent_token_hash(),
                expires_at=expires,
                accepted_at=now if step.op == "add" else None,
            )
            invitations.append((step, invitation))
        else:
            membership = step.membership
            for name, value in step.fields.items():
                setattr(membership, name, value)
            updated.append(step)
    if revoked:
        Invitation.objects.filter(pk__in=revoked).update(revoked_at=now)
    Invitation.objects.bulk_create([invitation for _, invitation in invitations])
    for step, invitation in invitations:
        step.row.invitation_id = invitation.pk
        events.append(
            _event(
                actor=actor,
                action="invitation.created",
                obj=invitation,
                premises=step.premises,
                changes={
                    "email": invitation.email,
                    "job_role": invitation.job_role,
                    "is_manager": invitation.is_manager,
                    **_dates(invitation),
                    "import_run": run.pk,
                },
            )
        )
        if step.op == "add":
            members.append(
                (
                    step,
                    Membership(
                        user=step.user,
                        premises=step.premises,
                        job_role=invitation.job_role,
                        is_manager=invitation.is_manager,
                        start_date=step.cleaned["start_date"] or today,
                        end_date=step.cleaned["end_date"],
                    ),
                )
            )
    Membership.objects.bulk_create([membership for _, membership in members])
    for step, membership in members:
        events.append(
            _event(
                actor=actor,
                action="membership.created",
                obj=membership,
                premises=step.premises,
                changes={
                    "user": step.user.email,
                    "job_role": membership.job_role,
                    "is_manager": membership.is_manager,
                    "import_run": run.pk,
                },
            )
        )
    if updated:
        Membership.objects.bulk_update(
            [step.membership for step in updated],
            ["job_role", "is_manager", "start_date", "end_date"],
            batch_size=100,
        )
    for step in updated:
        changes = step.row.changes
        for action, names in (
            ("membership.role_changed", ("job_role", "is_manager")),
            ("membership.updated", ("start_date",)),
            ("membership.ended", ("end_date",)),
        ):
            picked = {name: changes[name] for name in names if name in changes}
            if picked:
                events.append(
                    _event(
                        actor=actor,
                        action=action,
                        obj=step.membership,
                        premises=step.premises,
                        changes={"user": step.user.email, **picked, "import_run": run.pk},
                    )
                )
    AuditEvent.objects.bulk_create(events, batch_size=2000)
    _rows_link_invitations([step.row for step, _ in invitations])


LINK_BATCH = 1000


def _rows_link_invitations(rows):
    """Record each row's new invitation, one UPDATE ... FROM (VALUES ...) per batch.

    bulk_update would write a CASE with a branch per row, and building and running those
    took a third of a 100,000-row import. VALUES columns are column1, column2 on both
    PostgreSQL and SQLite.
    """
    table = connection.ops.quote_name(ImportRow._meta.db_table)
    for start in range(0, len(rows), LINK_BATCH):
        batch = rows[start : start + LINK_BATCH]
        values = ", ".join(["(%s, %s)"] * len(batch))
        params = [value for row in batch for value in (row.pk, row.invitation_id)]
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET invitation_id = v.column2 "
                f"FROM (VALUES {values}) AS v WHERE {table}.id = v.column1",
                params,
            )


def _dates(invitation):
    return {
        name: getattr(invitation, name).isoformat()
        for name in ("start_date", "end_date")
        if getattr(invitation, name)
    }


def _valid_days():
    from django.conf import settings

    return settings.INVITATION_VALID_DAYS
