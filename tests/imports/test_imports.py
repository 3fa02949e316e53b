import datetime
import io
import re
import time

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import AuditEvent, Invitation, Membership, Premises
from imports import selectors, services
from imports.models import ImportRow, ImportRun
from nhsmail.models import MailboxLink, PersonalAccount, SharedMailbox
from tests.conftest import sign_in
from tests.factories import MembershipFactory, PremisesFactory, RegionFactory, UserFactory
from tests.imports.helpers import (
    STAFF_HEADER,
    csv_bytes,
    csv_file,
    staff_upload,
    upload,
    xlsx_file,
)

pytestmark = pytest.mark.django_db
Status = ImportRun.Status


def staff_rows(world, count=3):
    ods = world.premises.ods_code
    return [
        [f"new{i}@example.test", f"New Person {i}", ods, "Dispenser", "no", "", ""]
        for i in range(count)
    ]


def errors_of(run):
    return [
        (row.number, error["column"], error["message"])
        for row in ImportRow.objects.filter(run=run, action="error").order_by("number")
        for error in row.errors
    ]


# --- Staff: preview, confirm, re-import ----------------------------------------------------


def test_preview_saves_nothing_and_apply_agrees(world, django_capture_on_commit_callbacks):
    rows = [
        *staff_rows(world, 2),
        # An existing person changes role; another is added at a second premises.
        [
            world.staff.email,
            world.staff.full_name,
            world.premises.ods_code,
            "Technician",
            "",
            "",
            "",
        ],
        [
            world.manager.email,
            "Mia Manager",
            world.second_premises.ods_code,
            "Pharmacist",
            "yes",
            "",
            "",
        ],
    ]
    memberships, invitations = Membership.objects.count(), Invitation.objects.count()
    run = staff_upload(world.head_office, world.premises.organisation, rows)
    assert run.status == Status.READY
    assert (run.add_count, run.change_count, run.unchanged_count, run.error_count) == (3, 1, 0, 0)
    assert Membership.objects.count() == memberships
    assert Invitation.objects.count() == invitations
    changed = ImportRow.objects.get(run=run, action="change")
    assert changed.changes == {"job_role": ["Dispenser", "Pharmacy technician"]}

    with django_capture_on_commit_callbacks(execute=True):
        run = services.import_confirm(actor=world.head_office, run=run)
    assert run.status == Status.APPLIED
    assert (run.add_count, run.change_count, run.unchanged_count) == (3, 1, 0)
    assert Invitation.objects.count() == invitations + 3
    added = Membership.objects.get(user=world.manager, premises=world.second_premises)
    assert (added.job_role, added.is_manager) == ("pharmacist", True)
    assert world.staff.memberships.get().job_role == "technician"
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"invitation.created", "membership.created", "membership.role_changed"} <= actions
    assert "import.applied" in actions
    subjects = sorted(m.subject for m in mail.outbox)
    assert len([s for s in subjects if s.startswith("Join")]) == 2
    assert len([s for s in subjects if s.startswith("You have been added")]) == 1


def test_an_existing_member_made_manager_and_back(world, django_capture_on_commit_callbacks):
    def import_manager_flag(user, flag):
        row = [user.email, user.full_name, world.premises.ods_code, "Dispenser", flag, "", ""]
        run = staff_upload(world.head_office, world.premises.organisation, [row])
        assert (run.add_count, run.change_count, run.error_count) == (0, 1, 0)
        with django_capture_on_commit_callbacks(execute=True):
            services.import_confirm(actor=world.head_office, run=run)
        return ImportRow.objects.get(run=run).changes

    assert world.staff.memberships.get().is_manager is False
    assert import_manager_flag(world.staff, "yes") == {"is_manager": ["no", "yes"]}
    assert world.staff.memberships.get().is_manager is True
    assert import_manager_flag(world.staff, "no") == {"is_manager": ["yes", "no"]}
    assert world.staff.memberships.get().is_manager is False


