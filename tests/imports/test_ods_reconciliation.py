"""Reconciling premises with the official NHS ODS pharmacy file (headerless, 27 quoted
columns). The sample files are built here; every name in them is invented."""

import csv
import datetime
import io

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent, Premises, PremisesStanding, Region
from dashboard.selectors import dashboard_premises
from imports import ods
from imports.models import OdsReconciliation, OdsRow
from tests.factories import OrganisationFactory, PremisesFactory

pytestmark = pytest.mark.django_db
Action = OdsRow.Action
CLOSED_ON = timezone.localdate() - datetime.timedelta(days=15)
CLOSED_TEXT = f"{CLOSED_ON:%-d %B %Y}"


def ods_row(code, name, street, town, postcode, icb="QWO", closed="", locality=""):
    """One row in the ODS dispensing contractors layout: 27 columns."""
    cells = [
        code,
        name,
        "Y63",  # national grouping
        icb,
        street,
        locality,
        "",
        town,
        "WEST YORKSHIRE",
        postcode,
        "19950401",
        closed,
        "C" if closed else "A",
        "",
        "36J",
    ]
    return cells + [""] * (27 - len(cells))


def ods_file(rows, name="edispensary.csv"):
    buffer = io.StringIO()
    csv.writer(buffer, quoting=csv.QUOTE_ALL).writerows(rows)
    return SimpleUploadedFile(name, buffer.getvalue().encode())


@pytest.fixture
def national(world):
    region = Region.objects.get(name="West Yorkshire ICB")
    region.ods_code, region.official_name = "QWO", "NHS West Yorkshire Integrated Care Board"
    region.save()
    Region.objects.create(
        name="Humber and North Yorkshire ICB",
        ods_code="QOQ",
        official_name="NHS Humber and North Yorkshire Integrated Care Board",
    )
    organisation = world.premises.organisation
    same = PremisesFactory(
        organisation=organisation,
        ods_code="FQA01",
        name="Kirkgate Pharmacy",
        address_line_1="4 Kirkgate",
        address_line_2="",
        town="Otley",
        postcode="LS21 3HW",
    )
    moved = PremisesFactory(
        organisation=organisation,
        ods_code="FQA02",
        name="Bridge Pharmacy",
        address_line_1="1 Bridge Street",
        address_line_2="",
        town="Ilkley",
        postcode="LS29 9EU",
    )
    closing = PremisesFactory(
        organisation=organisation,
        ods_code="FQA03",
        name="Station Chemist",
        address_line_1="9 Station Road",
        address_line_2="",
        town="Baildon",
        postcode="BD17 6HS",
    )
    rows = [
        # Unchanged: ODS writes capitals, the portal compares ignoring case.
        ods_row("FQA01", "KIRKGATE PHARMACY", "4 KIRKGATE", "OTLEY", "LS21 3HW"),
        # Changed: new name, new street, new postcode, another ICB.
        ods_row(
            "FQA02", "BRIDGE HEALTH PHARMACY", "2 BRIDGE LANE", "ILKLEY", "LS29 9EX", icb="QOQ"
        ),
        # Closed.
        ods_row(
            "FQA03",
            "STATION CHEMIST",
            "9 STATION ROAD",
            "BAILDON",
            "BD17 6HS",
            closed=f"{CLOSED_ON:%Y%m%d}",
        ),
        # New to the portal.
        ods_row("FQA04", "MOOR PHARMACY", "3 MOOR LANE", "BURLEY", "LS29 7AA", locality="MOORSIDE"),
        # Closed and never on the portal: nothing to do.
        ods_row(
            "FQA05", "OLD MILL CHEMIST", "1 MILL YARD", "KEIGHLEY", "BD21 1AA", closed="20190101"
        ),
    ]
    return {"rows": rows, "same": same, "moved": moved, "closing": closing}


def upload(world, rows, name="edispensary.csv"):
    return ods.ods_reconciliation_upload(
        actor=world.portal_admin, uploaded_file=ods_file(rows, name)
    )


