"""Applying a chunk of staff rows in a few statements instead of a service call per row.

A 100,000-row staff file through accounts.services.invitation_create would take a dozen
queries a row. These writes make the same rows and the same audit events (actions
"invitation.created", "membership.created", "membership.role_changed",
"membership.ended", "membership.updated") in bulk, one chunk at a time. Invitations for
people new to the portal, the bulk of a big file, never come through Python: one
INSERT ... SELECT from the staged rows' cleaned values makes them, one UPDATE links each
row to its invitation and one INSERT ... SELECT writes their audit events. The emails
invitation_create would queue are sent after the import commits, by
tasks.import_follow_up, which also tells the areas that the premises' staff changed.
"""

import datetime

from django.db import connection
from django.utils import timezone

from accounts import audit
from accounts.models import (
    AuditEvent,
    Invitation,
    Membership,
    Organisation,
    Premises,
    User,
    hash_invitation_token,
)

from .models import ImportRow, ImportRun
from .sql import in_list


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
    invitations, members, revoked, updated, events, invited = [], [], [], [], [], []
    for step in steps:
        cleaned = step.cleaned
        if step.op in ("invite", "reinvite"):
            if step.op == "reinvite":
                revoked.append(step.invitation.pk)
            invited.append(step.row.pk)
        elif step.op == "add":
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
    if invited:
        invitations_from_rows(actor=actor, run=run, row_ids=invited, now=now, expires=expires)
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


# --- Invitations straight from the staged rows -------------------------------------------

# Set in a row's cleaned values by the check when it finds the row's person new to the
# portal, so the apply can invite all such rows in a few statements (StaffKind.classify).
NEW_TO_PORTAL = "new_to_portal"

# Written where a token hash goes until the follow-up job sets the hash of the token it
# emails: never a SHA-256 hex digest, so no token can match it, and unique per row.
UNSENT_TOKEN_PREFIX = "import-row:"


def _cleaned(key, kind="text"):
    """SQL for one of the staged row's cleaned values (ImportRow.cleaned, alias r)."""
    if connection.vendor == "postgresql":
        text = f"(r.cleaned ->> '{key}')"
        return {"text": text, "bool": f"{text}::boolean", "date": f"{text}::date"}[kind]
    return f"json_extract(r.cleaned, '$.{key}')"


def _changes_json(run_id_param):
    """SQL for the audit event's changes, as invitation.created writes them: email, role,
    manager, the dates when given, and the import run."""
    pairs = [
        ("email", "i.email"),
        ("job_role", "i.job_role"),
        ("is_manager", "i.is_manager"),
        ("start_date", "i.start_date"),
        ("end_date", "i.end_date"),
        ("import_run", run_id_param),
    ]
    if connection.vendor == "postgresql":
        body = ", ".join(f"'{name}', {value}" for name, value in pairs)
        return f"jsonb_strip_nulls(jsonb_build_object({body}))"
    pairs[2] = ("is_manager", "json(CASE WHEN i.is_manager THEN 'true' ELSE 'false' END)")
    body = ", ".join(f"'{name}', {value}" for name, value in pairs)
    # A JSON merge patch drops the keys whose value is null (dates not given).
    return f"json_patch('{{}}', json_object({body}))"


def _chosen(alias, run, row_ids):
    """(SQL, params): the staged rows (alias) to invite: these ids, or with row_ids None,
    every row of the run the check marked new to the portal and not yet linked."""
    if row_ids is not None:
        return in_list(f"{alias}.id", row_ids)
    return (
        f"{alias}.run_id = %s AND {_marked(alias)} AND {alias}.invitation_id IS NULL",
        [run.pk],
    )


def _marked(alias):
    """SQL: the row's cleaned values carry the check's NEW_TO_PORTAL mark."""
    if connection.vendor == "postgresql":
        return f"({alias}.cleaned ->> '{NEW_TO_PORTAL}') = 'true'"
    return f"json_extract({alias}.cleaned, '$.{NEW_TO_PORTAL}') = 1"


