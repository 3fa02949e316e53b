"""CSV exports for every area: streamed, and safe to open in a spreadsheet."""

import csv
import io

from django.http import HttpResponse, StreamingHttpResponse

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# A cell starting with one of these is a formula to Excel and LibreOffice; an export must
# never let a name typed into the portal run as one on a head office's computer.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


class _Echo:
    def write(self, value):
        return value


def csv_response(filename, header, rows):
    """Stream rows (an iterable, ideally a generator) as a CSV download."""
    writer = csv.writer(_Echo())

    def lines():
        yield writer.writerow(header)
        for row in rows:
            yield writer.writerow([neutralise(cell) for cell in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def xlsx_response(filename, header, rows, *, sheet_title="Sheet1"):
    """A small Excel workbook download (templates and the like, not large exports).

    Every cell is written as text, so nothing typed into the portal becomes a formula and
    codes such as ODS codes keep their leading zeros.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_title)

    def text_cells(values):
        cells = []
        for value in values:
            cell = WriteOnlyCell(sheet, value=neutralise(value))
            cell.data_type = "s"
            cells.append(cell)
        return cells

    sheet.append(text_cells(header))
    for row in rows:
        sheet.append(text_cells(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
