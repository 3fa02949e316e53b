"""Locust users for `make load`, driven by loadtest/run.py.

Each user takes a prepared persona (a signed-in session and the pages that person opens)
from the JSON file named by LOAD_PERSONAS. Requests are named "<persona kind>: <URL name>"
so the figures read per page.
"""

import itertools
import json
import os
import re

from locust import HttpUser, between, task

with open(os.environ["LOAD_PERSONAS"]) as personas_file:
    PERSONAS = json.load(personas_file)

_next = {kind: itertools.cycle(people) for kind, people in PERSONAS.items() if people}

CLAIM_FORM = re.compile(r'action="(/smartcards/requests/(\d+)/claim/)"')
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _problem(response):
    # Status 0 is no answer at all: the connection error says why.
    return repr(response.error) if response.status_code == 0 else str(response.status_code)


class PortalUser(HttpUser):
    abstract = True
    kind = ""
    wait_time = between(1, 3)

    def on_start(self):
        self.persona = next(_next[self.kind])
        self.client.headers["Cookie"] = f"sessionid={self.persona['session']}"

    def open(self, page):
        with self.client.get(
            page["path"], name=f"{self.kind}: {page['name']}", allow_redirects=False,
            catch_response=True,
        ) as response:  # fmt: skip
            if response.status_code != 200:
                response.failure(_problem(response))


class StaffUser(PortalUser):
    """Monday morning: staff opening their premises' pages one after another."""

    kind = "staff"
    weight = 6

    @task
    def premises_pages(self):
        for page in self.persona["pages"]:
            self.open(page)


class UnlockerUser(PortalUser):
    """Unlockers keep the queue open; htmx refreshes its rows every few seconds."""

    kind = "unlocker"
    weight = 3
    wait_time = between(2, 4)

    @task(3)
    def poll_queue(self):
        for page in self.persona["pages"]:
            self.open(page)

    @task(1)
    def claim_and_release(self):
        """Claim the first open request in the queue, then put it back for the next one.

        Production cookies are Secure and the load runs on plain HTTP, so the session and
        CSRF cookies go in the Cookie header, and X-Forwarded-Proto says what the TLS proxy
        in front would (settings.SECURE_PROXY_SSL_HEADER); the Referer is the queue, as a
        browser's would be.
        """
        queue = self.client.get("/smartcards/queue/", name="unlocker: smartcard_queue")
        claim, token = CLAIM_FORM.search(queue.text), CSRF_FIELD.search(queue.text)
        csrf_cookie = queue.cookies.get("csrftoken")
        if not (claim and token and csrf_cookie):
            return
        headers = {
            "Cookie": f"sessionid={self.persona['session']}; csrftoken={csrf_cookie}",
            "Referer": f"https://{self.host.split('://', 1)[1]}/smartcards/queue/",
            "X-Forwarded-Proto": "https",
        }
        form = {"csrfmiddlewaretoken": token.group(1), "from": "queue"}
        for step, path in (
            ("claim", claim.group(1)),
            ("release", f"/smartcards/requests/{claim.group(2)}/release/"),
        ):
            with self.client.post(
                path, data=form, headers=headers, name=f"unlocker: {step}",
                allow_redirects=False, catch_response=True,
            ) as response:  # fmt: skip
                if response.status_code != 302:
                    response.failure(_problem(response))


class HeadOfficeUser(PortalUser):
    """Head-office admins on the dashboard of a 2,000-premises group, exporting now and then."""

    kind = "head_office"
    weight = 1
    wait_time = between(2, 5)

    @task(4)
    def dashboards(self):
        for page in self.persona["pages"]:
            self.open(page)

    @task(1)
    def export(self):
        for page in self.persona["exports"]:
            self.open(page)
