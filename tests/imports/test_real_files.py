"""Files as head offices and the LPC team bring them: each through the upload, the preview
and the apply, with what was stored asserted."""

import datetime
import io
import re
from unittest import mock

import pytest
import time_machine
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import services as account_services
from accounts.models import AuditEvent, Invitation, Membership, Premises, Region
from imports import kinds, services
from imports.models import ImportRow, ImportRun
from nhsmail.models import MailboxLink, PersonalAccount, SharedMailbox
from tests.factories import MembershipFactory, UserFactory
from tests.imports.helpers import STAFF_HEADER, csv_bytes, csv_file, staff_upload, upload

pytestmark = pytest.mark.django_db
Status = ImportRun.Status
NHSMAIL_HEADER = ["Email address", "NHSmail address", "Status", "Shared mailbox"]
PREMISES_HEADER = [
    "ODS code",
    "Premises name",
    "Address line 1",
    "Address line 2",
    "Town or city",
    "Postcode",
    "ICB area",
]


def errors_of(run):
    return [
        (row.number, error["column"], error["message"])
        for row in ImportRow.objects.filter(run=run, action="error").order_by("number")
        for error in row.errors
    ]


def apply(run, world, capture):
    with capture(execute=True):
        return services.import_confirm(actor=world.head_office, run=run)


def file_of(name, data):
    return SimpleUploadedFile(name, data)


# --- Keep every value ----------------------------------------------------------------------


def test_a_locum_invited_with_dates_keeps_them_when_accepting(
    world, client, django_capture_on_commit_callbacks
):
    ods = world.premises.ods_code
    row = ["locum@example.test", "Lou Locum", ods, "Pharmacist", "", "07/12/2026", "31/12/2026"]
    run = staff_upload(world.head_office, world.premises.organisation, [row])
    added = ImportRow.objects.get(run=run, action="add")
    assert added.changes["start_date"] == ["", "7 December 2026"]
    assert added.changes["end_date"] == ["", "31 December 2026"]
    assert added.changes["full_name"] == ["", "Lou Locum"]

    apply(run, world, django_capture_on_commit_callbacks)
    invitation = Invitation.objects.get(email="locum@example.test")
    assert (invitation.start_date, invitation.end_date) == (
        datetime.date(2026, 12, 7),
        datetime.date(2026, 12, 31),
    )
    event = AuditEvent.objects.get(action="invitation.created", object_id=str(invitation.pk))
    assert event.changes == {
        "email": "locum@example.test",
        "job_role": "pharmacist",
        "is_manager": False,
        "start_date": "2026-12-07",
        "end_date": "2026-12-31",
        "import_run": run.pk,
    }
    assert (event.actor, event.actor_label, event.premises, event.organisation_id) == (
        world.head_office,
        str(world.head_office),
        world.premises,
        world.premises.organisation_id,
    )
    assert event.object_type == "accounts.Invitation"
    assert event.object_repr == str(invitation)
    assert ImportRow.objects.get(run=run).invitation_id == invitation.pk
    (message,) = [m for m in mail.outbox if m.subject.startswith("Join")]
    path = re.search(r"/invitations/\S+", message.body).group(0)
    response = client.post(
        path,
        {
            "full_name": "Lou Locum",
            "password1": "a-long-pass-9876",
            "password2": "a-long-pass-9876",
        },
    )
    assert response.status_code == 302
    membership = Membership.objects.get(user__email="locum@example.test")
    assert (membership.start_date, membership.end_date) == (
        datetime.date(2026, 12, 7),
        datetime.date(2026, 12, 31),
    )


def test_changing_only_the_dates_of_a_pending_invitation_invites_again(
    world, django_capture_on_commit_callbacks
):
    ods = world.premises.ods_code
    row = ["locum@example.test", "Lou Locum", ods, "Pharmacist", "", "07/12/2026", ""]
    apply(
        staff_upload(world.head_office, world.premises.organisation, [row]),
        world,
        django_capture_on_commit_callbacks,
    )
    row[6] = "31/12/2026"
    run = staff_upload(world.head_office, world.premises.organisation, [row])
    assert run.change_count == 1
    apply(run, world, django_capture_on_commit_callbacks)
    live = Invitation.objects.get(email="locum@example.test", revoked_at__isnull=True)
    assert live.end_date == datetime.date(2026, 12, 31)


