"""Writes for bulk import: upload (stage the rows), check (the preview), confirm and apply
(one transaction for the whole file), discard, and ending the memberships of people a
full staff list leaves out. Each checks permission and writes audit events.
"""

import json
from collections import Counter
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Count, Min
from django.utils import timezone

from accounts import services as account_services
from accounts import standings
from accounts.audit import audit_record
from accounts.emails import queue_email
from accounts.models import Invitation, Membership, Premises, hash_invitation_token
from accounts.permissions import Permission, has_permission

from . import selectors
from .files import FileProblem, read_rows
from .kinds import kind_for
from .models import ImportRow, ImportRun

Status = ImportRun.Status
Action = ImportRow.Action
CHUNK = 1000
# Applying holds only each row's cleaned values, not its cells and outcome: bigger chunks
# mean fewer statements for the same memory.
APPLY_CHUNK = 5000
# bulk_update writes one CASE per field with a branch per row: small batches keep each
# statement cheap for the database to evaluate.
UPDATE_BATCH = 100

KIND_PERMISSIONS = {
    ImportRun.Kind.PREMISES: Permission.MANAGE_PREMISES,
    ImportRun.Kind.STAFF: Permission.MANAGE_STAFF,
    ImportRun.Kind.NHSMAIL: Permission.MANAGE_NHSMAIL,
}


class ImportStale(Exception):
    """The database changed since the preview, so a row no longer applies as shown."""


def _require(actor, kind, organisation):
    if not has_permission(actor, KIND_PERMISSIONS[kind], organisation):
        raise PermissionDenied


# --- Progress, shown by the page's progress bar ------------------------------------------


def _progress_key(run_id):
    return f"import-progress:{run_id}"


def progress_set(run_id, done, total):
    cache.set(_progress_key(run_id), (done, total), timeout=60 * 60)


def progress_get(run):
    done, total = cache.get(_progress_key(run.pk), (0, run.total_rows))
    percent = int(done * 100 / total) if total else 0
    return {"done": done, "total": total, "percent": min(percent, 100)}


# --- Upload ------------------------------------------------------------------------------


def import_upload(*, actor, organisation, kind, uploaded_file, is_full_staff_list=False):
    """Stage the file's rows and check them (now, or in the background for big files).

    Nothing outside the staging table changes until the run is confirmed.
    """
    _require(actor, kind, organisation)
    spec = kind_for(kind)
    try:
        with transaction.atomic():
            notes = []
            header, rows = read_rows(uploaded_file, notes)
            fields = spec.field_for_headers(header)
            run = ImportRun.objects.create(
                organisation=organisation,
                kind=kind,
                file_name=(uploaded_file.name or "upload")[-255:],
                uploaded_by=actor,
                is_full_staff_list=bool(is_full_staff_list) and kind == ImportRun.Kind.STAFF,
                file_notes=notes,
            )
            total = _stage(run, spec, fields, rows)
            if total == 0:
                raise FileProblem("The file has column headings but no rows of data")
            run.total_rows = total
            run.save(update_fields=["total_rows"])
            audit_record(
                actor=actor,
                action="import.uploaded",
                obj=run,
                organisation=organisation,
                changes={"kind": kind, "file_name": run.file_name, "rows": total},
            )
    except FileProblem as problem:
        raise ValidationError({"file": str(problem)}) from None
    progress_set(run.pk, 0, total)
    if total <= settings.IMPORT_INLINE_MAX_ROWS:
        import_check(run_id=run.pk)
        run.refresh_from_db()
    else:
        from .tasks import check_import

        transaction.on_commit(lambda: check_import.delay(run.pk))
    return run


def _stage(run, spec, fields, rows):
    """Store the file's rows in ImportRow, CHUNK at a time. Returns how many."""
    batch, total = [], 0
    for row in rows:
        data = spec.row_data(fields, row.cells)
        batch.append((row.number, data, spec.key(data)[:300]))
        total += 1
        if len(batch) >= CHUNK:
            _rows_insert(run, batch)
            batch = []
    _rows_insert(run, batch)
    return total


def _rows_insert(run, batch):
    """Insert staged rows: PostgreSQL's COPY (bulk_create's quoting of every value into
    the statement took half the upload), else bulk_create."""
    if not batch:
        return
    if connection.vendor != "postgresql":
        ImportRow.objects.bulk_create(
            [ImportRow(run=run, number=n, data=data, key=key) for n, data, key in batch]
        )
        return
    table = connection.ops.quote_name(ImportRow._meta.db_table)
    with connection.cursor() as cursor:
        copy_sql = f"COPY {table} (run_id, number, data, key, action, changes, errors) FROM STDIN"
        with cursor.cursor.copy(copy_sql) as copy:
            for number, data, key in batch:
                copy.write_row((run.pk, number, json.dumps(data), key, "", "{}", "[]"))


# --- Check: the preview ------------------------------------------------------------------


