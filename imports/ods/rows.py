"""Reading the ODS file: its columns, one row's values, and how they differ from a
premises."""

import datetime
import re

from accounts.validators import ODS_CODE_PATTERN, POSTCODE_PATTERN, normalise_postcode

from ..icb import icb_key

ODS_COLUMNS = 27
# Columns a row must have for the portal to read it: up to the close date.
COLUMNS_READ = 12
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