def test_preview_shows_changed_closed_and_new_and_changes_nothing(world, national):
    reconciliation = upload(world, national["rows"])
    assert (
        reconciliation.total_rows,
        reconciliation.change_count,
        reconciliation.close_count,
        reconciliation.new_count,
        reconciliation.unchanged_count,
        reconciliation.error_count,
    ) == (5, 1, 1, 1, 2, 0)
    changed = OdsRow.objects.get(action=Action.CHANGE)
    assert changed.ods_code == "FQA02"
    assert changed.changes == {
        "Premises name": ["Bridge Pharmacy", "BRIDGE HEALTH PHARMACY"],
        "Address line 1": ["1 Bridge Street", "2 BRIDGE LANE"],
        "Postcode": ["LS29 9EU", "LS29 9EX"],
        "ICB area": ["West Yorkshire ICB", "Humber and North Yorkshire ICB"],
    }
    closed = OdsRow.objects.get(action=Action.CLOSE)
    assert closed.changes == {"Closed on": ["", CLOSED_TEXT]}
    new = OdsRow.objects.get(action=Action.NEW)
    assert new.ods_code == "FQA04"
    assert new.changes["Address line 2"] == ["", "MOORSIDE"]
    national["moved"].refresh_from_db()
    assert national["moved"].name == "Bridge Pharmacy"
    assert Premises.objects.filter(closed_on__isnull=False).count() == 0


def test_apply_writes_changes_and_closures_with_audit_and_a_second_upload_shows_nothing(
    world, national, django_capture_on_commit_callbacks
):
    reconciliation = upload(world, national["rows"])
    with django_capture_on_commit_callbacks(execute=True):
        ods.ods_reconciliation_apply(actor=world.portal_admin, reconciliation=reconciliation)
    moved = Premises.objects.get(ods_code="FQA02")
    assert (moved.name, moved.address_line_1, moved.postcode, moved.region.ods_code) == (
        "BRIDGE HEALTH PHARMACY",
        "2 BRIDGE LANE",
        "LS29 9EX",
        "QOQ",
    )
    assert Premises.objects.get(ods_code="FQA03").closed_on == CLOSED_ON
    actions = set(
        AuditEvent.objects.filter(premises__ods_code__in=["FQA02", "FQA03"]).values_list(
            "action", flat=True
        )
    )
    assert {"premises.updated", "premises.closed"} <= actions
    assert AuditEvent.objects.filter(action="ods.applied").exists()
    # Standings were worked out again for what changed; a closed premises has none.
    assert PremisesStanding.objects.filter(premises__ods_code="FQA02").exists()
    assert not PremisesStanding.objects.filter(premises__ods_code="FQA03").exists()

    again = upload(world, national["rows"], "edispensary-again.csv")
    assert (again.change_count, again.close_count, again.error_count) == (0, 0, 0)
    assert again.unchanged_count == 4 and again.new_count == 1


