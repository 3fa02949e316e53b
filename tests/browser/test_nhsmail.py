import pytest
from playwright.sync_api import expect

from tests.browser.helpers import assert_accessible, sign_in


@pytest.mark.browser
def test_manager_turns_amber_to_green_by_linking_a_third_account(page, live_server, demo_world):
    sign_in(page, live_server, "manager@demo.portal.test")
    page.goto("/nhsmail/my-account/")
    assert_accessible(page)
    page.get_by_role("link", name="Calder Valley Pharmacy: NHSmail status").click()
    expect(page.get_by_role("heading", name="Compliant, at risk")).to_be_visible()
    expect(
        page.get_by_text("Exactly two live linked accounts: I. Qureshi and S. Ward")
    ).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Link an account to the shared mailbox").click()
    assert_accessible(page)
    page.get_by_label("Whose account should be linked to the shared mailbox?").select_option(
        label="Joanne Barker (j.barker@nhs.net)"
    )
    page.get_by_role("button", name="Link account").click()

    expect(page.get_by_text("Joanne Barker's account is linked")).to_be_visible()
    expect(page.get_by_role("heading", name="Compliant", exact=True)).to_be_visible()
    expect(page.get_by_text("3 live linked accounts")).to_be_visible()
    assert_accessible(page)


@pytest.mark.browser
def test_staff_member_confirms_their_account_in_one_click(page, live_server, demo_world):
    sign_in(page, live_server, "staff@demo.portal.test")
    page.goto("/nhsmail/my-account/")
    assert_accessible(page)
    page.get_by_role("button", name="I used my NHSmail account today").click()
    expect(page.get_by_text("confirmed in use")).to_be_visible()
    assert_accessible(page)
