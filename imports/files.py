"""Reading an uploaded CSV or XLSX file as a stream of rows.

CSV goes through the standard library's csv module, XLSX through openpyxl in read-only
mode: neither holds the whole file in memory, so a 100,000-row file costs no more than a
100-row one. Every way a file can be unreadable ends in FileProblem, whose message is
shown to the person as it is.
"""

import codecs
import csv
import datetime
import io
import itertools
import zipfile
from dataclasses import dataclass

from django.conf import settings

CSV_EXTENSIONS = (".csv", ".txt")
XLSX_EXTENSIONS = (".xlsx",)
ZIP_MAGIC = b"PK\x03\x04"
# The first cell of a row starting with this marks a comment, such as the hints row of
# the portal's template files: such rows are skipped.
COMMENT_MARK = "#"


class FileProblem(Exception):
    """The file as a whole cannot be read. The message says why, in plain words."""


@dataclass
class Row:
    number: int  # the spreadsheet's own row number, the header being row 1
    cells: list


def _size_text(size):
    return f"{size / 1024 / 1024:.0f} MB"


def check_upload(uploaded):
    """Refuse what is not worth opening: wrong type, empty, too big."""
    name = (uploaded.name or "").lower()
    if not name.endswith(CSV_EXTENSIONS + XLSX_EXTENSIONS):
        raise FileProblem(
            "The file must be a CSV file (.csv) or an Excel workbook (.xlsx). "
            "Save other spreadsheets, including older .xls files, as one of these first."
        )
    if uploaded.size == 0:
        raise FileProblem("The file is empty")
    limit = settings.IMPORT_MAX_UPLOAD_BYTES
    if uploaded.size > limit:
        raise FileProblem(
            f"The file is {_size_text(uploaded.size)}. The largest file the portal takes is "
            f"{_size_text(limit)}: split it into smaller files."
        )
    uploaded.seek(0)
    start = uploaded.read(4)
    uploaded.seek(0)
    is_zip = start == ZIP_MAGIC
    if name.endswith(XLSX_EXTENSIONS) and not is_zip:
        raise FileProblem(
            "This file has an .xlsx name but is not an Excel workbook. Open it in Excel "
            "and save it again as an Excel workbook (.xlsx)."
        )
    if name.endswith(CSV_EXTENSIONS) and is_zip:
        raise FileProblem(
            "This file has a .csv name but is an Excel workbook. Rename it to .xlsx, or save "
            "it as CSV UTF-8 from Excel."
        )
    return "xlsx" if is_zip else "csv"


# Encodings a spreadsheet saved on a UK machine may use when it is not UTF-8: older Excel
# writes "CSV (comma delimited)" as Windows-1252, other programs as Latin-1.
LEGACY_ENCODINGS = ["cp1252", "latin_1", "iso8859_15"]
ENCODING_NAMES = {
    "utf_8": "UTF-8",
    "utf-8-sig": "UTF-8",
    "utf-16": "UTF-16",
    "cp1252": "Windows-1252",
    "latin_1": "Latin-1 (ISO-8859-1)",
    "iso8859_15": "Latin-9 (ISO-8859-15)",
}
SAMPLE_BYTES = 64 * 1024
DELIMITERS = ",;\t"