def test_apply_uses_the_values_stored_at_check_without_checking_cells_again(
    world, django_capture_on_commit_callbacks
):
    rows = [
        [f"new{i}@example.test", f"New {i}", world.premises.ods_code, "Dispenser", "", "", ""]
        for i in range(3)
    ]
    run = staff_upload(world.head_office, world.premises.organisation, rows)
    stored = ImportRow.objects.filter(run=run)
    assert stored.count() == 3
    assert all(row.cleaned for row in stored)
    with mock.patch.object(kinds.StaffKind, "check_cells", side_effect=AssertionError):
        run = apply(run, world, django_capture_on_commit_callbacks)
    assert run.status == Status.APPLIED
    assert Invitation.objects.filter(email__startswith="new").count() == 3


# --- NHSmail: one row per link -------------------------------------------------------------


def test_one_account_linked_to_the_shared_mailboxes_of_two_premises(
    world, django_capture_on_commit_callbacks
):
    MembershipFactory(premises=world.second_premises, user=world.staff)
    SharedMailbox.objects.create(premises=world.premises, address="pharmacy.calder@nhs.net")
    SharedMailbox.objects.create(premises=world.second_premises, address="pharmacy.aire@nhs.net")
    rows = [
        [world.staff.email, "sam.staff@nhs.net", "Live", "pharmacy.calder@nhs.net"],
        [world.staff.email, "sam.staff@nhs.net", "Live", "pharmacy.aire@nhs.net"],
    ]
    run = upload(
        world.head_office, world.premises.organisation, "nhsmail", csv_file(NHSMAIL_HEADER, rows)
    )
    assert (run.status, run.error_count, run.add_count + run.change_count) == (
        Status.READY,
        0,
        2,
    )
    apply(run, world, django_capture_on_commit_callbacks)
    account = PersonalAccount.objects.get(user=world.staff)
    assert account.address == "sam.staff@nhs.net"
    linked = set(
        MailboxLink.objects.current()
        .filter(account=account)
        .values_list("mailbox__address", flat=True)
    )
    assert linked == {"pharmacy.calder@nhs.net", "pharmacy.aire@nhs.net"}


def test_the_same_link_twice_is_a_duplicate_and_two_addresses_for_one_person_refused(world):
    SharedMailbox.objects.create(premises=world.premises, address="pharmacy.calder@nhs.net")
    SharedMailbox.objects.create(premises=world.second_premises, address="pharmacy.aire@nhs.net")
    MembershipFactory(premises=world.second_premises, user=world.staff)
    rows = [
        [world.staff.email, "sam.staff@nhs.net", "", "pharmacy.calder@nhs.net"],
        [world.staff.email, "sam.staff@nhs.net", "", "pharmacy.calder@nhs.net"],
        [world.staff.email, "sam.other@nhs.net", "", "pharmacy.aire@nhs.net"],
    ]
    run = upload(
        world.head_office, world.premises.organisation, "nhsmail", csv_file(NHSMAIL_HEADER, rows)
    )
    errors = errors_of(run)
    assert errors[0] == (
        3,
        "Shared mailbox",
        "This person and shared mailbox are already on row 2: give each link once",
    )
    assert errors[1][:2] == (4, "NHSmail address")
    assert "Row 2 gives Sam Staff the NHSmail account sam.staff@nhs.net" in errors[1][2]


