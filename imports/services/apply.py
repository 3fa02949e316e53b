"""Confirm and apply: the whole checked file in one transaction, or nothing; discard."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_record

from ..actions import run_state
from ..kinds import kind_for
from ..models import ImportRun
from .check import import_check
from .common import (
    APPLY_CHUNK,
    Action,
    ImportStale,
    Status,
    _chunks,
    _require,
    _set_counts,
    progress_set,
    queue,
)

if TYPE_CHECKING:
    from accounts.models import User


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


def import_confirm(*, actor: User, run: ImportRun) -> ImportRun:
    """Apply a checked file: now if it is small (settings.IMPORT_INLINE_MAX_ROWS rows or
    fewer), else in the background; the run as it then stands. Raises PermissionDenied
    without the kind's permission on the organisation, and ValidationError for a run
    blocked by errors, imported already, or not ready."""
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
    queue("apply_import", run.pk)
    return locked


def import_apply(*, actor: User, run: ImportRun) -> ImportRun:
    """The whole file in one transaction, or nothing. Safe to run twice. When the database
    changed since the preview, nothing is saved and the run is checked again, so the
    preview shows what no longer fits; any other error puts it back to ready and is
    raised."""
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
        queue("import_follow_up", run.pk)
    return run


@transaction.atomic
def import_discard(*, actor: User, run: ImportRun) -> ImportRun:
    """Throw away a run waiting to be confirmed and its staged rows; audited. Raises
    PermissionDenied without the kind's permission on the organisation, and
    ValidationError for a run in any other state."""
    _require(actor, run.kind, run.organisation)
    run = ImportRun.objects.select_for_update().get(pk=run.pk)
    if not run_state(run).may_discard:
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
