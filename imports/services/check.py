"""Check: what each staged row would do (the preview), without changing anything."""

import json
from collections import Counter

from django.db import connection, transaction
from django.db.models import Count, Min
from django.utils import timezone

from ..kinds import kind_for
from ..models import ImportRow, ImportRun
from .common import Action, Status, _chunks, _set_counts, progress_set


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


@transaction.atomic
def import_check(*, run_id: int) -> ImportRun:
    """Work out, without changing anything, what each row would do. Safe to run twice: a
    run not being checked is returned as it is. The run ends ready, or blocked when any
    row is in error."""
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