def test_invitation_from_an_import_can_be_accepted(
    world, client, django_capture_on_commit_callbacks
):
    run = staff_upload(world.head_office, world.premises.organisation, staff_rows(world, 1))
    with django_capture_on_commit_callbacks(execute=True):
        services.import_confirm(actor=world.head_office, run=run)
    (message,) = [m for m in mail.outbox if m.subject.startswith("Join")]
    path = re.search(r"/invitations/\S+", message.body).group(0)
    response = client.post(
        path,
        {
            "full_name": "New Person 0",
            "password1": "a-long-pass-9876",
            "password2": "a-long-pass-9876",
        },
    )
    assert response.status_code == 302
    assert Membership.objects.filter(user__email="new0@example.test").exists()


def test_importing_the_same_file_twice_changes_nothing(world, django_capture_on_commit_callbacks):
    rows = [
        *staff_rows(world, 2),
        [
            world.staff.email,
            world.staff.full_name,
            world.premises.ods_code,
            "Technician",
            "",
            "",
            "",
        ],
        [
            world.manager.email,
            "Mia Manager",
            world.second_premises.ods_code,
            "Pharmacist",
            "yes",
            "2025-01-06",
            "",
        ],
    ]
    with django_capture_on_commit_callbacks(execute=True):
        services.import_confirm(
            actor=world.head_office,
            run=staff_upload(world.head_office, world.premises.organisation, rows),
        )
    before = (
        Membership.objects.count(),
        Invitation.objects.count(),
        AuditEvent.objects.exclude(action__startswith="import.").count(),
        len(mail.outbox),
    )
    again = staff_upload(world.head_office, world.premises.organisation, rows)
    assert (again.add_count, again.change_count, again.unchanged_count) == (0, 0, 4)
    with django_capture_on_commit_callbacks(execute=True):
        again = services.import_confirm(actor=world.head_office, run=again)
    assert again.status == Status.APPLIED
    after = (
        Membership.objects.count(),
        Invitation.objects.count(),
        AuditEvent.objects.exclude(action__startswith="import.").count(),
        len(mail.outbox),
    )
    assert after == before


def test_one_bad_row_blocks_the_whole_file(world):
    rows = [*staff_rows(world, 3)]
    rows[1][2] = "XX1"
    run = staff_upload(world.head_office, world.premises.organisation, rows)
    assert run.status == Status.BLOCKED
    assert errors_of(run) == [
        (
            3,
            "Premises ODS code",
            "Enter a pharmacy ODS code: 5 characters starting with F, like FA123",
        )
    ]
    with pytest.raises(ValidationError):
        services.import_confirm(actor=world.head_office, run=run)
    assert not Invitation.objects.filter(email__startswith="new").exists()


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        (
            ["bad-email", "A B", "{ods}", "Dispenser", "", "", ""],
            "Email address",
            "Enter an email address",
        ),
        (
            ["a@example.test", "", "{ods}", "Dispenser", "", "", ""],
            "Full name",
            "Enter the person's full name",
        ),
        (
            ["a@example.test", "A B", "FZZZZ", "Dispenser", "", "", ""],
            "Premises ODS code",
            "has no premises with ODS code FZZZZ",
        ),
        (
            ["a@example.test", "A B", "{other}", "Dispenser", "", "", ""],
            "Premises ODS code",
            "is a premises of another organisation",
        ),
        (
            ["a@example.test", "A B", "{ods}", "Wizard", "", "", ""],
            "Job role",
            "'Wizard' is not a job role",
        ),
        (
            ["a@example.test", "A B", "{ods}", "Dispenser", "maybe", "", ""],
            "Premises manager",
            "is not yes or no",
        ),
        (
            ["a@example.test", "A B", "{ods}", "Dispenser", "", "31/02/2026", ""],
            "Start date",
            "Enter a real date",
        ),
        (
            ["a@example.test", "A B", "{ods}", "Dispenser", "", "2026-03-10", "2026-03-01"],
            "End date",
            "The end date is before the start date",
        ),
        (
            ["a@example.test", '=HYPERLINK("x")', "{ods}", "Dispenser", "", "", ""],
            "Full name",
            "Remove the = from the start",
        ),
        (
            ["a@example.test", "@SUM(1)", "{ods}", "Dispenser", "", "", ""],
            "Full name",
            "Remove the @ from the start",
        ),
        (
            ["a@example.test", "'-2+3", "{ods}", "Dispenser", "", "", ""],
            "Full name",
            "Remove the - from the start",
        ),
    ],
)
def test_staff_row_errors_name_row_and_column(world, row, column, message):
    row = [
        cell.format(ods=world.premises.ods_code, other=world.other_premises.ods_code)
        for cell in row
    ]
    run = staff_upload(
        world.head_office, world.premises.organisation, [staff_rows(world, 1)[0], row]
    )
    ((number, got_column, got_message),) = errors_of(run)
    assert (number, got_column) == (3, column)
    assert message in got_message
    assert run.status == Status.BLOCKED


