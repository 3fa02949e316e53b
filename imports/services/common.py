"""What the import services share: permission, progress, and reading the staged rows a
chunk at a time."""

from dataclasses import dataclass

from django.core.cache import cache
from django.core.exceptions import PermissionDenied

from accounts.permissions import Permission, has_permission
from outbox.services import enqueue

from ..models import ImportRow, ImportRun

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


# --- Background work ---------------------------------------------------------------------


def queue(task: str, run_id: int) -> None:
    """Queue the task of imports/tasks.py named `task` for the run. Looked up by name in
    Celery's registry, not imported: the tasks call these services, so the services do
    not import the tasks, and the two modules do not depend on each other. Written to the
    outbox in the caller's transaction (outbox/services.py)."""
    enqueue(f"imports.tasks.{task}", run_id=run_id)


# --- Progress, shown by the page's progress bar ------------------------------------------


def _progress_key(run_id):
    return f"import-progress:{run_id}"


def progress_set(run_id: int, done: int, total: int) -> None:
    """Record how many of a run's `total` rows are checked or applied (`done`), in the
    cache for an hour, for the page's progress bar."""
    cache.set(_progress_key(run_id), (done, total), timeout=60 * 60)


def progress_get(run: ImportRun) -> dict[str, int]:
    """{"done", "total" (rows), "percent" (0 to 100)} of a run's check or apply; none done
    when nothing is recorded."""
    done, total = cache.get(_progress_key(run.pk), (0, run.total_rows))
    percent = int(done * 100 / total) if total else 0
    return {"done": done, "total": total, "percent": min(percent, 100)}


# --- Staged rows -------------------------------------------------------------------------


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


def _set_counts(run, counts):
    run.add_count = counts.get(Action.ADD, 0)
    run.change_count = counts.get(Action.CHANGE, 0)
    run.unchanged_count = counts.get(Action.UNCHANGED, 0)
    run.error_count = counts.get(Action.ERROR, 0)
