"""Uploading the file: comparing it with every premises and storing what differs."""

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.audit import audit_record
from accounts.models import Premises

from ..files import FileProblem, read_table
from ..icb import icb_areas
from ..models import OdsReconciliation, OdsRow
from ._shared import BATCH, Action, _require
from .rows import (
    COLUMNS_READ,
    FIELDS,
    ODS_COLUMNS,
    _differences,
    _looks_like_headings,
    _show,
    _stored,
    parse_row,
)


@transaction.atomic
def ods_reconciliation_upload(*, actor, uploaded_file):
    """Compare the official ODS pharmacy file with every premises; store what differs.

    Returns the OdsReconciliation (status READY) whose rows say, code by code, what
    differs: CHANGE (name, address, postcode, ICB or close date), CLOSE (the file gives a
    close date the portal does not have), NEW (a code the portal lacks, open in the file),
    ERROR (a row the portal cannot read). Codes that agree are only counted. Raises
    ValidationError({"file": message}) for a file that is not the ODS layout. Changes
    nothing outside the two reconciliation tables.
    """
    _require(actor)
    notes = []
    try:
        rows = read_table(uploaded_file, notes)
        reconciliation = _compare(actor, uploaded_file, rows)
    except FileProblem as problem:
        transaction.set_rollback(True)
        raise ValidationError({"file": str(problem)}) from None
    audit_record(
        actor=actor,
        action="ods.uploaded",
        obj=reconciliation,
        changes={"file_name": reconciliation.file_name, "rows": reconciliation.total_rows},
    )
    return reconciliation


def _compare(actor, uploaded_file, rows):
    regions = icb_areas()
    premises_by_code = {p.ods_code: p for p in Premises.objects.select_related("region").order_by()}
    reconciliation = OdsReconciliation.objects.create(
        file_name=(uploaded_file.name or "ods.csv")[-255:], uploaded_by=actor
    )
    counts = dict.fromkeys(Action, 0)
    unchanged = total = 0
    seen = set()
    batch = []
    for row in rows:
        if not any(row.cells):
            continue
        total += 1
        if total == 1 and _looks_like_headings(row.cells):
            raise FileProblem(
                "This file starts with a row of headings, but the ODS pharmacy file has none: "
                'its first row is a pharmacy, like "FA123","CALDER PHARMACY",… Upload the '
                "file as NHS ODS publishes it."
            )
        if total == 1 and len(row.cells) < COLUMNS_READ:
            raise FileProblem(
                f"This is not the ODS pharmacy file: its first row has {len(row.cells)} "
                f"columns, and the ODS file has {ODS_COLUMNS} on every row (ODS code, name, "
                "national grouping, ICB, address, postcode, open and close dates and so on)."
            )
        values, problem = parse_row(row, regions)
        stored = None
        if problem is None and values["ods_code"] in seen:
            problem = ("ODS code", f"{values['ods_code']} is on an earlier row of the file too")
        if problem is not None:
            action, changes, message, premises = Action.ERROR, {}, problem, None
            code = (row.cells[0] if row.cells else "")[:12]
        else:
            code = values["ods_code"]
            seen.add(code)
            premises = premises_by_code.get(code)
            message = ("", "")
            if premises is None:
                if values["closed_on"] is not None:
                    unchanged += 1  # a closed pharmacy the portal never had: nothing to do
                    continue
                action = Action.NEW
                changes = {name: ["", _show(name, values[name])] for name in FIELDS}
                changes["region"][1] = (
                    values["region"].name
                    if values["region"]
                    else f"{values['icb']} (not on the portal)"
                )
                del changes["closed_on"]
                if values["region"] is None:
                    message = (
                        "ICB area",
                        f"ICB {values['icb']} is not an ICB area the portal knows: add its ODS "
                        "code to the area before adding this premises",
                    )
            else:
                changes = _differences(premises, values)
                if not changes:
                    unchanged += 1
                    continue
                closing = "closed_on" in changes and values["closed_on"] is not None
                action = Action.CLOSE if closing else Action.CHANGE
                if values["region"] is None:
                    message = (
                        "ICB area",
                        f"ICB {values['icb']} is not an ICB area the portal knows: the ICB "
                        "area is left as it is",
                    )
            stored = _stored(values)
        counts[action] += 1
        batch.append(
            OdsRow(
                reconciliation=reconciliation,
                number=row.number,
                ods_code=code,
                action=action,
                premises=premises,
                data=stored or {},
                changes={FIELDS[name]: pair for name, pair in changes.items()},
                message=_message(message),
            )
        )
        if len(batch) >= BATCH:
            OdsRow.objects.bulk_create(batch)
            batch = []
    OdsRow.objects.bulk_create(batch)
    if total == 0:
        raise FileProblem("The file is empty")
    reconciliation.total_rows = total
    reconciliation.change_count = counts[Action.CHANGE]
    reconciliation.close_count = counts[Action.CLOSE]
    reconciliation.new_count = counts[Action.NEW]
    reconciliation.error_count = counts[Action.ERROR]
    reconciliation.unchanged_count = unchanged
    reconciliation.save()
    return reconciliation


def _message(problem):
    column, text = problem
    if not text:
        return ""
    return f"{column}: {text}"[:300] if column else text[:300]