@dataclass
class Staged:
    """A staged row as checking and applying read it: plain values, not a model instance
    (building 100,000 of those cost a fifth of an apply)."""

    pk: int
    number: int
    key: str
    data: dict = None
    cleaned: dict = None
    action: str = ""
    changes: dict = None
    errors: list = None
    invitation_id: int = None


def _chunks(run, fields=("data",), size=CHUNK, **filters):
    """The run's rows in order, `size` at a time: memory stays flat whatever the file."""
    last = 0
    while True:
        chunk = [
            Staged(pk, number, key, **dict(zip(fields, rest, strict=True)))
            for pk, number, key, *rest in ImportRow.objects.filter(
                run=run, number__gt=last, **filters
            )
            .order_by("number")
            .values_list("id", "number", "key", *fields)[:size]
        ]
        if not chunk:
            return
        yield chunk
        last = chunk[-1].number


def _duplicates(run):
    """key -> the first row it appears on, for keys that appear more than once."""
    return dict(
        ImportRow.objects.filter(run=run)
        .exclude(key="")
        .values("key")
        .annotate(n=Count("id"), first=Min("number"))
        .filter(n__gt=1)
        .values_list("key", "first")
    )


DUPLICATE_MESSAGES = {
    ImportRun.Kind.PREMISES: ("ODS code", "This ODS code is already on row {first}"),
    ImportRun.Kind.STAFF: (
        "Email address",
        "This person is already listed for this premises on row {first}",
    ),
    ImportRun.Kind.NHSMAIL: (
        "Shared mailbox",
        "This person and shared mailbox are already on row {first}: give each link once",
    ),
}


def _check_chunk(spec, run, chunk, ctx, duplicates):
    """Check each row's cells, then classify the rows that pass against the database.
    Rows that pass keep their cleaned values (row.cleaned) for the apply."""
    items = []
    column, message = DUPLICATE_MESSAGES[run.kind]
    for row in chunk:
        row.action, row.changes, row.errors, row.cleaned = Action.ERROR, {}, [], None
        cleaned, errors = spec.check_cells(row.data)
        first = duplicates.get(row.key)
        if first is not None and first != row.number:
            errors.append({"column": column, "message": message.format(first=first)})
        if errors:
            row.errors = errors
            continue
        items.append((row, cleaned))
    steps = spec.classify(items, ctx)
    for row, cleaned in items:
        if row.action != Action.ERROR:
            row.cleaned = spec.cleaned_to_json(cleaned)
    return items, steps


def _rows_record_outcome(rows):
    """Store each row's action, changes, errors and cleaned values: one UPDATE for the
    chunk, its values sent as one JSON parameter (a list of [id, action, changes, errors,
    cleaned]). bulk_update would build a CASE branch per row and field, which took two
    thirds of checking a file; a placeholder per value took the driver a third as long
    again to read back out of the statement."""
    table = connection.ops.quote_name(ImportRow._meta.db_table)
    values = json.dumps(
        [[row.pk, row.action, row.changes, row.errors, row.cleaned] for row in rows]
    )
    if connection.vendor == "postgresql":
        source = (
            "(SELECT (v ->> 0)::bigint AS id, v ->> 1 AS action, v -> 2 AS changes, "
            "v -> 3 AS errors, NULLIF(v -> 4, 'null'::jsonb) AS cleaned "
            "FROM jsonb_array_elements(%s::jsonb) AS v)"
        )
    else:
        source = (
            "(SELECT json_extract(value, '$[0]') AS id, json_extract(value, '$[1]') AS action, "
            "json_extract(value, '$[2]') AS changes, json_extract(value, '$[3]') AS errors, "
            "json_extract(value, '$[4]') AS cleaned FROM json_each(%s))"
        )
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET action = v.action, changes = v.changes, errors = v.errors, "
            f"cleaned = v.cleaned FROM {source} AS v WHERE {table}.id = v.id",
            [values],
        )


def _stored_chunk(spec, chunk, ctx):
    """The apply's classify of rows the check passed, from their stored cleaned values:
    the cells are not checked again. Raises ImportStale for a row the check did not pass."""
    items = []
    for row in chunk:
        if row.cleaned is None:
            raise ImportStale
        row.action, row.changes, row.errors = Action.ERROR, {}, []
        items.append((row, spec.cleaned_from_json(row.cleaned, ctx)))
    return items, spec.classify(items, ctx)


@transaction.atomic
def import_check(*, run_id):
    """Work out, without changing anything, what each row would do. Safe to run twice."""
    run = ImportRun.objects.select_for_update().get(pk=run_id)
    if run.status != Status.CHECKING:
        return run
    spec = kind_for(run)
    ctx = spec.context(run)
    duplicates = _duplicates(run)
    done = 0
    for chunk in _chunks(run):
        _check_chunk(spec, run, chunk, ctx, duplicates)
        _rows_record_outcome(chunk)
        done += len(chunk)
        progress_set(run.pk, done, run.total_rows)
    counts = Counter(
        dict(
            ImportRow.objects.filter(run=run)
            .values("action")
            .annotate(n=Count("id"))
            .values_list("action", "n")
        )
    )
    _set_counts(run, counts)
    run.status = Status.BLOCKED if run.error_count else Status.READY
    run.checked_at = timezone.now()
    run.save()
    return run


