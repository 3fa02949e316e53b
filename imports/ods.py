"""Reconciling the portal's premises with the official NHS ODS pharmacy file.

NHS ODS publishes the dispensing contractors (pharmacies) as a CSV file without a heading
row, every value quoted, 27 columns a row. The columns the portal reads (0-based):

    0 ODS code          1 name              2 national grouping   3 ICB (its ODS code)
    4-8 address lines 1 to 5 (line 4 the town, line 5 the county)
    9 postcode          10 open date        11 close date (both YYYYMMDD)

The rest (status, sub-type, telephone and so on) are not kept by the portal. The upload is
compared with every premises in one pass (one query for the premises, one for the ICB
areas) and only the codes that differ are stored, as OdsRow; nothing changes until a
portal admin applies it. See docs/decisions/0031-imports-ods-reconciliation.md.
"""

import datetime
import re

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts import audit, standings
from accounts.audit import audit_record
from accounts.models import AuditEvent, Organisation, Premises
from accounts.permissions import Permission, has_permission
from accounts.validators import ODS_CODE_PATTERN, POSTCODE_PATTERN, normalise_postcode

from .files import FileProblem, read_table
from .icb import icb_areas, icb_key
from .models import OdsReconciliation, OdsRow

Action = OdsRow.Action
Status = OdsReconciliation.Status
ODS_COLUMNS = 27
# Columns a row must have for the portal to read it: up to the close date.
COLUMNS_READ = 12
BATCH = 2000
# The portal's fields the file gives, with the preview's words for them.
FIELDS = {
    "name": "Premises name",
    "address_line_1": "Address line 1",
    "address_line_2": "Address line 2",
    "town": "Town or city",
    "postcode": "Postcode",
    "region": "ICB area",
    "closed_on": "Closed on",
}
TEXT_FIELDS = ("name", "address_line_1", "address_line_2", "town")
FIELD_LENGTHS = {"name": 200, "address_line_1": 200, "address_line_2": 200, "town": 100}
_DATE = re.compile(r"^\d{8}$")


def _require(actor):
    # Premises across every organisation: portal admins only.
    if not has_permission(actor, Permission.MANAGE_ORGANISATIONS):
        raise PermissionDenied


def _same_text(a, b):
    return " ".join((a or "").split()).casefold() == " ".join((b or "").split()).casefold()


def _date(text):
    """YYYYMMDD as a date; blank as None; ValueError for anything else."""
    text = text.strip()
    if not text:
        return None
    if not _DATE.match(text):
        raise ValueError(text)
    return datetime.date(int(text[:4]), int(text[4:6]), int(text[6:]))


def _show(name, value):
    if value is None or value == "":
        return ""
    if isinstance(value, datetime.date):
        return f"{value:%-d %B %Y}"
    return str(value)


def _looks_like_headings(cells):
    return not ODS_CODE_PATTERN.match(cells[0].strip().upper()) and not any(
        _DATE.match(cell.strip()) for cell in cells[10:12]
    )


def parse_row(row, regions):
    """(values, None) for a readable row, else (None, (column, message))."""
    cells = [" ".join(cell.split()) for cell in row.cells]
    code = cells[0].upper()
    if len(cells) < COLUMNS_READ:
        return None, (
            "",
            f"This row has {len(cells)} columns; the ODS pharmacy file has {ODS_COLUMNS}. "
            "Upload the file as NHS ODS publishes it, without changing it in a spreadsheet.",
        )
    if not ODS_CODE_PATTERN.match(code):
        return None, (
            "ODS code",
            f"{code or '(blank)'} is not a pharmacy ODS code (5 characters starting with F). "
            "Check this is the ODS file of dispensing contractors (pharmacies), not of GP "
            "practices or other organisations.",
        )
    lines = cells[4:9]
    postcode = normalise_postcode(cells[9])
    if not POSTCODE_PATTERN.match(postcode):
        return None, ("Postcode", f"{cells[9] or '(blank)'} is not a UK postcode")
    try:
        closed_on = _date(cells[11])
    except ValueError:
        return None, ("Close date", f"{cells[11]} is not a date written as YYYYMMDD")
    values = {
        "ods_code": code,
        "name": cells[1],
        "address_line_1": lines[0],
        "address_line_2": ", ".join(line for line in lines[1:3] if line),
        "town": lines[3] or lines[2] or lines[1],
        "postcode": postcode,
        "icb": cells[3].upper(),
        "region": regions.get(icb_key(cells[3])),
        "closed_on": closed_on,
    }
    for name, length in FIELD_LENGTHS.items():
        if len(values[name]) > length:
            return None, (FIELDS[name], f"Longer than the portal keeps ({length} characters)")
    return values, None


