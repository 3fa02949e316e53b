"""Journeys run to their end, in the words pharmacy teams use.

- A new starter at Calder Valley Pharmacy, from the manager's invitation to a live
  personal NHSmail account linked to the shared mailbox, which turns the premises from
  not compliant to compliant; the starter follows the request on their own page and is
  emailed when it is live.
- An unlock request for a card whose certificates have expired: the holder is told only
  the Registration Authority can repair it before sending, and the unlocker sees it
  plainly, with the certificate dates.
"""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from nhsmail.models import MailboxLink, PersonalAccount
from smartcards.models import SmartcardHolder
from tests.browser.helpers import assert_accessible, emailed_path, sign_in
from tests.factories import refresh_standings

CALDER = "Calder Valley Pharmacy"


def calder_down_to_one_linked_account(demo_world):
    """Sophie Ward has left the shared mailbox: one live linked account, not compliant."""
    link = MailboxLink.objects.current().get(
        account__user=demo_world.user("staff"), mailbox__premises__name=CALDER
    )
    link.unlinked_on = timezone.localdate()
    link.unlinked_by = demo_world.user("manager")
    link.save()
    refresh_standings(link.mailbox.premises)


@pytest.mark.browser
def test_new_starter_from_invitation_to_a_live_linked_account(
    page, new_page, live_server, demo_world
):
    calder_down_to_one_linked_account(demo_world)

    # The manager invites the new starter.
    sign_in(page, live_server, "manager@demo.portal.test")
    page.goto("/premises/")
    assert_accessible(page)
    page.get_by_role("link", name=CALDER).first.click()
    assert_accessible(page)
    page.get_by_role("link", name="Invite a member of staff").click()
    assert_accessible(page)
    page.get_by_label("Full name").fill("Nia Okafor")
    page.get_by_label("Email address").fill("nia.okafor@example.test")
    page.get_by_label("Dispenser", exact=True).check()
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_role("alert")).to_contain_text("Invitation sent")
    assert_accessible(page)

    # The starter creates her account and asks for NHSmail.
    starter = new_page()
    starter.goto(emailed_path(mail.outbox[-1]))
    assert_accessible(starter)
    starter.get_by_label("Create a password").fill("sunflower-dispensary-42")
    starter.get_by_label("Confirm password").fill("sunflower-dispensary-42")
    starter.get_by_role("button", name="Create account").click()
    expect(starter.get_by_role("heading", level=1)).to_have_text("Hello, Nia Okafor")
    assert_accessible(starter)
    starter.goto("/nhsmail/my-account/")
    assert_accessible(starter)
    starter.get_by_role("link", name=f"{CALDER}: NHSmail status").click()
    expect(starter.get_by_role("heading", name="Not compliant")).to_be_visible()
    assert_accessible(starter)
    starter.get_by_role("link", name="find out how to get one").click()
    assert_accessible(starter)
    starter.get_by_role("button", name="Ask for an NHSmail account").click()
    expect(starter.get_by_role("alert")).to_contain_text("Request sent")
    expect(starter.get_by_text("Your NHSmail account request: requested")).to_be_visible()
    assert_accessible(starter)

    # The manager registers her and marks it submitted: the message names the new stage.
    page.goto("/nhsmail/my-account/")
    assert_accessible(page)
    page.get_by_role("link", name=f"{CALDER}: NHSmail status").click()
    assert_accessible(page)
    page.get_by_role("button", name="Mark as submitted for Nia Okafor").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "Nia Okafor's request is now: submitted for registration"
    )
    assert_accessible(page)

    # The starter sees where it is.
    starter.goto("/nhsmail/my-account/")
    expect(starter.get_by_text("Submitted for registration", exact=True)).to_be_visible()
    assert_accessible(starter)

    # The account goes live: a shared mailbox address is refused, then hers is recorded.
    mail.outbox.clear()
    page.get_by_role("link", name="Mark account live for Nia Okafor").click()
    assert_accessible(page)
    page.get_by_label("Their new personal NHSmail address").fill("pharmacy.fa1c7@nhs.net")
    page.get_by_role("button", name="Record the account as live").click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("shared mailbox address")
    assert_accessible(page)
    page.get_by_label("Their new personal NHSmail address").fill("nia.okafor@nhs.net")
    expect(page.get_by_label(re.compile("Link it to the shared mailbox"))).to_be_checked()
    page.get_by_role("button", name="Record the account as live").click()
    expect(page.get_by_role("alert")).to_contain_text("Nia Okafor's request is now: account live")
    expect(page.get_by_role("heading", name="Compliant, at risk")).to_be_visible()
    expect(page.get_by_text("Exactly two live linked accounts")).to_be_visible()
    assert_accessible(page)

    account = PersonalAccount.objects.get(address="nia.okafor@nhs.net")
    assert account.status == PersonalAccount.Status.LIVE
    # The starter is told; the manager hears that the premises recovered.
    to_starter = [message for message in mail.outbox if message.to == ["nia.okafor@example.test"]]
    assert len(to_starter) == 1
    assert "nia.okafor@nhs.net" in to_starter[0].body

    starter.goto("/nhsmail/my-account/")
    expect(starter.get_by_text("Account live", exact=True)).to_be_visible()
    expect(starter.get_by_text("nia.okafor@nhs.net").first).to_be_visible()
    assert_accessible(starter)


@pytest.mark.browser
def test_unlock_request_for_a_card_with_expired_certificates(
    page, new_page, live_server, demo_world
):
    holder = SmartcardHolder.objects.get(user=demo_world.user("staff"))
    holder.certificate_expires_on = timezone.localdate() - timedelta(days=12)
    holder.save()
    expired_on = f"{holder.certificate_expires_on:%-d %B %Y}"

    sign_in(page, live_server, "staff@demo.portal.test")
    expect(page.get_by_text(f"certificates expired on {expired_on}")).to_be_visible()
    assert_accessible(page)

    page.goto("/smartcards/my-card/ask/?kind=unlock")
    expect(page.get_by_text("Your certificates have expired")).to_be_visible()
    expect(page.get_by_text("0845 127 2600").first).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Unlock the card").check()
    tried = page.get_by_label("I have tried self-service unlock, or cannot use it now")
    if tried.count():
        tried.check()
    page.get_by_role("button", name="Send request").click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text(
        "only the Registration Authority can repair it"
    )
    assert_accessible(page)
    page.get_by_label(re.compile("I understand only the Registration Authority")).check()
    page.get_by_role("button", name="Send request").click()
    expect(page.get_by_text("Request sent")).to_be_visible()
    expect(page.get_by_text(f"expired on {expired_on}")).to_be_visible()
    assert_accessible(page)
    request_path = re.sub(r"^https?://[^/]+", "", page.url)

    unlocker = new_page()
    sign_in(unlocker, live_server, "unlocker@demo.portal.test")
    unlocker.goto(request_path)
    expect(unlocker.get_by_text("The certificates on this card have expired")).to_be_visible()
    expect(unlocker.get_by_text(f"expired on {expired_on}").first).to_be_visible()
    expect(unlocker.get_by_text("Refer the request to the RA")).to_be_visible()
    assert_accessible(unlocker)
