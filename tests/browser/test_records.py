import pytest
from playwright.sync_api import expect

from tests.browser.helpers import assert_accessible, sign_in


@pytest.mark.browser
def test_admin_edits_guidance_and_staff_read_and_search_it(page, new_page, live_server, demo_world):
    sign_in(page, live_server, "admin@demo.portal.test")
    page.goto("/guidance/")
    expect(page.get_by_role("heading", name="Guidance", exact=True)).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Ordering EPS dispensing tokens").click()
    assert_accessible(page)
    page.get_by_role("link", name="Edit this page").click()
    assert_accessible(page)

    content = page.get_by_label("Content")
    content.fill(content.input_value() + "\n\nCollect deliveries from the Kirkstall depot.")
    page.get_by_label("What did you change? (optional)").fill("Added the depot")
    review = page.get_by_role("group", name="Review by")
    review.get_by_label("Year").fill("2001")
    page.get_by_role("button", name="Save page").click()
    # A review date before the last update is refused, and nothing typed is lost.
    expect(page.get_by_role("alert").get_by_text("on or after the last update")).to_be_visible()
    assert "Kirkstall depot" in page.get_by_label("Content").input_value()
    assert_accessible(page)

    review = page.get_by_role("group", name="Review by")
    review.get_by_label("Day").fill("1")
    review.get_by_label("Month").fill("6")
    review.get_by_label("Year").fill(str(__import__("datetime").date.today().year + 1))
    page.get_by_role("button", name="Save page").click()
    expect(page.get_by_text("saved as version 2")).to_be_visible()
    expect(page.get_by_text("Collect deliveries from the Kirkstall depot.")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Page history").click()
    expect(page.get_by_text("Added the depot")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Version 1").click()
    assert_accessible(page)

    staff = new_page()
    sign_in(staff, live_server, "staff@demo.portal.test")
    staff.goto("/guidance/")
    staff.get_by_label("Search guidance").fill("Kirkstall")
    staff.get_by_role("button", name="Search").click()
    expect(staff.get_by_role("heading", name="1 result for “Kirkstall”")).to_be_visible()
    assert_accessible(staff)
    staff.get_by_role("link", name="Ordering EPS dispensing tokens").click()
    expect(staff.get_by_text("Collect deliveries from the Kirkstall depot.")).to_be_visible()
    assert staff.get_by_role("link", name="Edit this page").count() == 0
    assert_accessible(staff)


@pytest.mark.browser
def test_manager_records_readiness_and_head_office_sees_the_group(
    page, new_page, live_server, demo_world
):
    sign_in(page, live_server, "manager@demo.portal.test")
    page.get_by_role("link", name="SCR readiness at Calder Valley Pharmacy").click()
    expect(page.get_by_role("heading", name="SCR and NCRS readiness")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Record readiness for Sophie Ward").click()
    expect(page.get_by_text("Dispensers get EPS access only").first).to_be_visible()
    page.get_by_label("Yes, on this premises' ODS code FA1C7").check()
    page.get_by_role("button", name="Save and confirm").click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("No, not yet").check()
    page.get_by_role("button", name="Save and confirm").click()
    expect(page.get_by_text("SCR readiness for Sophie Ward saved and confirmed")).to_be_visible()
    assert_accessible(page)

    head_office = new_page()
    sign_in(head_office, live_server, "headoffice@demo.portal.test")
    head_office.get_by_role("link", name="SCR readiness across Pennine Pharmacy Group").click()
    expect(head_office.get_by_role("heading", name="SCR and NCRS readiness")).to_be_visible()
    assert_accessible(head_office)
    head_office.get_by_role("link", name="Show only premises with no ready pharmacist").click()
    assert_accessible(head_office)
