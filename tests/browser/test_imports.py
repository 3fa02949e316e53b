import pytest
from playwright.sync_api import expect

from accounts.models import Organisation
from tests.browser.helpers import assert_accessible, sign_in

STAFF_CSV = (
    "Email address,Full name,Premises ODS code,Job role,Premises manager\n"
    "new.starter@pennine.example,New Starter,{ods},Dispenser,no\n"
)


@pytest.mark.browser
def test_head_office_imports_a_staff_file(page, live_server, demo_world, tmp_path):
    organisation = Organisation.objects.get(name="Pennine Pharmacy Group")
    premises = organisation.premises.order_by("name").first()
    staff_file = tmp_path / "starters.csv"
    staff_file.write_text(STAFF_CSV.format(ods=premises.ods_code), encoding="utf-8")

    sign_in(page, live_server, "headoffice@demo.portal.test")
    page.get_by_role("link", name="Bulk import").click()
    assert_accessible(page)
    page.get_by_role("link", name="Pennine Pharmacy Group").click()
    assert_accessible(page)

    page.get_by_label("Staff memberships").check()
    page.locator("input[type=file][name=file]").set_input_files(str(staff_file))
    page.get_by_role("button", name="Upload and preview").click()
    expect(page.get_by_text("Nothing has been saved yet")).to_be_visible()
    expect(page.get_by_role("cell", name="new.starter@pennine.example")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("button", name="Confirm and import").click()
    expect(page.get_by_text("1 added, 0 changed, 0 unchanged")).to_be_visible()
    assert_accessible(page)

    page.goto(f"/premises/{premises.pk}/")
    expect(page.get_by_text("new.starter@pennine.example").first).to_be_visible()
    assert_accessible(page)


@pytest.mark.browser
def test_head_office_sees_row_errors_and_api_docs(page, live_server, demo_world, tmp_path):
    bad_file = tmp_path / "bad.csv"
    bad_file.write_text(STAFF_CSV.format(ods="XX1"), encoding="utf-8")
    organisation = Organisation.objects.get(name="Pennine Pharmacy Group")

    sign_in(page, live_server, "headoffice@demo.portal.test")
    page.goto(f"/organisations/{organisation.pk}/imports/")
    assert_accessible(page)
    page.get_by_label("Staff memberships").check()
    page.locator("input[type=file][name=file]").set_input_files(str(bad_file))
    page.get_by_role("button", name="Upload and preview").click()
    expect(page.get_by_text("Nothing can be imported from this file yet")).to_be_visible()
    expect(page.get_by_role("cell", name="Premises ODS code")).to_be_visible()
    assert_accessible(page)

    page.goto(f"/organisations/{organisation.pk}/imports/")
    page.get_by_role("link", name="API tokens for head-office systems").click()
    assert_accessible(page)
    page.get_by_label("Name").fill("HR nightly sync")
    page.get_by_role("button", name="Create token").click()
    expect(page.get_by_role("heading", name="API token created")).to_be_visible()
    assert_accessible(page)
    page.goto("/api/docs/")
    assert_accessible(page)


def _ods_line(premises, name, closed=""):
    cells = [premises.ods_code, name, "Y63", "QWO", premises.address_line_1.upper(), "", ""]
    cells += [premises.town.upper(), "WEST YORKSHIRE", premises.postcode, "19950401", closed]
    cells += [""] * (27 - len(cells))
    return ",".join(f'"{cell}"' for cell in cells)


@pytest.mark.browser
def test_portal_admin_reconciles_premises_with_the_ods_file(
    page, live_server, demo_world, tmp_path
):
    organisation = Organisation.objects.get(name="Pennine Pharmacy Group")
    first, second = organisation.premises.order_by("name")[:2]
    ods_file = tmp_path / "edispensary.csv"
    lines = [
        _ods_line(first, first.name.upper() + " AND CLINIC"),
        _ods_line(second, second.name.upper(), closed="20260101"),
        '"FZQ01","MOORSIDE PHARMACY","Y63","QWO","3 MOOR LANE","","","BURLEY","",'
        '"LS29 7AA","20260101",""' + ',""' * 15,
    ]
    ods_file.write_text("\n".join(lines) + "\n", encoding="utf-8")

    sign_in(page, live_server, "admin@demo.portal.test")
    page.goto(live_server.url + "/imports/")
    assert_accessible(page)
    page.get_by_role("link", name="Reconcile premises with the ODS pharmacy file").click()
    assert_accessible(page)
    page.locator("input[type=file][name=file]").set_input_files(str(ods_file))
    page.get_by_role("button", name="Upload and compare").click()
    expect(page.get_by_text("Nothing has changed yet")).to_be_visible()
    expect(page.get_by_role("cell", name="MOORSIDE PHARMACY")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("button", name="Apply these changes").click()
    expect(page.get_by_text("1 premises changed, 1 closed")).to_be_visible()
    assert_accessible(page)
    page.goto(f"{live_server.url}/premises/{second.pk}/")
    expect(page.get_by_text("Closed on 1 January 2026")).to_be_visible()
    assert_accessible(page)