def test_a_legacy_shared_mailbox_alias_is_recognised_or_refused_with_the_current_address(
    world, django_capture_on_commit_callbacks
):
    code = world.premises.ods_code.lower()
    current = f"pharmacy.{code}@nhs.net"
    SharedMailbox.objects.create(premises=world.premises, address=current)
    rows = [
        [world.staff.email, "sam.staff@nhs.net", "", f"nhspharmacy.leeds.calder{code}@nhs.net"],
        [world.manager.email, "mia.manager@nhs.net", "", "nhspharmacy.leeds.calder@nhs.net"],
    ]
    run = upload(
        world.head_office, world.premises.organisation, "nhsmail", csv_file(NHSMAIL_HEADER, rows)
    )
    ((number, column, message),) = errors_of(run)
    assert (number, column) == (3, "Shared mailbox")
    assert "Enter the current address, pharmacy.<ODS code>@nhs.net" in message
    row = ImportRow.objects.get(run=run, number=2)
    assert row.changes["shared_mailbox"][1].startswith(current)

    rows.pop()
    run = upload(
        world.head_office, world.premises.organisation, "nhsmail", csv_file(NHSMAIL_HEADER, rows)
    )
    apply(run, world, django_capture_on_commit_callbacks)
    assert MailboxLink.objects.current().get(account__user=world.staff).mailbox.address == current


# --- Reading the files people have ---------------------------------------------------------


def _staff_text(world, separator, sep_line=False):
    lines = [separator.join(STAFF_HEADER)]
    lines.append(
        separator.join(
            [
                "semi@example.test",
                "Semi Colon",
                world.premises.ods_code,
                "Dispenser",
                "no",
                "03/04/2026",
                "",
            ]
        )
    )
    return ((f"sep={separator}\r\n" if sep_line else "") + "\r\n".join(lines) + "\r\n").encode()


@pytest.mark.parametrize(
    ("separator", "sep_line", "note"),
    [(";", False, "semicolons"), (";", True, "semicolons"), ("\t", False, "tabs")],
)
def test_the_separator_is_detected(
    world, django_capture_on_commit_callbacks, separator, sep_line, note
):
    data = _staff_text(world, separator, sep_line)
    run = upload(world.head_office, world.premises.organisation, "staff", file_of("s.csv", data))
    assert (run.status, run.add_count) == (Status.READY, 1)
    assert any(note in text for text in run.file_notes)
    apply(run, world, django_capture_on_commit_callbacks)
    invitation = Invitation.objects.get(email="semi@example.test")
    assert invitation.start_date == datetime.date(2026, 4, 3)


def test_a_file_with_no_heading_row_is_refused_saying_so(world, client_for):
    data = csv_bytes(
        ["a@example.test", "A Person", world.premises.ods_code, "Dispenser", "", "", ""],
        [["b@example.test", "B Person", world.premises.ods_code, "Dispenser", "", "", ""]],
    )
    response = client_for("head_office").post(
        reverse("import_home", args=[world.premises.organisation_id]),
        {"kind": "staff", "file": file_of("staff.csv", data)},
    )
    page = response.content.decode()
    assert "The first row of the file is not a row of column headings" in page
    assert "columns the portal does not know" not in page
    assert not ImportRun.objects.exists()


@pytest.mark.parametrize("encoding", ["cp1252", "latin-1"])
def test_windows_1252_and_latin_1_files_are_read_and_the_encoding_named(
    world, client_for, django_capture_on_commit_callbacks, encoding
):
    rows = [["zoe@example.test", "Zoë Brontë", world.premises.ods_code, "Dispenser", "", "", ""]]
    response = client_for("head_office").post(
        reverse("import_home", args=[world.premises.organisation_id]),
        {"kind": "staff", "file": csv_file(STAFF_HEADER, rows, encoding=encoding)},
    )
    assert response.status_code == 302
    run = ImportRun.objects.get()
    assert run.status == Status.READY
    assert any("not UTF-8" in note for note in run.file_notes)
    page = client_for("head_office").get(reverse("import_run", args=[run.pk])).content.decode()
    assert "How the file was read" in page
    assert "Zoë Brontë" in page
    apply(run, world, django_capture_on_commit_callbacks)
    assert Invitation.objects.get(email="zoe@example.test").full_name == "Zoë Brontë"