def test_duplicate_person_in_the_file(world):
    rows = staff_rows(world, 1) * 2
    run = staff_upload(world.head_office, world.premises.organisation, rows)
    assert errors_of(run) == [
        (3, "Email address", "This person is already listed for this premises on row 2")
    ]


def test_end_date_before_existing_start(world):
    start = world.staff.memberships.get().start_date
    before = (start - datetime.timedelta(days=3)).isoformat()
    row = [world.staff.email, "Sam Staff", world.premises.ods_code, "Dispenser", "", "", before]
    run = staff_upload(world.head_office, world.premises.organisation, [row])
    assert "The end date is before the start date" in errors_of(run)[0][2]


def test_a_leaver_row_ends_the_membership(world, django_capture_on_commit_callbacks):
    end = datetime.date.today().isoformat()
    row = [world.staff.email, "Sam Staff", world.premises.ods_code, "Dispenser", "no", "", end]
    run = staff_upload(world.head_office, world.premises.organisation, [row])
    assert run.change_count == 1
    with django_capture_on_commit_callbacks(execute=True):
        services.import_confirm(actor=world.head_office, run=run)
    assert world.staff.memberships.get().end_date == datetime.date.today()
    assert AuditEvent.objects.filter(action="membership.ended").exists()


def test_apply_refuses_a_file_the_database_no_longer_fits(world):
    run = staff_upload(world.head_office, world.premises.organisation, staff_rows(world, 2))
    # The premises' ODS code is corrected elsewhere between preview and confirm.
    Premises.objects.filter(pk=world.premises.pk).update(ods_code="FQQQQ")
    run = services.import_confirm(actor=world.head_office, run=run)
    assert run.status == Status.BLOCKED
    assert not Invitation.objects.filter(email__startswith="new").exists()
    assert run.error_count == 2


def test_only_head_office_and_portal_admins_may_import(world):
    with pytest.raises(PermissionDenied):
        staff_upload(world.manager, world.premises.organisation, staff_rows(world))
    with pytest.raises(PermissionDenied):
        staff_upload(world.other_head_office, world.premises.organisation, staff_rows(world))
    assert staff_upload(world.portal_admin, world.premises.organisation, staff_rows(world))


# --- Full staff lists: people missing from the file ----------------------------------------


def test_full_list_offers_to_end_missing_memberships_separately(
    world, django_capture_on_commit_callbacks
):
    rows = [
        [world.manager.email, "Mia Manager", world.premises.ods_code, "Pharmacist", "yes", "", ""]
    ]
    run = staff_upload(
        world.head_office, world.premises.organisation, rows, is_full_staff_list=True
    )
    assert [m.user for m in selectors.missing_memberships(run)] == [world.staff]
    with django_capture_on_commit_callbacks(execute=True):
        run = services.import_confirm(actor=world.head_office, run=run)
    # Importing does not end anyone's membership.
    assert world.staff.memberships.get().end_date is None
    end = datetime.date.today()
    services.import_end_missing(actor=world.head_office, run=run, end_date=end)
    assert world.staff.memberships.get().end_date == end
    assert world.manager.memberships.get().end_date is None
    assert AuditEvent.objects.filter(action="import.memberships_ended").exists()
    with pytest.raises(ValidationError):
        services.import_end_missing(actor=world.head_office, run=run, end_date=end)


