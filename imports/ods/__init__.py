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

By topic:
- rows: the file's columns, one row's values, how they differ from a premises;
- upload: comparing the file with every premises and storing what differs;
- apply: applying a reconciliation, or discarding it;
- new_codes: adding premises for codes the file lists and the portal lacks.
"""

from ._shared import BATCH, Action, Status
from .apply import ods_reconciliation_apply, ods_reconciliation_discard
from .new_codes import ods_codes_parse, ods_premises_add
from .rows import COLUMNS_READ, FIELD_LENGTHS, FIELDS, ODS_COLUMNS, TEXT_FIELDS, parse_row
from .upload import ods_reconciliation_upload

__all__ = [
    "BATCH",
    "COLUMNS_READ",
    "FIELDS",
    "FIELD_LENGTHS",
    "ODS_COLUMNS",
    "TEXT_FIELDS",
    "Action",
    "Status",
    "ods_codes_parse",
    "ods_premises_add",
    "ods_reconciliation_apply",
    "ods_reconciliation_discard",
    "ods_reconciliation_upload",
    "parse_row",
]