def _differences(premises, values):
    """{field: [portal, file]} for the fields that differ, in the preview's words."""
    changes = {}
    for name in TEXT_FIELDS:
        if not _same_text(getattr(premises, name), values[name]):
            changes[name] = [getattr(premises, name), values[name]]
    if premises.postcode != values["postcode"]:
        changes["postcode"] = [premises.postcode, values["postcode"]]
    if values["region"] is None or values["region"].pk != premises.region_id:
        changes["region"] = [
            premises.region.name,
            values["region"].name if values["region"] else f"{values['icb']} (not on the portal)",
        ]
    if premises.closed_on != values["closed_on"]:
        changes["closed_on"] = [_show("", premises.closed_on), _show("", values["closed_on"])]
    return changes


def _stored(values):
    stored = {name: values[name] for name in (*TEXT_FIELDS, "ods_code", "postcode", "icb")}
    stored["region"] = values["region"].pk if values["region"] else None
    stored["closed_on"] = values["closed_on"].isoformat() if values["closed_on"] else None
    return stored


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


# --- Apply -------------------------------------------------------------------------------


@transaction.atomic
def ods_reconciliation_apply(*, actor, reconciliation):
    """Write the file's values to the premises that differ and close those it shows
    closed, with an audit event each ("premises.updated", "premises.closed",
    "premises.reopened"), in a few statements per 2,000 rows. New codes are not added here
    (see ods_premises_add). Standings of every premises touched are refreshed on commit.
    Raises ValidationError if the reconciliation is not ready.
    """
    _require(actor)
    reconciliation = OdsReconciliation.objects.select_for_update().get(pk=reconciliation.pk)
    if reconciliation.status != Status.READY:
        raise ValidationError("This reconciliation has already been applied or discarded")
    regions = {region.pk: region for region in icb_areas().values()}
    touched = []
    rows = OdsRow.objects.filter(
        reconciliation=reconciliation, action__in=[Action.CHANGE, Action.CLOSE]
    ).order_by("number")
    last = 0
    while True:
        chunk = list(rows.filter(number__gt=last).select_related("premises")[:BATCH])
        if not chunk:
            break
        last = chunk[-1].number
        touched.extend(_apply_chunk(actor, chunk, regions))
    reconciliation.status = Status.APPLIED
    reconciliation.applied_by = actor
    reconciliation.applied_at = timezone.now()
    reconciliation.save()
    audit_record(
        actor=actor,
        action="ods.applied",
        obj=reconciliation,
        changes={
            "file_name": reconciliation.file_name,
            "changed": reconciliation.change_count,
            "closed": reconciliation.close_count,
        },
    )
    standings.refresh_on_commit(touched)
    return reconciliation


def _apply_chunk(actor, chunk, regions):
    changed, events = [], []
    for row in chunk:
        premises, data = row.premises, row.data
        changes = {}
        for name in (*TEXT_FIELDS, "postcode"):
            if getattr(premises, name) != data[name] and not (
                name in TEXT_FIELDS and _same_text(getattr(premises, name), data[name])
            ):
                changes[name] = [getattr(premises, name), data[name]]
                setattr(premises, name, data[name])
        region = regions.get(data["region"])
        if region is not None and region.pk != premises.region_id:
            changes["region"] = [str(premises.region), str(region)]
            premises.region = region
        closed_on = datetime.date.fromisoformat(data["closed_on"]) if data["closed_on"] else None
        closing = None
        if closed_on != premises.closed_on:
            closing = "premises.closed" if closed_on else "premises.reopened"
            closed_change = {
                "closed_on": [_iso(premises.closed_on), _iso(closed_on)],
            }
            premises.closed_on = closed_on
        if not changes and closing is None:
            continue
        changed.append(premises)
        if changes:
            events.append(
                audit.audit_event(
                    actor=actor,
                    action="premises.updated",
                    obj=premises,
                    premises=premises,
                    changes={**changes, "source": "ODS file"},
                )
            )
        if closing:
            events.append(
                audit.audit_event(
                    actor=actor,
                    action=closing,
                    obj=premises,
                    premises=premises,
                    changes={**closed_change, "source": "ODS file"},
                )
            )
    Premises.objects.bulk_update(
        changed,
        ["name", "address_line_1", "address_line_2", "town", "postcode", "region", "closed_on"],
        batch_size=500,
    )
    AuditEvent.objects.bulk_create(events, batch_size=BATCH)
    return [premises.pk for premises in changed]


