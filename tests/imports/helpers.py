import csv
import io

from django.core.files.uploadedfile import SimpleUploadedFile

from imports import services
from imports.models import ImportRun

STAFF_HEADER = [
    "Email address",
    "Full name",
    "Premises ODS code",
    "Job role",
    "Premises manager",
    "Start date",
    "End date",
]


def csv_bytes(header, rows, encoding="utf-8"):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def csv_file(header, rows, name="staff.csv", encoding="utf-8"):
    return SimpleUploadedFile(name, csv_bytes(header, rows, encoding), content_type="text/csv")


def xlsx_file(header, rows, name="staff.xlsx"):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def upload(actor, organisation, kind, upload_file, **kwargs):
    return services.import_upload(
        actor=actor, organisation=organisation, kind=kind, uploaded_file=upload_file, **kwargs
    )


def staff_upload(actor, organisation, rows, **kwargs):
    return upload(actor, organisation, ImportRun.Kind.STAFF, csv_file(STAFF_HEADER, rows), **kwargs)


def make_run(world, **fields):
    defaults = {
        "organisation": world.premises.organisation,
        "kind": ImportRun.Kind.STAFF,
        "file_name": "staff.csv",
        "uploaded_by": world.head_office,
        "status": ImportRun.Status.READY,
    }
    defaults.update(fields)
    return ImportRun.objects.create(**defaults)