def test_end_missing_view_validates_the_date(world, client_for, django_capture_on_commit_callbacks):
    rows = [
        [world.manager.email, "Mia Manager", world.premises.ods_code, "Pharmacist", "yes", "", ""]
    ]
    run = staff_upload(
        world.head_office, world.premises.organisation, rows, is_full_staff_list=True
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.import_confirm(actor=world.head_office, run=run)
    client = client_for("head_office")
    url = reverse("import_end_missing", args=[run.pk])
    response = client.get(url)
    assert world.staff.full_name in response.content.decode()
    for bad in (
        {"end_date_day": "31", "end_date_month": "2", "end_date_year": "2026"},
        {},
        {"end_date_day": "x"},
    ):
        response = client.post(url, bad)
        assert response.status_code == 200
        assert "nhsuk-error-message" in response.content.decode()
    too_early = world.staff.memberships.get().start_date - datetime.timedelta(days=1)
    response = client.post(
        url,
        {
            "end_date_day": too_early.day,
            "end_date_month": too_early.month,
            "end_date_year": too_early.year,
        },
    )
    assert "started after that date" in response.content.decode()
    assert world.staff.memberships.get().end_date is None


# --- Premises and NHSmail files ------------------------------------------------------------

PREMISES_HEADER = [
    "ODS code",
    "Premises name",
    "Address line 1",
    "Address line 2",
    "Town or city",
    "Postcode",
    "ICB area",
]


def test_premises_import_adds_and_changes(world, django_capture_on_commit_callbacks):
    RegionFactory(name="West Yorkshire ICB")
    rows = [
        ["fq001", "New Pharmacy", "2 Low Road", "", "Leeds", "ls14ap", "west yorkshire icb"],
        [
            world.premises.ods_code,
            "Calder Pharmacy Renamed",
            "1 High Street",
            "",
            "Leeds",
            "LS1 4AP",
            "West Yorkshire ICB",
        ],
        [
            world.second_premises.ods_code,
            world.second_premises.name,
            "1 High Street",
            "",
            "Leeds",
            "LS1 4AP",
            "West Yorkshire ICB",
        ],
    ]
    run = upload(
        world.head_office,
        world.premises.organisation,
        "premises",
        csv_file(PREMISES_HEADER, rows, "premises.csv"),
    )
    assert (run.add_count, run.change_count, run.unchanged_count) == (1, 1, 1)
    with django_capture_on_commit_callbacks(execute=True):
        services.import_confirm(actor=world.head_office, run=run)
    assert Premises.objects.get(ods_code="FQ001").postcode == "LS1 4AP"
    world.premises.refresh_from_db()
    assert world.premises.name == "Calder Pharmacy Renamed"
    assert AuditEvent.objects.filter(action="premises.created").exists()


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        (
            ["F12", "P", "1 Road", "", "Leeds", "LS1 4AP", "West Yorkshire ICB"],
            "ODS code",
            "Enter a pharmacy ODS code",
        ),
        (
            ["FFFFF", "P", "1 Road", "", "Leeds", "LS1 4AP", "West Yorkshire ICB"],
            "ODS code",
            "national locum code",
        ),
        (
            ["FQ002", "P", "1 Road", "", "Leeds", "NOT A CODE", "West Yorkshire ICB"],
            "Postcode",
            "Enter a real UK postcode",
        ),
        (
            ["FQ002", "P", "1 Road", "", "Leeds", "LS1 4AP", "Atlantis ICB"],
            "ICB area",
            "is not an ICB area",
        ),
        (
            ["FQ002", "", "1 Road", "", "Leeds", "LS1 4AP", "West Yorkshire ICB"],
            "Premises name",
            "Enter the premises name",
        ),
        (
            ["FQ002", "+Pharmacy", "1 Road", "", "Leeds", "LS1 4AP", "West Yorkshire ICB"],
            "Premises name",
            "Remove the +",
        ),
    ],
)
def test_premises_row_errors(world, row, column, message):
    RegionFactory(name="West Yorkshire ICB")
    run = upload(
        world.head_office,
        world.premises.organisation,
        "premises",
        csv_file(PREMISES_HEADER, [row], "p.csv"),
    )
    ((number, got_column, got_message),) = errors_of(run)
    assert (number, got_column) == (2, column)
    assert message in got_message


def test_another_organisations_premises_cannot_be_changed(world):
    RegionFactory(name="West Yorkshire ICB")
    row = [
        world.other_premises.ods_code,
        "Mine now",
        "1 Road",
        "",
        "Leeds",
        "LS1 4AP",
        "West Yorkshire ICB",
    ]
    run = upload(
        world.head_office,
        world.premises.organisation,
        "premises",
        csv_file(PREMISES_HEADER, [row], "p.csv"),
    )
    assert "another organisation" in errors_of(run)[0][2]
    assert world.other_premises.name not in errors_of(run)[0][2]