def _iso(value):
    return value.isoformat() if value else ""


# --- New codes ---------------------------------------------------------------------------


def ods_codes_parse(text):
    """The ODS codes a person typed, upper case, in order, without repeats."""
    codes = []
    for code in re.split(r"[\s,;]+", (text or "").upper()):
        if code and code not in codes:
            codes.append(code)
    return codes


@transaction.atomic
def ods_premises_add(*, actor, reconciliation, organisation, codes):
    """Add premises for codes the file lists and the portal lacks, to one organisation,
    with the file's name, address, postcode and ICB area, and a "premises.created" audit
    event each. codes: ODS codes (strings) among the reconciliation's NEW rows.
    Raises ValidationError({"codes": message}) naming codes that cannot be added.
    """
    _require(actor)
    if not isinstance(organisation, Organisation):
        raise ValidationError({"organisation": "Choose the organisation to add them to"})
    if not codes:
        raise ValidationError({"codes": "Enter the ODS codes of the premises to add"})
    reconciliation = OdsReconciliation.objects.select_for_update().get(pk=reconciliation.pk)
    if reconciliation.status == Status.DISCARDED:
        raise ValidationError({"codes": "This reconciliation was discarded"})
    rows = {
        row.ods_code: row
        for row in OdsRow.objects.filter(
            reconciliation=reconciliation, action=Action.NEW, ods_code__in=codes
        )
    }
    unknown = [code for code in codes if code not in rows]
    if unknown:
        raise ValidationError(
            {
                "codes": f"{', '.join(unknown[:10])} "
                f"{'is not a code' if len(unknown) == 1 else 'are not codes'} this file lists "
                "as missing from the portal. Copy the codes from the list below."
            }
        )
    done = [code for code, row in rows.items() if row.added_premises_id]
    existing = set(Premises.objects.filter(ods_code__in=codes).values_list("ods_code", flat=True))
    no_region = [code for code, row in rows.items() if row.data["region"] is None]
    refused = sorted(set(done) | existing)
    if refused:
        raise ValidationError({"codes": f"Already on the portal: {', '.join(refused[:10])}"})
    if no_region:
        raise ValidationError(
            {
                "codes": f"The portal does not know the ICB area of {', '.join(no_region[:10])}: "
                "add the ICB's ODS code to its area first"
            }
        )
    regions = {region.pk: region for region in icb_areas().values()}
    created = Premises.objects.bulk_create(
        [
            Premises(
                organisation=organisation,
                ods_code=code,
                name=rows[code].data["name"],
                address_line_1=rows[code].data["address_line_1"],
                address_line_2=rows[code].data["address_line_2"],
                town=rows[code].data["town"],
                postcode=rows[code].data["postcode"],
                region=regions[rows[code].data["region"]],
            )
            for code in codes
        ]
    )
    if any(premises.pk is None for premises in created):
        # SQLite before 3.35 does not return ids from bulk inserts.
        ids = dict(Premises.objects.filter(ods_code__in=codes).values_list("ods_code", "pk"))
        for premises in created:
            premises.pk = ids[premises.ods_code]
    AuditEvent.objects.bulk_create(
        [
            audit.audit_event(
                actor=actor,
                action="premises.created",
                obj=premises,
                premises=premises,
                changes={
                    "ods_code": premises.ods_code,
                    "name": premises.name,
                    "postcode": premises.postcode,
                    "region": str(premises.region),
                    "source": "ODS file",
                },
            )
            for premises in created
        ]
    )
    for premises in created:
        rows[premises.ods_code].added_premises = premises
    OdsRow.objects.bulk_update(list(rows.values()), ["added_premises"], batch_size=500)
    reconciliation.added_count += len(created)
    reconciliation.save(update_fields=["added_count"])
    standings.refresh_on_commit([premises.pk for premises in created])
    return created


@transaction.atomic
def ods_reconciliation_discard(*, actor, reconciliation):
    _require(actor)
    reconciliation = OdsReconciliation.objects.select_for_update().get(pk=reconciliation.pk)
    if reconciliation.status != Status.READY:
        raise ValidationError("Only a reconciliation waiting to be applied can be discarded")
    reconciliation.status = Status.DISCARDED
    reconciliation.save(update_fields=["status"])
    audit_record(
        actor=actor,
        action="ods.discarded",
        obj=reconciliation,
        changes={"file_name": reconciliation.file_name},
    )
    return reconciliation
