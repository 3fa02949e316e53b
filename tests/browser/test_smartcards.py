import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from smartcards.models import SmartcardRequest
from tests.browser.helpers import assert_accessible, sign_in


@pytest.mark.browser
def test_urgent_unlock_from_holder_to_unlocker_and_back(page, new_page, live_server, demo_world):
    # The holder: a dispenser at Calder Valley Pharmacy who cannot dispense.
    sign_in(page, live_server, "staff@demo.portal.test")
    page.get_by_role("link", name="Smartcard", exact=True).click()
    expect(page.get_by_role("heading", name="My smartcard")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Self-service unlock did not work: ask an unlocker").click()
    assert_accessible(page)

    # A passcode in the note is refused, with the rule, and what was typed stays.
    page.get_by_label("I have tried self-service unlock, or cannot use it now").check()
    page.get_by_label("I cannot dispense until this is resolved").check()
    page.get_by_label("Anything the unlocker should know (optional)").fill("My passcode 4455667")
    page.get_by_role("button", name="Send request").click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("Never share your passcode")
    assert_accessible(page)
    page.get_by_label("Anything the unlocker should know (optional)").fill(
        "Locked at the dispensary terminal. In until 6pm."
    )
    page.get_by_role("button", name="Send request").click()
    expect(page.get_by_text("Request sent")).to_be_visible()
    expect(page.get_by_text("Urgent: cannot dispense")).to_be_visible()
    assert_accessible(page)
    request_path = re.sub(r"^https?://[^/]+", "", page.url)

    # The unlocker: the urgent request is at the top of their queue.
    unlocker = new_page()
    sign_in(unlocker, live_server, "unlocker@demo.portal.test")
    unlocker.get_by_role("link", name="Smartcards", exact=True).click()
    expect(unlocker.get_by_role("heading", name="Unlock and renewal queue")).to_be_visible()
    assert_accessible(unlocker)
    first_row = unlocker.locator("#smartcard-queue tbody tr").first
    expect(first_row).to_contain_text("Urgent")
    sophie_row = unlocker.locator("#smartcard-queue tbody tr", has_text="Sophie Ward")
    expect(sophie_row).to_contain_text("Waiting")
    mail.outbox.clear()
    sophie_row.get_by_role("button", name="Claim Sophie Ward's request").click()
    expect(unlocker.get_by_text("You have claimed Sophie Ward's request")).to_be_visible()
    assert [m.to for m in mail.outbox] == [["staff@demo.portal.test"]]
    assert_accessible(unlocker)

    unlocker.get_by_role("link", name="Record the outcome").click()
    assert_accessible(unlocker)
    unlocker.get_by_label("Unlocked the card").check()
    unlocker.get_by_label("Note for the holder").fill(
        "Unlocked. Choose a new passcode at the reader."
    )
    unlocker.get_by_role("button", name="Record the outcome").click()
    expect(unlocker.locator(".nhsuk-error-summary")).to_contain_text(
        "Confirm you checked the holder's identity"
    )
    assert_accessible(unlocker)
    unlocker.get_by_label(
        "I checked the holder's identity as my Registration Authority's procedure requires"
    ).check()
    unlocker.get_by_role("button", name="Record the outcome").click()
    expect(unlocker.get_by_text("Outcome recorded")).to_be_visible()
    assert_accessible(unlocker)

    # The holder sees what happened, and who did it.
    page.goto(request_path)
    expect(page.locator(".nhsuk-tag", has_text="Unlocked")).to_be_visible()
    expect(page.get_by_text("Unlocked. Choose a new passcode at the reader.").first).to_be_visible()
    expect(page.get_by_text("Gareth Lloyd").first).to_be_visible()
    assert_accessible(page)
    assert SmartcardRequest.objects.get(holder__user__email="staff@demo.portal.test").status == (
        SmartcardRequest.Status.RESOLVED
    )
    assert mail.outbox[-1].to == ["staff@demo.portal.test"]
