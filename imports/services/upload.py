"""Upload: the file's rows staged in ImportRow, then checked now or in the background."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from accounts.audit import audit_record

from ..files import FileProblem, read_rows
from ..kinds import kind_for
from ..models import ImportRow, ImportRun
from .check import import_check
from .common import CHUNK, _require, progress_set, queue

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile

    from accounts.models import Organisation, User


def import_upload(
    *,
    actor: User,
    organisation: Organisation,
    kind: str,
    uploaded_file: UploadedFile,
    is_full_staff_list: bool = False,
) -> ImportRun:
    """Stage the file's rows and check them (now, or in the background for big files:
    more than settings.IMPORT_INLINE_MAX_ROWS rows). kind: an ImportRun.Kind value;
    is_full_staff_list only counts for a staff list.

    Nothing outside the staging table changes until the run is confirmed. Raises
    PermissionDenied without the kind's permission on the organisation (KIND_PERMISSIONS),
    and ValidationError ({"file": ...}) for a file that cannot be read or has no rows
    (docs/decisions/0014-imports-file-handling.md)."""
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
        queue("check_import", run.pk)
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
