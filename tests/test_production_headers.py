"""Production responses, checked under DJANGO_ENV=production settings.

Settings are read once at import, so the production pages are requested in a child
process, on a throwaway SQLite database, over HTTPS as the load balancer would forward it.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

PROBE = r"""
import json, django
django.setup()
from django.conf import settings
from django.db import connection
from django.test.utils import override_settings, setup_test_environment

# Collected static files are the deployment's business, not what is checked here; tables
# straight from the models are enough for one sign-in.
override_settings(
    STORAGES={**settings.STORAGES, "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}},
).enable()
settings.DATABASES["default"]["TEST"] = {"NAME": None, "MIGRATE": False}
setup_test_environment()
connection.creation.create_test_db(verbosity=0)
from django.test import Client
from accounts.models import User

User.objects.create_user("probe@example.test", "Probe Person", "a-long-probe-password-1")
https = {"secure": True, "HTTP_X_FORWARDED_PROTO": "https"}
client = Client(HTTP_HOST="portal.example.nhs.uk")
sign_in_page = client.get("/account/sign-in/", **https)
signed_in = client.post(
    "/account/sign-in/",
    {"username": "probe@example.test", "password": "a-long-probe-password-1"},
    **https,
)
plain_http = Client(HTTP_HOST="portal.example.nhs.uk").get("/account/sign-in/")


def cookies(response):
    return {
        name: {key: str(morsel[key]) for key in ("secure", "httponly", "samesite")}
        for name, morsel in response.cookies.items()
    }


print(json.dumps({
    "sign_in_status": sign_in_page.status_code,
    "headers": dict(sign_in_page.headers),
    "signed_in_status": signed_in.status_code,
    "cookies": {**cookies(sign_in_page), **cookies(signed_in)},
    "http_status": plain_http.status_code,
    "http_location": plain_http.headers.get("Location", ""),
}))
"""


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(
        DJANGO_ENV="production",
        DJANGO_SETTINGS_MODULE="pharmacy_portal.settings",
        SECRET_KEY="a-production-looking-secret-" + "x7Qp2" * 10,
        ALLOWED_HOSTS="portal.example.nhs.uk",
        PORTAL_BASE_URL="https://portal.example.nhs.uk",
        DATABASE_URL=f"sqlite:///{tmp_path_factory.mktemp('prod')}/portal.sqlite3",
        # Nothing here reaches Redis: the pages read no cache and queue no task.
        REDIS_URL="redis://127.0.0.1:1/0",
    )
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_pages_answer_over_https(production):
    assert production["sign_in_status"] == 200
    assert production["signed_in_status"] == 302


def test_plain_http_is_sent_to_https(production):
    assert production["http_status"] == 301
    assert production["http_location"].startswith("https://portal.example.nhs.uk/")


def test_hsts_for_a_year_with_subdomains(production):
    hsts = production["headers"]["Strict-Transport-Security"]
    assert "max-age=31536000" in hsts
    assert "includeSubDomains" in hsts


def test_csp_allows_no_inline_script_and_no_framing(production):
    directives = {
        part.split()[0]: part.split()[1:]
        for part in production["headers"]["Content-Security-Policy"].split(";")
        if part.strip()
    }
    assert "'unsafe-inline'" not in directives["script-src"]
    assert "'unsafe-eval'" not in directives["script-src"]
    assert any(source.startswith("'nonce-") for source in directives["script-src"])
    assert "'unsafe-inline'" not in directives.get("style-src", [])
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["object-src"] == ["'none'"]
    assert production["headers"]["X-Frame-Options"] == "DENY"


def test_privacy_and_sniffing_headers(production):
    headers = production["headers"]
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    for feature in ("camera=()", "microphone=()", "geolocation=()"):
        assert feature in headers["Permissions-Policy"]


@pytest.mark.parametrize("name", ["sessionid", "csrftoken"])
def test_cookies_are_secure_httponly_and_same_site(production, name):
    cookie = production["cookies"][name]
    assert cookie["secure"] == "True"
    assert cookie["httponly"] == "True"
    assert cookie["samesite"] == "Lax"