def invitations_from_rows(
    *,
    actor: User,
    run: ImportRun,
    now: datetime.datetime,
    expires: datetime.datetime,
    row_ids: list[int] | None = None,
) -> int:
    """Invite the people of these staged rows (checked, so their cleaned values hold an
    email, name, premises ODS code, role, manager flag and dates) in three statements:
    the invitations, each row's link to its invitation, and an "invitation.created"
    audit event each with the fields audit.audit_event gives one. row_ids None: every
    row of the run the check marked new to the portal (see stale_invitations)."""
    invitation = Invitation._meta.db_table
    premises = connection.ops.quote_name("accounts_premises")
    rows = connection.ops.quote_name(ImportRow._meta.db_table)
    chosen, chosen_params = _chosen("r", run, row_ids)
    linked, linked_params = _chosen(rows, run, row_ids)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {invitation} (email, full_name, premises_id, job_role, is_manager, "
            "start_date, end_date, invited_by_id, token_hash, created_at, expires_at) "
            f"SELECT {_cleaned('email')}, {_cleaned('full_name')}, p.id, "
            f"{_cleaned('job_role')}, {_cleaned('is_manager', 'bool')}, "
            f"{_cleaned('start_date', 'date')}, {_cleaned('end_date', 'date')}, %s, "
            f"%s || CAST(r.id AS TEXT), %s, %s "
            f"FROM {rows} r JOIN {premises} p "
            f"ON p.ods_code = {_cleaned('premises_ods_code')} WHERE {chosen}",
            [actor.pk, UNSENT_TOKEN_PREFIX, now, expires, *chosen_params],
        )
        invited = cursor.rowcount
        cursor.execute(
            f"UPDATE {rows} SET invitation_id = i.id FROM {invitation} i "
            f"WHERE i.token_hash = %s || CAST({rows}.id AS TEXT) AND {linked}",
            [UNSENT_TOKEN_PREFIX, *linked_params],
        )
        # The rows are linked now: their events are chosen by the run and the mark alone.
        events = (
            in_list("r.id", row_ids)
            if row_ids is not None
            else (f"r.run_id = %s AND {_marked('r')}", [run.pk])
        )
        _invitation_events(cursor, actor, run, events, now)
    return invited


def stale_invitations(
    *, run: ImportRun, organisation: Organisation, today: datetime.date, now: datetime.datetime
) -> bool:
    """Whether any row the check marked new to the portal no longer fits that: its email
    is now someone's on the portal, a pending invitation to its premises has been made
    since, its premises is no longer the organisation's, or its end date has come. One
    query. These are what StaffKind.classify reads for such a row, so when none has
    changed, classifying the rows again would invite each of them as the check said."""
    rows = connection.ops.quote_name(ImportRow._meta.db_table)
    user = connection.ops.quote_name(User._meta.db_table)
    invitation = connection.ops.quote_name(Invitation._meta.db_table)
    premises = connection.ops.quote_name(Premises._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT 1 FROM {rows} r LEFT JOIN {premises} p "
            f"ON p.ods_code = {_cleaned('premises_ods_code')} AND p.organisation_id = %s "
            f"WHERE r.run_id = %s AND {_marked('r')} AND (p.id IS NULL "
            f"OR {_cleaned('end_date', 'date')} <= %s "
            f"OR EXISTS (SELECT 1 FROM {user} u WHERE u.email = {_cleaned('email')}) "
            f"OR EXISTS (SELECT 1 FROM {invitation} i WHERE i.email = {_cleaned('email')} "
            "AND i.premises_id = p.id AND i.accepted_at IS NULL AND i.revoked_at IS NULL "
            "AND i.expires_at > %s)) LIMIT 1",
            [
                organisation.pk,
                run.pk,
                connection.ops.adapt_datefield_value(today),
                connection.ops.adapt_datetimefield_value(now),
            ],
        )
        return cursor.fetchone() is not None


def _invitation_events(cursor, actor, run, chosen, now):
    # Every column audit.audit_event fills the same way for all rows (actor, request id
    # and whatever else it records) comes from one event it builds; the rest is per row.
    template = audit.audit_event(actor=actor, action="invitation.created")
    per_row = {
        "object_type": "%s",
        "object_id": "CAST(i.id AS TEXT)",
        "object_repr": "SUBSTR('Invitation for ' || i.email || ' to ' || p.name || ' (' "
        "|| p.ods_code || ')', 1, 250)",
        "organisation_id": "p.organisation_id",
        "premises_id": "p.id",
        "changes": _changes_json("%s"),
        "created_at": "%s",
    }
    columns, values, params = [], [], []
    for model_field in AuditEvent._meta.concrete_fields:
        if model_field.primary_key:
            continue
        columns.append(connection.ops.quote_name(model_field.column))
        if model_field.attname in per_row:
            values.append(per_row[model_field.attname])
            if model_field.attname == "object_type":
                params.append(Invitation._meta.label)
            elif model_field.attname == "changes":
                params.append(run.pk)
            elif model_field.attname == "created_at":
                params.append(now)
        else:
            values.append("%s")
            params.append(
                model_field.get_db_prep_save(getattr(template, model_field.attname), connection)
            )
    rows = connection.ops.quote_name(ImportRow._meta.db_table)
    chosen, chosen_params = chosen
    cursor.execute(
        f"INSERT INTO {AuditEvent._meta.db_table} ({', '.join(columns)}) "
        f"SELECT {', '.join(values)} FROM {rows} r "
        f"JOIN {Invitation._meta.db_table} i ON i.id = r.invitation_id "
        f"JOIN accounts_premises p ON p.id = i.premises_id WHERE {chosen} "
        "ORDER BY r.number",
        [*params, *chosen_params],
    )


def _valid_days():
    from django.conf import settings

    return settings.INVITATION_VALID_DAYS