NHSMAIL_HEADER = ["Email address", "NHSmail address", "Status", "Shared mailbox"]


def test_nhsmail_import_records_accounts_and_links(world, django_capture_on_commit_callbacks):
    SharedMailbox.objects.create(premises=world.premises, address="pharmacy.calder@nhs.net")
    rows = [
        [world.staff.email, "sam.staff@nhs.net", "Live", "pharmacy.calder@nhs.net"],
        [world.manager.email, "mia.manager@nhs.net", "", ""],
    ]
    run = upload(
        world.head_office,
        world.premises.organisation,
        "nhsmail",
        csv_file(NHSMAIL_HEADER, rows, "n.csv"),
    )
    assert (run.add_count, run.error_count) == (2, 0)
    with django_capture_on_commit_callbacks(execute=True):
        services.import_confirm(actor=world.head_office, run=run)
    assert PersonalAccount.objects.get(user=world.staff).address == "sam.staff@nhs.net"
    assert MailboxLink.objects.current().filter(account__user=world.staff).exists()
    again = upload(
        world.head_office,
        world.premises.organisation,
        "nhsmail",
        csv_file(NHSMAIL_HEADER, rows, "n.csv"),
    )
    assert (again.add_count, again.change_count, again.unchanged_count) == (0, 0, 2)


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        (["{staff}", "sam@gmail.com", "", ""], "NHSmail address", "ending in @nhs.net"),
        (["{staff}", "sam..x@nhs.net", "", ""], "NHSmail address", "only letters, numbers"),
        (["{staff}", "sam@nhs.net", "Asleep", ""], "Status", "is not a NHSmail account status"),
        (
            ["nobody@example.test", "nobody@nhs.net", "", ""],
            "Email address",
            "No one with this email works",
        ),
        (
            ["{staff}", "sam@nhs.net", "", "pharmacy.nowhere@nhs.net"],
            "Shared mailbox",
            "has the shared mailbox",
        ),
    ],
)
def test_nhsmail_row_errors(world, row, column, message):
    row = [cell.format(staff=world.staff.email) for cell in row]
    run = upload(
        world.head_office,
        world.premises.organisation,
        "nhsmail",
        csv_file(NHSMAIL_HEADER, [row], "n.csv"),
    )
    ((number, got_column, got_message),) = errors_of(run)
    assert (number, got_column) == (2, column)
    assert message in got_message


@pytest.mark.parametrize(
    "address", ["Pharmacy.FAH23@nhs.net", "nhspharmacy.leeds.boots.fa123@nhs.net"]
)
def test_nhsmail_import_refuses_a_shared_mailbox_shaped_address(world, address):
    rows = [
        [world.staff.email, address, "Live", ""],
        [world.manager.email, "mia.manager@nhs.net", "", ""],
    ]
    run = upload(
        world.head_office,
        world.premises.organisation,
        "nhsmail",
        csv_file(NHSMAIL_HEADER, rows, "n.csv"),
    )
    assert errors_of(run) == [
        (
            2,
            "NHSmail address",
            f"{address.lower()} is a shared mailbox address. Enter the person's own NHSmail "
            "address, like firstname.lastname@nhs.net",
        )
    ]
    with pytest.raises(ValidationError):
        services.import_confirm(actor=world.head_office, run=run)
    assert not PersonalAccount.objects.exists()


def test_nhsmail_import_refuses_an_address_stored_as_a_shared_mailbox(world):
    # A mailbox not named by the convention, and one of another organisation's premises.
    SharedMailbox.objects.create(premises=world.premises, address="calder.team@nhs.net")
    SharedMailbox.objects.create(premises=world.other_premises, address="elsewhere.team@nhs.net")
    rows = [
        [world.staff.email, "calder.team@nhs.net", "Live", "calder.team@nhs.net"],
        [world.manager.email, "elsewhere.team@nhs.net", "", ""],
    ]
    run = upload(
        world.head_office,
        world.premises.organisation,
        "nhsmail",
        csv_file(NHSMAIL_HEADER, rows, "n.csv"),
    )
    assert errors_of(run) == [
        (
            2,
            "NHSmail address",
            "calder.team@nhs.net is a shared mailbox address. Enter the person's own NHSmail "
            "address, like firstname.lastname@nhs.net",
        ),
        (
            3,
            "NHSmail address",
            "elsewhere.team@nhs.net is a shared mailbox address. Enter the person's own "
            "NHSmail address, like firstname.lastname@nhs.net",
        ),
    ]
    assert not PersonalAccount.objects.exists()
    assert not MailboxLink.objects.exists()