@pytest.mark.parametrize(
    "icb", ["QWO", "qwo", "NHS West Yorkshire Integrated Care Board", "west yorkshire icb"]
)
def test_icb_given_by_ods_code_official_or_portal_name(
    world, django_capture_on_commit_callbacks, icb
):
    region = Region.objects.get(name="West Yorkshire ICB")
    region.ods_code, region.official_name = "QWO", "NHS West Yorkshire Integrated Care Board"
    region.save()
    rows = [["FQ999", "Wharfe Pharmacy", "2 Bridge Street", "", "Otley", "LS21 1AA", icb]]
    run = upload(
        world.head_office,
        world.premises.organisation,
        "premises",
        csv_file(PREMISES_HEADER, rows, "p.csv"),
    )
    assert (run.status, run.add_count) == (Status.READY, 1)
    apply(run, world, django_capture_on_commit_callbacks)
    assert Premises.objects.get(ods_code="FQ999").region == region


def test_an_unknown_icb_names_the_ways_to_give_one(world):
    rows = [["FQ999", "Wharfe Pharmacy", "2 Bridge Street", "", "Otley", "LS21 1AA", "QZZ"]]
    run = upload(
        world.head_office,
        world.premises.organisation,
        "premises",
        csv_file(PREMISES_HEADER, rows, "p.csv"),
    )
    ((number, column, message),) = errors_of(run)
    assert (number, column) == (2, "ICB area")
    assert "'QZZ' is not an ICB area" in message and "ODS code (like QWO)" in message


@pytest.mark.parametrize("blank", ["-", "n/a", "None", "N/A"])
def test_a_word_for_none_in_an_optional_cell_is_blank(
    world, django_capture_on_commit_callbacks, blank
):
    ods = world.premises.ods_code
    rows = [["dash@example.test", "Dee Dash", ods, "Dispenser", blank, "", blank]]
    run = staff_upload(world.head_office, world.premises.organisation, rows)
    assert (run.status, run.add_count) == (Status.READY, 1)
    apply(run, world, django_capture_on_commit_callbacks)
    invitation = Invitation.objects.get(email="dash@example.test")
    assert (invitation.is_manager, invitation.end_date) == (False, None)


def test_a_lone_dash_in_a_required_cell_and_real_formulas_are_still_refused(world):
    ods = world.premises.ods_code
    rows = [
        ["a@example.test", "-", ods, "Dispenser", "", "", ""],
        ["b@example.test", "B Person", ods, "Dispenser", "-1+1", "", ""],
    ]
    run = staff_upload(world.head_office, world.premises.organisation, rows)
    errors = errors_of(run)
    assert [(number, column) for number, column, _ in errors] == [
        (2, "Full name"),
        (3, "Premises manager"),
    ]
    assert all("Remove the - from the start" in message for _, _, message in errors)


# --- Bad files -----------------------------------------------------------------------------


