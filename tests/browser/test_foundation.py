"""The foundation's journeys in a real browser: signing in as each persona, inviting a
member of staff who then creates their account, and the sign-in error and skip link.
"""

import pytest
from django.core import mail
from playwright.sync_api import expect

from accounts.models import Membership
from tests.browser.helpers import assert_accessible, assert_frontend_loaded, emailed_path, sign_in

# email -> (name on the home page, home-page panels they must see, and must not see)
PERSONA_HOMES = {
    "staff@demo.portal.test": (
        "Sophie Ward",
        {"Your premises": ["Calder Valley Pharmacy"]},
        ["Your organisations", "Premises you cover as a smartcard unlocker"],
    ),
    "manager@demo.portal.test": (
        "Imran Qureshi",
        {"Your premises": ["Calder Valley Pharmacy", "Pharmacist, manager"]},
        ["Your organisations", "Premises you cover as a smartcard unlocker"],
    ),
    "locum@demo.portal.test": (
        "Helen Marsh",
        {"Your premises": ["Aire Health Pharmacy, Bingley", "Aire Health Pharmacy, Shipley"]},
        ["Your organisations", "Premises you cover as a smartcard unlocker"],
    ),
    "unlocker@demo.portal.test": (
        "Gareth Lloyd",
        {
            "Premises you cover as a smartcard unlocker": [
                "Every premises of Aire Health Pharmacies",
                "Every premises of Pennine Pharmacy Group",
                "Calder Valley Pharmacy (FA1C7)",
            ]
        },
        ["Your premises", "Your organisations"],
    ),
    "headoffice@demo.portal.test": (
        "Rebecca Firth",
        {"Your organisations": ["Pennine Pharmacy Group: 25 premises"]},
        ["Your premises", "Premises you cover as a smartcard unlocker"],
    ),
    "admin@demo.portal.test": (
        "Nasreen Akhtar",
        {
            "Your organisations": [
                "Aire Health Pharmacies: 4 premises",
                "Calder Valley Pharmacy: 1 premises",
                "Pennine Pharmacy Group: 25 premises",
            ]
        },
        ["Your premises", "Premises you cover as a smartcard unlocker"],
    ),
}


def panel(page, heading):
    """The home-page panel under an h2: the heading's next sibling (a list or a card group)."""
    return page.get_by_role("heading", level=2, name=heading, exact=True).locator(
        "xpath=following-sibling::*[1]"
    )


def check_home_page(page, email):
    name, panels, absent = PERSONA_HOMES[email]
    expect(page).to_have_title("Home – Pharmacy Digital Portal – NHS")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Hello, {name}")
    expect(page.get_by_role("navigation", name="Account")).to_contain_text(name)
    for heading, texts in panels.items():
        for text in texts:
            expect(panel(page, heading)).to_contain_text(text)
    for heading in absent:
        expect(page.get_by_role("heading", level=2, name=heading, exact=True)).to_have_count(0)
    can_add_organisation = page.get_by_role("link", name="Add an organisation")
    expect(can_add_organisation).to_have_count(1 if email == "admin@demo.portal.test" else 0)


@pytest.mark.browser
def test_each_persona_signs_in_and_sees_their_home_page(new_page, live_server, demo_world):
    # One journey for the six, each in a browser of their own: six tests would pay for
    # seeding the demo six times.
    for email in PERSONA_HOMES:
        page = new_page()
        try:
            sign_in(page, live_server, email)  # checks the sign-in and security-code pages
            check_home_page(page, email)
            assert_frontend_loaded(page)
            assert_accessible(page)
        except AssertionError as failure:
            raise AssertionError(f"As {email}: {failure}") from failure
        page.context.close()


