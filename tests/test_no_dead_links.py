"""No link to a page the viewer may not open: each persona of the demo walks every page
reachable from their home page by links, and every link they are shown answers."""

import io
import re
from collections import deque
from urllib.parse import urldefrag, urlsplit

import pytest
from django.core.management import call_command
from django.test import Client

from accounts.models import User
from tests.conftest import sign_in

PERSONAS = [
    "staff@demo.portal.test",
    "manager@demo.portal.test",
    "locum@demo.portal.test",
    "unlocker@demo.portal.test",
    "headoffice@demo.portal.test",
    "admin@demo.portal.test",
]
HREF = re.compile(r'href="([^"]+)"')
# Links that leave, download, or change something on GET are not followed.
SKIP = re.compile(
    r"^(?:/static/|/account/sign-out|/account/password|/account/reset|/api/v1/|/api/schema)"
    r"|format=csv|\.csv|export|/admin/"
)
MAX_PAGES = 160


def _links(html):
    for href in HREF.findall(html):
        href = urldefrag(href.replace("&amp;", "&"))[0]
        parts = urlsplit(href)
        if parts.scheme or parts.netloc or not href.startswith("/"):
            continue
        if SKIP.search(href):
            continue
        # Paging and filter links repeat pages already walked.
        if "page=" in href or "sort=" in href:
            continue
        yield href


@pytest.fixture
def demo(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("seed_demo", stdout=io.StringIO())


@pytest.mark.parametrize("email", PERSONAS)
def test_every_link_a_persona_is_shown_answers(demo, email):
    client = sign_in(Client(), User.objects.get(email=email))
    seen, queue, dead = {"/"}, deque(["/"]), []
    while queue and len(seen) < MAX_PAGES:
        path = queue.popleft()
        response = client.get(path)
        if response.status_code in (301, 302):
            continue
        content_type = response.get("Content-Type", "")
        if response.status_code != 200 or "text/html" not in content_type:
            continue
        for href in _links(response.content.decode()):
            if href in seen:
                continue
            seen.add(href)
            answer = client.get(href)
            if answer.status_code in (403, 404, 500):
                dead.append(f"{path} -> {href}: {answer.status_code}")
            elif answer.status_code == 200:
                queue.append(href)
    assert not dead, "\n".join(dead)