def _is_utf8(handle):
    """Whether the whole file decodes as UTF-8, read a block at a time."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    handle.seek(0)
    try:
        while block := handle.read(1024 * 1024):
            decoder.decode(block)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    finally:
        handle.seek(0)
    return True


def _csv_encoding(uploaded):
    """The file's encoding: a byte-order mark, else UTF-8 if every byte fits, else what
    charset-normalizer finds among the legacy encodings spreadsheets write."""
    handle = uploaded.file
    handle.seek(0)
    sample = handle.read(SAMPLE_BYTES)
    handle.seek(0)
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in sample:
        raise FileProblem(BINARY_MESSAGE)
    if _is_utf8(handle):
        return "utf-8-sig"
    from charset_normalizer import from_bytes

    match = from_bytes(sample, cp_isolation=LEGACY_ENCODINGS).best()
    if match is None:
        raise FileProblem(ENCODING_MESSAGE)
    return match.encoding


BINARY_MESSAGE = (
    "This file is not a CSV file: it holds data that is not text, so it may be another kind "
    "of file renamed to .csv. Open it in Excel and save it as CSV UTF-8 (comma delimited), "
    "or as an Excel workbook (.xlsx)."
)
ENCODING_MESSAGE = (
    "The portal cannot read this file as text: it may be another kind of file renamed to "
    ".csv, or text saved in a way the portal cannot tell, so names with accents would be "
    "read wrongly. In Excel choose File, Save as, and the type 'CSV UTF-8 (comma delimited)'."
)


def _dialect(lines):
    """The separator: a leading `sep=;` line (Excel writes one), else what csv.Sniffer
    finds among comma, semicolon and tab, else a comma. Returns (delimiter, skip_first)."""
    first = lines[0].strip() if lines else ""
    if first.lower().startswith("sep=") and len(first) == 5:
        return first[4], True
    try:
        return csv.Sniffer().sniff("".join(lines), delimiters=DELIMITERS).delimiter, False
    except csv.Error:
        return ",", False


def _csv_rows(uploaded, notes):
    encoding = _csv_encoding(uploaded)
    uploaded.seek(0)
    text = io.TextIOWrapper(uploaded.file, encoding=encoding, newline="")
    number = 0
    try:
        head = list(itertools.islice(text, 50))
        delimiter, skip_first = _dialect(head)
        if encoding not in ("utf-8-sig", "utf-16"):
            notes.append(
                f"The file was saved as {ENCODING_NAMES.get(encoding, encoding)} text, not "
                "UTF-8. The portal read it as that: check names with accents below look right."
            )
        if delimiter != ",":
            notes.append(
                f"The file's columns are separated by "
                f"{'semicolons' if delimiter == ';' else 'tabs'}; the portal read it so."
            )
        if skip_first:
            head = head[1:]
        reader = csv.reader(itertools.chain(head, text), delimiter=delimiter)
        for cells in reader:
            number += 1
            yield Row(number, _clean_cells(cells, number))
    except UnicodeDecodeError:
        raise FileProblem(ENCODING_MESSAGE) from None
    except csv.Error as error:
        raise FileProblem(
            f"Row {number + 1} of the file cannot be read as CSV ({error}). Check it was "
            "saved as a CSV file."
        ) from None
    finally:
        text.detach()


def _clean_cells(cells, number):
    cells = [cell.strip() for cell in cells]
    if any("\x00" in cell for cell in cells):
        # Not text a spreadsheet writes; and no database column may hold it.
        raise FileProblem(
            f"Row {number} of the file cannot be read as text: it holds a NUL character. "
            "Check the file was saved as CSV UTF-8 or as an Excel workbook."
        )
    return cells


def _cell_text(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _xlsx_rows(uploaded, notes):
    from openpyxl import load_workbook

    uploaded.seek(0)
    try:
        # Formulas are read as typed (data_only=False) so a cell such as =HYPERLINK(...)
        # reaches the formula check instead of slipping through as its cached value.
        workbook = load_workbook(uploaded.file, read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise FileProblem(
            "The Excel workbook cannot be opened. Open it in Excel and save it again as an "
            f"Excel workbook (.xlsx). ({type(error).__name__})"
        ) from None
    try:
        sheet = workbook.worksheets[0]
        if len(workbook.worksheets) > 1:
            notes.append(
                f"The workbook has {len(workbook.worksheets)} sheets. The portal read only "
                f"the first, '{sheet.title}': put every row on that sheet."
            )
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield Row(number, _clean_cells([_cell_text(value) for value in values], number))
    except (zipfile.BadZipFile, KeyError, ValueError) as error:
        raise FileProblem(
            f"The Excel workbook cannot be read ({type(error).__name__}). Save it again as an "
            "Excel workbook (.xlsx)."
        ) from None
    finally:
        workbook.close()


def read_table(uploaded, notes):
    """Every row of the file as it is, headings or not: an iterator of Rows."""
    kind = check_upload(uploaded)
    return _xlsx_rows(uploaded, notes) if kind == "xlsx" else _csv_rows(uploaded, notes)


def read_rows(uploaded, notes=None):
    """(header cells, iterator of data Rows). Blank and comment rows are left out.

    notes, a list, gets a plain sentence for each thing the person should check about how
    the file was read (its encoding, separator, which sheet of a workbook).
    """
    notes = [] if notes is None else notes
    rows = read_table(uploaded, notes)
    header = None
    for row in rows:
        if not any(row.cells):
            continue
        header = row.cells
        break
    if header is None:
        raise FileProblem("The file is empty")
    while header and not header[-1]:
        header.pop()

    def data_rows():
        limit = settings.IMPORT_MAX_ROWS
        count = 0
        for row in rows:
            if not any(row.cells) or row.cells[0].startswith(COMMENT_MARK):
                continue
            count += 1
            if count > limit:
                raise FileProblem(
                    f"The file has more than {limit:,} rows. Split it into smaller files."
                )
            yield row

    return header, data_rows()