@pytest.mark.browser
def test_manager_invites_a_member_who_creates_their_account(
    page, new_page, live_server, demo_world
):
    sign_in(page, live_server, "manager@demo.portal.test")
    panel(page, "Your premises").get_by_role("link", name="Calder Valley Pharmacy").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Calder Valley Pharmacy")
    assert_accessible(page)

    page.get_by_role("link", name="Invite a member of staff").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Invite a member of staff")
    assert_accessible(page)
    page.get_by_label("Full name").fill("Aisha Rahman")
    page.get_by_label("Email address").fill("aisha.rahman@example.test")
    page.get_by_label("Dispenser", exact=True).check()
    page.get_by_role("button", name="Send invitation").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Calder Valley Pharmacy")
    expect(page.get_by_role("alert")).to_contain_text(
        "Invitation sent to aisha.rahman@example.test"
    )
    expect(panel(page, "Invitations waiting")).to_contain_text("Aisha Rahman")
    assert_accessible(page)

    assert [message.to for message in mail.outbox] == [["aisha.rahman@example.test"]]
    invitation_path = emailed_path(mail.outbox[0])

    invitee = new_page()  # her own browser: nothing of the manager's session
    invitee.goto(invitation_path)
    expect(invitee.get_by_role("heading", level=1)).to_have_text("Create your account")
    expect(invitee.get_by_label("Full name")).to_have_value("Aisha Rahman")
    assert_accessible(invitee)

    invitee.get_by_label("Create a password").fill("sunflower-dispensary-42")
    invitee.get_by_label("Confirm password").fill("sunflower-dispensary-24")
    invitee.get_by_role("button", name="Create account").click()
    expect(invitee.locator(".nhsuk-error-summary")).to_contain_text("The passwords do not match")
    expect(invitee).to_have_title("Error: Create your account – Pharmacy Digital Portal – NHS")
    assert_accessible(invitee)

    # Password fields are never sent back; the name she typed is.
    expect(invitee.get_by_label("Full name")).to_have_value("Aisha Rahman")
    invitee.get_by_label("Create a password").fill("sunflower-dispensary-42")
    invitee.get_by_label("Confirm password").fill("sunflower-dispensary-42")
    invitee.get_by_role("button", name="Create account").click()

    expect(invitee.get_by_role("heading", level=1)).to_have_text("Hello, Aisha Rahman")
    expect(invitee.get_by_role("alert")).to_contain_text(
        "Welcome. You now work at Calder Valley Pharmacy"
    )
    expect(panel(invitee, "Your premises")).to_contain_text("Calder Valley Pharmacy")
    expect(invitee.get_by_role("button", name="Sign out")).to_be_visible()
    assert_accessible(invitee)
    assert (
        Membership.objects.current()
        .filter(user__email="aisha.rahman@example.test", premises__ods_code="FA1C7")
        .exists()
    )

    page.reload()
    staff_table = page.get_by_role("table", name="Staff working at Calder Valley Pharmacy")
    expect(staff_table).to_contain_text("Aisha Rahman")
    expect(staff_table).to_contain_text("aisha.rahman@example.test")
    expect(page.get_by_role("heading", name="Invitations waiting")).to_have_count(0)
    assert_accessible(page)


@pytest.mark.browser
def test_wrong_password_shows_the_error_summary_and_the_skip_link_works(page, live_url, demo_world):
    page.goto(live_url("login"))
    assert_accessible(page)
    page.get_by_label("Email address").fill("staff@demo.portal.test")
    page.get_by_label("Password", exact=True).fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()

    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_contain_text("There is a problem")
    expect(summary).to_contain_text("Enter a correct email address and password")
    # NHS.UK frontend moves focus to the summary so screen readers announce it at once.
    expect(summary).to_be_focused()
    expect(page).to_have_title("Error: Sign in – Pharmacy Digital Portal – NHS")
    expect(page.get_by_label("Email address")).to_have_value("staff@demo.portal.test")
    expect(page.get_by_label("Password", exact=True)).to_have_value("")
    assert_accessible(page)

    page.get_by_label("Password", exact=True).fill(demo_world.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Sophie Ward")

    # From the top of the page, the first Tab reaches the skip link, which then shows.
    page.keyboard.press("Tab")
    skip_link = page.get_by_role("link", name="Skip to main content")
    expect(skip_link).to_be_focused()
    expect(skip_link).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main#maincontent")).to_be_focused()
    assert_accessible(page)


@pytest.mark.browser
def test_the_checks_catch_violations_missing_files_and_csp_refusals(page, live_url):
    """The harness itself: a page axe and the watcher pass must not be passing by accident."""
    page.goto(live_url("accessibility"))
    assert_frontend_loaded(page)
    assert_accessible(page)

    with page.expect_response("**/no-such-image.png"):
        page.evaluate(
            """() => {
            const image = document.createElement('img');
            image.src = '/static/nhsuk/no-such-image.png';
            document.querySelector('main').append(image);
            const script = document.createElement('script');
            script.textContent = 'window.inlineRan = true';
            document.body.append(script);
        }"""
        )
    with pytest.raises(AssertionError) as problems:
        assert_accessible(page)
    assert "image answered 404: GET" in str(problems.value)
    assert "Content Security Policy" in str(problems.value)
    with pytest.raises(AssertionError) as violations:
        assert_accessible(page)
    assert "- image-alt (critical): Images must have alternative text" in str(violations.value)
    assert '  at img  <img src="/static/nhsuk/no-such-image.png">' in str(violations.value)
    assert page.evaluate("() => window.inlineRan") is None