def test_duplicate_email_in_an_nhsmail_file(world):
    rows = [[world.staff.email, "sam@nhs.net", "", ""], [world.staff.email, "sam2@nhs.net", "", ""]]
    run = upload(
        world.head_office,
        world.premises.organisation,
        "nhsmail",
        csv_file(NHSMAIL_HEADER, rows, "n.csv"),
    )
    assert errors_of(run) == [
        (
            3,
            "Shared mailbox",
            "This person and shared mailbox are already on row 2: give each link once",
        )
    ]


# --- Whole-file problems, through the upload page ------------------------------------------


def post_file(client, world, upload_file, kind="staff"):
    url = reverse("import_home", args=[world.premises.organisation_id])
    return client.post(url, {"kind": kind, "file": upload_file})


@pytest.mark.parametrize(
    ("upload_file", "message"),
    [
        (SimpleUploadedFile("staff.pdf", b"%PDF-1.4"), "must be a CSV file"),
        (SimpleUploadedFile("staff.csv", b""), "The file is empty"),
        (SimpleUploadedFile("staff.csv", b"\n\n"), "The file is empty"),
        (
            SimpleUploadedFile("staff.csv", b"Email address,Colour\nx@y.z,red\n"),
            "columns the portal does not know: Colour",
        ),
        (
            SimpleUploadedFile("staff.csv", b"Email address,Full name\nx@y.z,X\n"),
            "no column for: Premises ODS code, Job role",
        ),
        (
            SimpleUploadedFile("staff.csv", csv_bytes(STAFF_HEADER, [])),
            "column headings but no rows",
        ),
        (
            SimpleUploadedFile("staff.xlsx", b"Email address,Full name\n"),
            "is not an Excel workbook",
        ),
        (SimpleUploadedFile("staff.xlsx", b"PK\x03\x04broken"), "cannot be opened"),
        (SimpleUploadedFile("staff.csv", b"PK\x03\x04broken"), "is an Excel workbook"),
        (
            SimpleUploadedFile("staff.csv", b"Email address,Full name\x00\n"),
            "holds data that is not text",
        ),
    ],
)
def test_unreadable_files_get_a_message_and_save_nothing(world, client_for, upload_file, message):
    response = post_file(client_for("head_office"), world, upload_file)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ImportRun.objects.exists()
    assert not ImportRow.objects.exists()


def test_a_file_whose_encoding_cannot_be_told_is_refused(world, client_for):
    upload_file = SimpleUploadedFile("staff.csv", bytes(range(128, 256)) * 40)
    response = post_file(client_for("head_office"), world, upload_file)
    assert "cannot read this file as text" in response.content.decode()
    assert not ImportRun.objects.exists()


def test_utf16_and_byte_order_marks_are_read(world):
    rows = [["zoe@example.test", "Zoë Brontë", world.premises.ods_code, "Dispenser", "", "", ""]]
    for encoding in ("utf-16", "utf-8-sig"):
        run = upload(
            world.head_office,
            world.premises.organisation,
            "staff",
            csv_file(STAFF_HEADER, rows, encoding=encoding),
        )
        assert run.status == Status.READY, errors_of(run)


def test_a_file_over_the_size_limit_is_refused(world, client_for, settings):
    settings.IMPORT_MAX_UPLOAD_BYTES = 1024
    upload_file = csv_file(STAFF_HEADER, staff_rows(world, 40))
    response = post_file(client_for("head_office"), world, upload_file)
    assert "The largest file the portal takes is" in response.content.decode()
    assert not ImportRun.objects.exists()


def test_too_many_rows_are_refused(world, settings):
    settings.IMPORT_MAX_ROWS = 2
    with pytest.raises(ValidationError, match="more than 2 rows"):
        staff_upload(world.head_office, world.premises.organisation, staff_rows(world, 3))
    assert not ImportRun.objects.exists()


def test_upload_form_needs_a_kind_and_a_file(world, client_for):
    url = reverse("import_home", args=[world.premises.organisation_id])
    response = client_for("head_office").post(url, {})
    content = response.content.decode()
    assert "Choose what the file lists" in content
    assert "Choose a file to upload" in content