def _set_counts(run, counts):
    run.add_count = counts.get(Action.ADD, 0)
    run.change_count = counts.get(Action.CHANGE, 0)
    run.unchanged_count = counts.get(Action.UNCHANGED, 0)
    run.error_count = counts.get(Action.ERROR, 0)


# --- Confirm and apply -------------------------------------------------------------------


def import_confirm(*, actor, run):
    """Apply a checked file: now if it is small, else in the background."""
    _require(actor, run.kind, run.organisation)
    with transaction.atomic():
        locked = ImportRun.objects.select_for_update().get(pk=run.pk)
        if locked.status == Status.BLOCKED:
            raise ValidationError(
                "This file has rows in error. Put them right and upload the file again."
            )
        if locked.status in (Status.APPLYING, Status.APPLIED):
            raise ValidationError("This file has already been imported")
        if locked.status != Status.READY:
            raise ValidationError("This file cannot be imported now")
        locked.status = Status.APPLYING
        locked.applied_by = actor
        locked.save(update_fields=["status", "applied_by"])
    progress_set(run.pk, 0, run.total_rows)
    if run.total_rows <= settings.IMPORT_INLINE_MAX_ROWS:
        return import_apply(actor=actor, run=locked)
    from .tasks import apply_import

    apply_import.delay(run.pk)
    return locked


def import_apply(*, actor, run):
    """The whole file in one transaction, or nothing. Safe to run twice."""
    try:
        return _apply(actor, run.pk)
    except (ImportStale, ValidationError):
        # Nothing was saved. Check again so the preview shows what no longer fits.
        ImportRun.objects.filter(pk=run.pk).update(status=Status.CHECKING)
        return import_check(run_id=run.pk)
    except Exception:
        ImportRun.objects.filter(pk=run.pk, status=Status.APPLYING).update(status=Status.READY)
        raise


@transaction.atomic
def _apply(actor, run_id):
    run = ImportRun.objects.select_for_update().select_related("organisation").get(pk=run_id)
    if run.status != Status.APPLYING:
        return run
    _require(actor, run.kind, run.organisation)
    spec = kind_for(run)
    ctx = spec.context(run)
    counts = Counter()
    done = spec.apply_set_based(actor=actor, run=run, ctx=ctx)
    counts[Action.ADD] += done
    if done:
        progress_set(run.pk, done, run.total_rows)
    # Rows applied set-based are linked to their invitations: the chunks leave them out.
    chunks = _chunks(run, fields=("cleaned",), size=APPLY_CHUNK, invitation_id__isnull=True)
    for chunk in chunks if done < run.total_rows else ():
        items, steps = _stored_chunk(spec, chunk, ctx)
        if any(row.action == Action.ERROR for row, _ in items):
            raise ImportStale
        spec.apply(actor=actor, run=run, steps=steps, ctx=ctx)
        counts.update(row.action for row in chunk)
        done += len(chunk)
        progress_set(run.pk, done, run.total_rows)
    _set_counts(run, counts)
    run.status = Status.APPLIED
    run.applied_by = actor
    run.applied_at = timezone.now()
    run.save()
    audit_record(
        actor=actor,
        action="import.applied",
        obj=run,
        organisation=run.organisation,
        changes={
            "kind": run.kind,
            "file_name": run.file_name,
            "added": run.add_count,
            "changed": run.change_count,
            "unchanged": run.unchanged_count,
        },
    )
    if run.kind == ImportRun.Kind.STAFF and (run.add_count or run.change_count):
        from .tasks import import_follow_up

        transaction.on_commit(lambda: import_follow_up.delay(run.pk))
    return run


@transaction.atomic
def import_discard(*, actor, run):
    _require(actor, run.kind, run.organisation)
    run = ImportRun.objects.select_for_update().get(pk=run.pk)
    if run.status not in (Status.READY, Status.BLOCKED):
        raise ValidationError("Only a file waiting to be confirmed can be discarded")
    run.status = Status.DISCARDED
    run.save(update_fields=["status"])
    run.rows.all().delete()
    audit_record(
        actor=actor,
        action="import.discarded",
        obj=run,
        organisation=run.organisation,
        changes={"file_name": run.file_name},
    )
    return run


# --- After a staff import: emails and the areas' refresh ---------------------------------


def import_follow_up(*, run_id):
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
def import_end_missing(*, actor, run, end_date):
    """End the memberships of people a full staff list left out: a separate decision."""
    _require(actor, ImportRun.Kind.STAFF, run.organisation)
    run = ImportRun.objects.select_for_update().get(pk=run.pk)
    if not (run.kind == ImportRun.Kind.STAFF and run.is_full_staff_list):
        raise ValidationError({"end_date": "Only a full staff list can end memberships"})
    if run.status != Status.APPLIED:
        raise ValidationError({"end_date": "Import the file before ending anyone's membership"})
    if run.missing_ended_at:
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