def _xlsx(sheets):
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets:
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_a_workbook_with_several_sheets_says_which_sheet_is_read(world):
    row = ["x@example.test", "X Person", world.premises.ods_code, "Dispenser", "", "", ""]
    data = _xlsx([("Staff", [STAFF_HEADER, row]), ("Leavers", [STAFF_HEADER]), ("Notes", [])])
    run = upload(world.head_office, world.premises.organisation, "staff", file_of("s.xlsx", data))
    assert run.status == Status.READY
    assert run.file_notes == [
        "The workbook has 3 sheets. The portal read only the first, 'Staff': put every row "
        "on that sheet."
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty"),
        (b"\r\n \r\n", "The file is empty"),
        (csv_bytes(STAFF_HEADER, []), "column headings but no rows of data"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "not text"),
        (bytes(range(128, 256)) * 40, "cannot read this file as text"),
    ],
)
def test_bad_files_are_refused_with_a_reason_and_nothing_saved(world, client_for, data, message):
    response = client_for("head_office").post(
        reverse("import_home", args=[world.premises.organisation_id]),
        {"kind": "staff", "file": file_of("staff.csv", data)},
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ImportRun.objects.exists()


def test_a_row_with_more_cells_than_headings(world):
    ods = world.premises.ods_code
    rows = [["a@example.test", "A Person", ods, "Dispenser", "", "", "", "stray", "note"]]
    run = staff_upload(world.head_office, world.premises.organisation, rows)
    ((number, column, message),) = errors_of(run)
    assert (number, column) == (2, "")
    assert message.startswith("This row has 2 more cells than the file has column headings")
    assert "the columns end at End date" in message


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("03/04/2026", datetime.date(2026, 4, 3)),
        ("2026-04-03", datetime.date(2026, 4, 3)),
        ("3 April 2026", datetime.date(2026, 4, 3)),
        ("2026/13/01", None),
    ],
)
def test_dates_are_read_in_uk_order_and_a_two_way_date_refused(
    world, django_capture_on_commit_callbacks, text, stored
):
    ods = world.premises.ods_code
    rows = [["d@example.test", "D Date", ods, "Dispenser", "", text, ""]]
    run = staff_upload(world.head_office, world.premises.organisation, rows)
    if stored is None:
        ((number, column, message),) = errors_of(run)
        assert (number, column) == (2, "Start date")
        assert "day/month/year, like 03/04/2026 for 3 April 2026" in message
        return
    apply(run, world, django_capture_on_commit_callbacks)
    assert Invitation.objects.get(email="d@example.test").start_date == stored


# --- The preview in the spreadsheet's words ------------------------------------------------


def test_preview_names_columns_as_the_template_does_and_past_tense_once_applied(
    world, client_for, django_capture_on_commit_callbacks
):
    rows = [
        ["new@example.test", "Nia New", world.premises.ods_code, "Dispenser", "yes", "", ""],
        [world.staff.email, "Sam Staff", world.premises.ods_code, "Pharmacist", "", "", ""],
    ]
    run = staff_upload(world.head_office, world.premises.organisation, rows)
    client = client_for("head_office")
    page = client.get(reverse("import_run", args=[run.pk])).content.decode()
    for heading in ("Email address", "Full name", "Premises ODS code", "Job role"):
        assert f'<td class="nhsuk-table__cell">{heading}</td>' in page
    assert "Premises manager" in page and "Nia New" in page
    for field_name in ("invite", "job_role", "is_manager", "full_name"):
        assert f'<td class="nhsuk-table__cell">{field_name}</td>' not in page
    assert "Rows to add" in page
    assert "Pharmacist" in page and "pharmacist" not in page.replace("Pharmacist", "")

    apply(run, world, django_capture_on_commit_callbacks)
    page = client.get(reverse("import_run", args=[run.pk])).content.decode()
    assert "Rows added" in page and "Rows changed" in page
    assert "Rows to add" not in page and "Rows that change" not in page
    response = client.get(reverse("import_rows_csv", args=[run.pk]))
    outcome = b"".join(response.streaming_content).decode()
    assert "Full name: - -> Nia New" in outcome
    assert AuditEvent.objects.filter(action="invitation.created").exists()


def test_a_name_the_import_does_not_change_is_said_in_the_preview(
    world, django_capture_on_commit_callbacks
):
    ods = world.second_premises.ods_code
    rows = [[world.staff.email, "Samantha Staff", ods, "Dispenser", "", "", ""]]
    run = staff_upload(world.head_office, world.premises.organisation, rows)
    added = ImportRow.objects.get(run=run, action="add")
    assert added.changes["full_name"] == [
        "Sam Staff",
        "Samantha Staff (not changed: people change their own name on the portal)",
    ]
    apply(run, world, django_capture_on_commit_callbacks)
    world.staff.refresh_from_db()
    assert world.staff.full_name == "Sam Staff"
    assert Membership.objects.filter(user=world.staff, premises=world.second_premises).exists()


# --- Apply: new people invited straight from the staged rows -------------------------------


def new_people(world, count):
    ods = world.premises.ods_code
    return [
        [f"new{i}@example.test", f"New Person {i}", ods, "Dispenser", "", "", ""]
        for i in range(count)
    ]