def test_xlsx_files_with_dates_and_formulas(world):
    rows = [
        [
            "x1@example.test",
            "Xlsx One",
            world.premises.ods_code,
            "Dispenser",
            True,
            datetime.date(2025, 1, 6),
            None,
        ],
        ["x2@example.test", "=1+1", world.premises.ods_code, "Dispenser", False, None, None],
    ]
    run = upload(
        world.head_office, world.premises.organisation, "staff", xlsx_file(STAFF_HEADER, rows)
    )
    assert errors_of(run) == [
        (3, "Full name", errors_of(run)[0][2]),
    ]
    assert "Remove the =" in errors_of(run)[0][2]
    first = ImportRow.objects.get(run=run, number=2)
    assert first.data["start_date"] == "2025-01-06"
    assert first.data["is_manager"] == "yes"


def test_template_has_the_columns_and_a_skipped_hints_row(world, client_for):
    response = client_for("head_office").get(
        reverse("import_template", args=[world.premises.organisation_id, "staff"])
    )
    content = b"".join(response.streaming_content)
    run = upload(
        world.head_office,
        world.premises.organisation,
        "staff",
        SimpleUploadedFile(
            "template.csv",
            content
            + b"t@example.test,T Person,"
            + world.premises.ods_code.encode()
            + b",Dispenser,,,\n",
        ),
    )
    assert run.total_rows == 1
    assert run.status == Status.READY
    unknown = client_for("head_office").get(
        reverse("import_template", args=[world.premises.organisation_id, "wizards"])
    )
    assert unknown.status_code == 404


def test_excel_template_opens_in_excel_and_uploads_once_filled_in(world, client_for):
    response = client_for("head_office").get(
        reverse("import_template", args=[world.premises.organisation_id, "staff"]),
        {"format": "xlsx"},
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = load_workbook(io.BytesIO(response.content))
    sheet = workbook.active
    header, hints = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert header[:3] == ["Email address", "Full name", "Premises ODS code"]
    assert hints[0].startswith("#")
    sheet.append(["x@example.test", "X Person", world.premises.ods_code, "Dispenser"])
    filled = io.BytesIO()
    workbook.save(filled)
    run = upload(
        world.head_office,
        world.premises.organisation,
        "staff",
        SimpleUploadedFile("template.xlsx", filled.getvalue()),
    )
    assert (run.total_rows, run.status) == (1, Status.READY)


# --- Pages ---------------------------------------------------------------------------------


def test_preview_page_lists_errors_with_row_and_column(world, client_for):
    rows = staff_rows(world, 2)
    rows[0][3] = "Wizard"
    run = staff_upload(world.head_office, world.premises.organisation, rows)
    content = client_for("head_office").get(reverse("import_run", args=[run.pk])).content.decode()
    assert "Nothing can be imported from this file yet" in content
    assert "Job role" in content and "&#x27;Wizard&#x27; is not a job role" in content


def test_confirm_through_the_pages(world, client_for, django_capture_on_commit_callbacks):
    client = client_for("head_office")
    with django_capture_on_commit_callbacks(execute=True):
        response = post_file(client, world, csv_file(STAFF_HEADER, staff_rows(world, 2)))
    run = ImportRun.objects.get()
    assert response.url == reverse("import_run", args=[run.pk])
    page = client.get(response.url).content.decode()
    assert "Nothing has been saved yet" in page
    assert "new0@example.test" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("import_confirm", args=[run.pk]), follow=True)
    assert "2 added, 0 changed, 0 unchanged" in response.content.decode()
    response = client.post(reverse("import_confirm", args=[run.pk]), follow=True)
    assert "already been imported" in response.content.decode()


def test_discard(world, client_for):
    run = staff_upload(world.head_office, world.premises.organisation, staff_rows(world, 2))
    response = client_for("head_office").post(reverse("import_discard", args=[run.pk]))
    assert response.status_code == 302
    run.refresh_from_db()
    assert run.status == Status.DISCARDED
    assert not run.rows.exists()
    response = client_for("head_office").post(reverse("import_confirm", args=[run.pk]), follow=True)
    assert "cannot be imported now" in response.content.decode()