def test_new_codes_are_added_to_a_chosen_organisation(world, national, client_for):
    reconciliation = upload(world, national["rows"])
    organisation = OrganisationFactory(name="Moorside Health Ltd")
    client = client_for("portal_admin")
    url = reverse("ods_add", args=[reconciliation.pk])
    response = client.post(url, {"organisation": organisation.pk, "codes": "FQA02, FZZ99"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "FQA02, FZZ99 are not codes this file lists as missing from the portal" in page
    response = client.post(url, {"organisation": organisation.pk, "codes": "fqa04"})
    assert response.status_code == 302
    added = Premises.objects.get(ods_code="FQA04")
    assert (added.organisation, added.name, added.address_line_2, added.town) == (
        organisation,
        "MOOR PHARMACY",
        "MOORSIDE",
        "BURLEY",
    )
    assert AuditEvent.objects.filter(action="premises.created", premises=added).exists()
    response = client.post(url, {"organisation": organisation.pk, "codes": "FQA04"})
    assert "Already on the portal: FQA04" in response.content.decode()


def test_the_pages_for_a_portal_admin(
    world, national, client_for, django_capture_on_commit_callbacks
):
    client = client_for("portal_admin")
    response = client.post(reverse("ods_home"), {"file": ods_file(national["rows"])})
    assert response.status_code == 302
    reconciliation = OdsReconciliation.objects.get()
    page = client.get(response.url).content.decode()
    for text in (
        "Premises whose details differ",
        "BRIDGE HEALTH PHARMACY",
        "Premises the file shows closed",
        CLOSED_TEXT,
        "MOOR PHARMACY",
        "Apply these changes",
    ):
        assert text in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("ods_apply", args=[reconciliation.pk]))
    assert response.status_code == 302
    page = client.get(response.url).content.decode()
    assert "Premises changed" in page and "Premises closed" in page
    assert "Apply these changes" not in page
    # A closed premises says so, and stops counting on the dashboards.
    closed = Premises.objects.get(ods_code="FQA03")
    page = client.get(reverse("premises_detail", args=[closed.pk])).content.decode()
    assert f"Closed on {CLOSED_TEXT}" in page
    watched = dashboard_premises(world.portal_admin).values_list("ods_code", flat=True)
    assert "FQA03" not in set(watched) and "FQA02" in set(watched)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty"),
        (
            b'"Organisation Code","Name","National Grouping","ICB"\n"FQA01","A","Y63","QWO"\n',
            "starts with a row of headings",
        ),
        (b'"FQA01","KIRKGATE PHARMACY","Y63"\n', "its first row has 3 columns"),
        (b"\x00\x01\x02binary", "not text"),
    ],
)
def test_files_that_are_not_the_ods_layout_are_refused(world, client_for, data, message):
    response = client_for("portal_admin").post(
        reverse("ods_home"), {"file": SimpleUploadedFile("ods.csv", data)}
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not OdsReconciliation.objects.exists()


def test_rows_that_cannot_be_read_are_named_and_left_out(world, national):
    rows = [
        *national["rows"],
        ods_row("Y01234", "A GP PRACTICE", "1 SURGERY LANE", "LEEDS", "LS1 1AA"),
        ods_row("FQA06", "NOWHERE PHARMACY", "1 NO STREET", "LEEDS", "NOT A CODE"),
        ods_row("FQA07", "BAD DATE PHARMACY", "1 STREET", "LEEDS", "LS1 1AA", closed="2026-11-15"),
        ods_row("FQA02", "BRIDGE AGAIN", "2 BRIDGE LANE", "ILKLEY", "LS29 9EX"),
    ]
    reconciliation = upload(world, rows)
    errors = list(
        OdsRow.objects.filter(reconciliation=reconciliation, action=Action.ERROR)
        .order_by("number")
        .values_list("number", "message")
    )
    assert [number for number, _ in errors] == [6, 7, 8, 9]
    assert errors[0][1].startswith("ODS code: Y01234 is not a pharmacy ODS code")
    assert errors[1][1] == "Postcode: NOT A CODE is not a UK postcode"
    assert errors[2][1] == "Close date: 2026-11-15 is not a date written as YYYYMMDD"
    assert errors[3][1] == "ODS code: FQA02 is on an earlier row of the file too"
    assert reconciliation.change_count == 1


def test_an_unknown_icb_code_is_shown_and_left_as_it_is(
    world, national, django_capture_on_commit_callbacks
):
    rows = [ods_row("FQA01", "KIRKGATE PHARMACY", "4 KIRKGATE", "OTLEY", "LS21 3HW", icb="QXX")]
    reconciliation = upload(world, rows)
    row = OdsRow.objects.get(reconciliation=reconciliation)
    assert row.changes == {"ICB area": ["West Yorkshire ICB", "QXX (not on the portal)"]}
    assert "ICB QXX is not an ICB area the portal knows" in row.message
    with django_capture_on_commit_callbacks(execute=True):
        ods.ods_reconciliation_apply(actor=world.portal_admin, reconciliation=reconciliation)
    assert Premises.objects.get(ods_code="FQA01").region.name == "West Yorkshire ICB"


@pytest.mark.parametrize("role", ["staff", "manager", "unlocker", "head_office"])
def test_only_portal_admins_may_reconcile(world, national, role):
    with pytest.raises(PermissionDenied):
        ods.ods_reconciliation_upload(
            actor=world.user(role), uploaded_file=ods_file(national["rows"])
        )
    reconciliation = upload(world, national["rows"])
    with pytest.raises(PermissionDenied):
        ods.ods_reconciliation_apply(actor=world.user(role), reconciliation=reconciliation)