def test_applying_new_people_takes_the_same_queries_for_3_rows_as_for_30(world):
    counts = []
    for size in (3, 30):
        Invitation.objects.filter(email__startswith="new").delete()
        run = staff_upload(world.head_office, world.premises.organisation, new_people(world, size))
        # Thirty rows would be three chunks of ten: new people are invited in one go.
        with (
            mock.patch("imports.services.apply.APPLY_CHUNK", 10),
            CaptureQueriesContext(connection) as captured,
        ):
            run = services.import_confirm(actor=world.head_office, run=run)
        assert (run.status, run.add_count) == (Status.APPLIED, size)
        counts.append(len(captured))
        invitations = Invitation.objects.filter(email__startswith="new", revoked_at=None)
        assert invitations.count() == size
        linked = ImportRow.objects.filter(run=run).values_list("invitation_id", flat=True)
        assert sorted(linked) == sorted(invitations.values_list("pk", flat=True))
    assert counts[0] == counts[1]


def test_someone_who_joins_the_portal_between_check_and_apply_is_added_not_invited(
    world, django_capture_on_commit_callbacks
):
    run = staff_upload(world.head_office, world.premises.organisation, new_people(world, 2))
    assert ImportRow.objects.get(run=run, number=2).changes["email"] == ["", "new0@example.test"]
    joined = UserFactory(email="new0@example.test", full_name="New Person 0")
    run = apply(run, world, django_capture_on_commit_callbacks)
    assert (run.status, run.add_count) == (Status.APPLIED, 2)
    membership = Membership.objects.get(user=joined, premises=world.premises)
    assert membership.job_role == "dispenser"
    assert Invitation.objects.get(email="new0@example.test").accepted_at is not None
    assert Invitation.objects.get(email="new1@example.test").accepted_at is None
    assert not Membership.objects.filter(user__email="new1@example.test").exists()


def test_an_invitation_made_between_check_and_apply_is_not_made_twice(
    world, django_capture_on_commit_callbacks
):
    run = staff_upload(world.head_office, world.premises.organisation, new_people(world, 2))
    account_services.invitation_create(
        actor=world.head_office,
        email="new1@example.test",
        full_name="New Person 1",
        premises=world.premises,
        job_role="dispenser",
    )
    run = apply(run, world, django_capture_on_commit_callbacks)
    assert (run.status, run.add_count, run.unchanged_count) == (Status.APPLIED, 1, 1)
    assert Invitation.objects.filter(email="new1@example.test").count() == 1
    assert Invitation.objects.filter(email="new0@example.test").count() == 1


def test_a_premises_moved_to_another_organisation_between_check_and_apply_blocks_the_file(
    world,
):
    run = staff_upload(world.head_office, world.premises.organisation, new_people(world, 1))
    Premises.objects.filter(pk=world.premises.pk).update(
        organisation=world.other_premises.organisation
    )
    run = services.import_confirm(actor=world.head_office, run=run)
    assert run.status == Status.BLOCKED
    assert "is a premises of another organisation" in errors_of(run)[0][2]
    assert not Invitation.objects.filter(email__startswith="new").exists()


def test_an_end_date_reached_between_check_and_apply_invites_no_one(
    world, django_capture_on_commit_callbacks
):
    rows = new_people(world, 2)
    rows[0][6] = "01/12/2026"
    with time_machine.travel(datetime.datetime(2026, 11, 30, 12, tzinfo=datetime.UTC)):
        run = staff_upload(world.head_office, world.premises.organisation, rows)
        assert run.add_count == 2
    with time_machine.travel(datetime.datetime(2026, 12, 1, 12, tzinfo=datetime.UTC)):
        run = apply(run, world, django_capture_on_commit_callbacks)
    assert (run.status, run.add_count, run.unchanged_count) == (Status.APPLIED, 1, 1)
    assert not Invitation.objects.filter(email="new0@example.test").exists()
    assert Invitation.objects.filter(email="new1@example.test").exists()