def test_runs_of_another_organisation_are_404(world, client_for):
    run = staff_upload(world.head_office, world.premises.organisation, staff_rows(world, 1))
    client = sign_in(Client(), world.other_head_office)
    assert client.get(reverse("import_run", args=[run.pk])).status_code == 404


def test_rows_csv_is_neutralised(world, client_for):
    rows = staff_rows(world, 1)
    rows[0][1] = "-Mallory"
    run = staff_upload(world.head_office, world.premises.organisation, rows)
    response = client_for("head_office").get(reverse("import_rows_csv", args=[run.pk]))
    content = b"".join(response.streaming_content).decode()
    assert "Full name: Remove the -" in content


def test_import_list_runs_a_fixed_number_of_queries(world, client_for, django_assert_num_queries):
    client = client_for("head_office")
    url = reverse("import_home", args=[world.premises.organisation_id])
    staff_upload(world.head_office, world.premises.organisation, staff_rows(world, 1))
    client.get(url)
    with django_assert_num_queries(7) as first:
        client.get(url)
    for _ in range(5):
        staff_upload(world.head_office, world.premises.organisation, staff_rows(world, 1))
    with django_assert_num_queries(len(first.captured_queries)):
        client.get(url)


# --- Background imports --------------------------------------------------------------------


def test_big_files_are_checked_and_applied_by_tasks(
    world, settings, client_for, django_capture_on_commit_callbacks, monkeypatch
):
    from outbox import services as outbox_services

    settings.IMPORT_INLINE_MAX_ROWS = 1
    client = client_for("head_office")
    # The check is queued in the outbox; held there until the page has been seen.
    publish, held = outbox_services._publish_now, []
    monkeypatch.setattr(outbox_services, "_publish_now", held.append)
    run = staff_upload(world.head_office, world.premises.organisation, staff_rows(world, 3))
    monkeypatch.setattr(outbox_services, "_publish_now", publish)
    assert run.status == Status.CHECKING
    page = client.get(reverse("import_run", args=[run.pk])).content.decode()
    assert 'hx-trigger="every 2s"' in page
    assert "<progress" in page
    assert len(held) == 1
    for message_id in held:
        publish(message_id)
    run.refresh_from_db()
    assert run.status == Status.READY
    progress = client.get(reverse("import_progress", args=[run.pk]))
    assert progress["HX-Refresh"] == "true"
    with django_capture_on_commit_callbacks(execute=True):
        services.import_confirm(actor=world.head_office, run=run)
    run.refresh_from_db()
    assert run.status == Status.APPLIED
    assert Invitation.objects.filter(email__startswith="new").count() == 3


@pytest.mark.parametrize("task", ["check_import", "apply_import", "import_follow_up"])
def test_each_task_the_services_queue_by_name_is_registered(task):
    from imports import tasks
    from pharmacy_portal.celery import app

    assert app.tasks[f"imports.tasks.{task}"].name == getattr(tasks, task).name


def test_tasks_can_run_twice(world, django_capture_on_commit_callbacks):
    from imports import tasks

    run = staff_upload(world.head_office, world.premises.organisation, staff_rows(world, 2))
    tasks.check_import(run.pk)
    with django_capture_on_commit_callbacks(execute=True):
        services.import_confirm(actor=world.head_office, run=run)
    sent = len(mail.outbox)
    tasks.apply_import(run.pk)
    tasks.import_follow_up(run.pk)
    assert len(mail.outbox) == sent
    assert Invitation.objects.filter(email__startswith="new").count() == 2


def test_a_real_worker_imports_a_file(real_celery_worker, settings):
    settings.IMPORT_INLINE_MAX_ROWS = 1
    premises = PremisesFactory()
    admin = UserFactory(is_portal_admin=True)
    MembershipFactory(premises=premises)
    rows = [
        [f"w{i}@example.test", f"W {i}", premises.ods_code, "Dispenser", "", "", ""]
        for i in range(3)
    ]
    run = staff_upload(admin, premises.organisation, rows)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if run.status != Status.CHECKING:
            break
        time.sleep(0.2)
    assert run.status == Status.READY
    services.import_confirm(actor=admin, run=run)
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if run.status == Status.APPLIED and mail.outbox:
            break
        time.sleep(0.2)
    assert run.status == Status.APPLIED
    assert Invitation.objects.filter(email__startswith="w").count() == 3
