"""The head-office dashboard in a real browser: the admin follows the "Not compliant"
figure to the red premises, downloads exactly those rows as CSV, and opens one premises
to see every area at once. Every page passes axe."""

import csv

import pytest
from playwright.sync_api import expect

from accounts.models import Organisation
from pharmacy_portal.dashboard.selectors import premises_rows
from tests.browser.helpers import assert_accessible, sign_in


@pytest.mark.browser
def test_head_office_filters_to_red_exports_and_opens_a_premises(page, live_server, demo_world):
    group = Organisation.objects.get(name="Pennine Pharmacy Group")
    red_names = sorted(
        row.premises.name
        for row in premises_rows(group.premises.all())
        if row.nhsmail_status == "red"
    )
    assert red_names, "the demo group needs at least one premises failing the NHSmail rule"

    sign_in(page, live_server, "headoffice@demo.portal.test")
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Compliance dashboard")
    assert_accessible(page)

    page.get_by_role("link", name="Not compliant", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Premises compliance")
    table = page.get_by_role("table")
    expect(table.locator("caption")).to_have_text(f"{len(red_names)} premises")
    shown = sorted(table.locator("tbody tr td:first-child a").all_inner_texts())
    assert shown == red_names
    assert_accessible(page)

    with page.expect_download() as download_info:
        page.get_by_role("link", name=f"Download these {len(red_names)} premises as CSV").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".csv")
    with open(download.path(), encoding="utf-8-sig", newline="") as exported_file:
        exported = list(csv.DictReader(exported_file))
    assert sorted(row["Premises"] for row in exported) == red_names

    first_red = table.locator("tbody tr td:first-child a").first
    name = first_red.inner_text()
    first_red.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    expect(page.get_by_text("Not compliant").first).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name=f"Open NHSmail for {name}").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("NHSmail")
    assert_accessible(page)
