"""Steps every journey needs: sign in through the real forms, read the current
authenticator code, follow a link from an email, check the page. See
tests/browser/conftest.py. `assert_accessible` (tests/browser/axe.py) is importable from
here too, so a journey needs one import.
"""

import re
import time
from urllib.parse import urlencode, urlsplit

from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from accounts.management.demo import DEMO_PASSWORD
from tests.browser.axe import assert_accessible

__all__ = [
    "assert_accessible",
    "assert_frontend_loaded",
    "current_totp_code",
    "emailed_path",
    "sign_in",
]

URL_IN_TEXT = re.compile(r"https?://[^\s<>\"']+")


def current_totp_code(email):
    """The code the person's authenticator app shows now, accepted once by the portal.

    django-otp refuses a code from a time step it already accepted for that device (a
    replayed code). A journey that signs the same person in twice within 30 seconds would
    hit that, so the device forgets the step it last accepted, as a fresh 30 seconds
    would make it.
    """
    device = TOTPDevice.objects.get(user__email__iexact=email, confirmed=True)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    step = totp.t()
    if device.last_t >= step:
        TOTPDevice.objects.filter(pk=device.pk).update(last_t=step - 1)
    return f"{totp.token():0{device.digits}d}"


def sign_in(page, live_server, email, password=DEMO_PASSWORD, *, next_path=None, check=True):
    """Sign in through the sign-in form, and the security-code page when it appears.

    Ends on the page the portal lands on (home, or `next_path`), signed in. With
    check=True (the default) the sign-in and security-code pages and the page it lands
    on are checked with axe, as every page a journey visits must be.
    """
    url = live_server.url + reverse("login")
    if next_path:
        url += "?" + urlencode({"next": next_path})
    page.goto(url)
    if check:
        assert_accessible(page)
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    if urlsplit(page.url).path == reverse("login"):
        summary = page.locator(".nhsuk-error-summary")
        problem = summary.inner_text() if summary.count() else "no error shown"
        raise AssertionError(f"Signing in as {email} failed: {problem}")
    if urlsplit(page.url).path == reverse("two_factor_verify"):
        if check:
            assert_accessible(page)
        page.get_by_label("Security code").fill(current_totp_code(email))
        page.get_by_role("button", name="Continue").click()
        page.wait_for_load_state()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    if check:
        assert_accessible(page)
    return page


def emailed_path(message):
    """The path (with query) of the first portal link in an email from mail.outbox.

    Emails carry PORTAL_BASE_URL, not the live server's address; open the result with
    live_url(...) or page.goto(...) (the page's base URL is the live server).
    """
    match = URL_IN_TEXT.search(message.body)
    assert match, f"No link in the email {message.subject!r}:\n{message.body}"
    parts = urlsplit(match.group(0))
    return parts.path + (f"?{parts.query}" if parts.query else "")


def assert_frontend_loaded(page):
    """NHS.UK frontend's CSS and JavaScript, the portal's own and htmx all arrived and ran.

    The page watcher already fails on a file that 404s; this catches a page whose
    stylesheet or scripts are missing from the HTML or never started.
    """
    state = page.evaluate(
        """() => ({
            headerColour: getComputedStyle(document.querySelector('.nhsuk-header')).backgroundColor,
            frontendSupported: document.body.classList.contains('nhsuk-frontend-supported'),
            skipLinkStarted: document.querySelector('.nhsuk-skip-link')
                .hasAttribute('data-nhsuk-skip-link-init'),
            htmx: typeof window.htmx === 'object' && typeof window.htmx.ajax === 'function',
        })"""
    )
    assert state == {
        "headerColour": "rgb(0, 94, 184)",  # NHS blue, from nhsuk-frontend.min.css
        "frontendSupported": True,
        "skipLinkStarted": True,  # initAll() from static/js/init.js ran
        "htmx": True,
    }, f"NHS.UK frontend, the portal's scripts or htmx did not load on {page.url}: {state}"
