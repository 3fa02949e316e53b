"""Real-browser journeys: Playwright (sync API) drives Debian's Chromium against the live server.

Write a journey in tests/browser/test_<area>.py, mark it `@pytest.mark.browser`, and
call `assert_accessible(page)` on every page it visits:

    import pytest
    from django.core import mail

    from tests.browser.helpers import assert_accessible, emailed_path, sign_in

    @pytest.mark.browser
    def test_manager_sees_the_premises(page, live_server, live_url, demo_world):
        sign_in(page, live_server, "manager@demo.portal.test")
        page.get_by_role("link", name="Calder Valley Pharmacy").click()
        assert_accessible(page)

Fixtures (this file):

- `browser` (session): one headless Chromium for the whole run, from env CHROMIUM_PATH
  (default /usr/bin/chromium). If it is missing the browser tests are skipped, or fail
  when REQUIRE_BROWSER=1 (CI sets it).
- `page`: a fresh context (cookies, storage) and page for this test. Relative
  addresses work: `page.goto("/premises/")` opens the live server. The page is watched:
  console errors (CSP refusals included), uncaught JavaScript errors, failed static
  files or htmx requests and requests to other sites fail the test, at the next
  `assert_accessible` or at the end of the test.
- `new_page(**context_options)`: another page in a context of its own, e.g. a second
  person in the same journey, or `new_page(viewport={"width": 375, "height": 812})`.
- `live_url(path_or_url_name, *args, **kwargs)`: absolute live-server URL, from a path
  ("/premises/") or a URL name with reverse() arguments ("premises_detail", pk).
- `demo_world`: the demo picture `manage.py seed_demo` builds (the West Yorkshire
  personas and every area's demo data), in the live server's database.
  `demo_world.user("manager")` is the User for manager@demo.portal.test;
  `demo_world.password` is every persona's password. mail.outbox starts empty after it.
- `live_server` (pytest-django): serves the portal and its static files from a thread
  of this process, so `django.core.mail.outbox` holds what it sent and Celery tasks run
  eagerly in it. Each test gets an empty database (transactional_db), flushed after.

Helpers (tests/browser/helpers.py, tests/browser/axe.py):

- `sign_in(page, live_server, email, password=DEMO_PASSWORD, next_path=None)`: through
  the real sign-in form, then the security-code page with the current authenticator
  code when the person uses two-factor. Checks both pages with axe on the way
  (`check=False` skips that, for a second sign-in of a journey that checked them).
  Signing the same person in twice in a test is fine.
- `current_totp_code(email)`: the code the person's authenticator shows now.
- `assert_accessible(page)`: axe-core with the WCAG 2.2 AA rules; fails with each rule
  id, its help text and the offending elements, and with anything the page watcher saw.
- `emailed_path(message)`: the portal path linked from an email in mail.outbox.
- `assert_frontend_loaded(page)`: NHS.UK frontend's CSS and JS, the portal's JS and
  htmx arrived and started (the foundation checks it; areas rarely need to).

Keep the suite quick: each test pays for an empty database and, with `demo_world`, for
seeding the demo (a few seconds on PostgreSQL). Prefer one journey that walks several
pages, or several people in their own `new_page()`, over many tiny tests; leave edge
cases to the request-level tests.
"""

import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse
from playwright.sync_api import sync_playwright

from accounts.management.demo import DEMO_PASSWORD, seed_demo
from tests.browser.watch import assert_no_page_problems, pages_not_checked, watch_page

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless=new",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    # The machine has no network beyond package registries: nothing may phone home.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DEFAULT_TIMEOUT_MS = 10_000
BROWSER_DIR = Path(__file__).resolve().parent


def pytest_itemcollected(item):
    # Every test here needs Chromium, so `-m "not browser"` must leave all of them out,
    # even a journey whose author forgot the marker.
    if BROWSER_DIR in item.path.parents:
        item.add_marker(pytest.mark.browser)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Run the browser tests after all the others (trylast: after pytest-django's sort).

    Once Playwright's sync API has started, the test thread reports a running asyncio
    loop until the session ends: an ordinary test after it would meet Django's
    SynchronousOnlyOperation or asgiref's refusal to run async_to_sync.
    """
    browser_items = [item for item in items if BROWSER_DIR in item.path.parents]
    if browser_items:
        in_browser = set(browser_items)
        items[:] = [item for item in items if item not in in_browser] + browser_items


@pytest.fixture(scope="session")
def browser():
    chromium = os.environ.get("CHROMIUM_PATH") or "/usr/bin/chromium"
    if not Path(chromium).is_file():
        reason = f"no Chromium at {chromium} (set CHROMIUM_PATH, or apt-get install chromium)"
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"REQUIRE_BROWSER=1 but {reason}", pytrace=False)
        pytest.skip(reason)
    # Playwright's sync API runs an asyncio loop in the test thread, which makes Django
    # refuse ORM calls there; the tests and the live server are plain synchronous code.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        chromium_browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield chromium_browser
        chromium_browser.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def new_page(browser, live_server):
    contexts = []
    pages = []
    watches = []

    def make(**context_options):
        options = {
            "base_url": live_server.url,
            "locale": "en-GB",
            "timezone_id": "Europe/London",
            "viewport": {"width": 1280, "height": 900},
            **context_options,
        }
        context = browser.new_context(**options)
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        watches.append(watch_page(page, live_server.url))
        pages.append(page)
        return page

    yield make
    try:
        for page in pages:
            if not page.is_closed():
                assert_no_page_problems(page)
        # Every page a journey opens is checked with axe (DESIGN.md: WCAG 2.2 AA).
        unchecked = [path for watch in watches for path in pages_not_checked(watch)]
        assert not unchecked, f"pages opened but never checked with axe: {unchecked}"
    finally:
        for context in contexts:
            context.close()


@pytest.fixture
def page(new_page):
    return new_page()


@pytest.fixture
def live_url(live_server):
    def make(path_or_url_name, *args, **kwargs):
        path = (
            path_or_url_name
            if path_or_url_name.startswith("/")
            else reverse(path_or_url_name, args=args or None, kwargs=kwargs or None)
        )
        return live_server.url + path

    return make


@dataclass(frozen=True)
class DemoWorld:
    personas: dict  # email -> User
    password: str = DEMO_PASSWORD

    def user(self, who):
        """A persona's User, by the part before @demo.portal.test ("manager") or in full."""
        return self.personas[who if "@" in who else f"{who}@demo.portal.test"]


@pytest.fixture
def demo_world(live_server):
    # As `manage.py seed_demo` does it, so journeys see what people trying the portal see.
    # Imported here so that an area's demo module that fails to import breaks only the
    # journeys that use the demo, not the collection of the whole suite.
    from demo.management.commands.seed_demo import AREA_SEEDERS

    with transaction.atomic():
        personas = seed_demo()
        for seed_area in AREA_SEEDERS:
            seed_area(personas)
    # A journey asserts on the email it caused, not on what seeding happened to send.
    mail.outbox.clear()
    return DemoWorld(personas)
