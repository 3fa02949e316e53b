import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_ENV = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": "a-production-looking-secret-" + "x7Qp2" * 10,
    "ALLOWED_HOSTS": "portal.example.nhs.uk",
    "DATABASE_URL": "postgres://portal@127.0.0.1:5432/portal",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "PORTAL_BASE_URL": "https://portal.example.nhs.uk",
}


def run_manage(*args, env_overrides):
    env = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    "missing", ["SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL", "PORTAL_BASE_URL"]
)
def test_production_refuses_to_start_without_its_settings(missing):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != missing}
    result = run_manage("check", env_overrides=env)
    assert result.returncode != 0
    assert f"{missing} must be set when DJANGO_ENV=production" in result.stderr


def test_production_passes_deploy_checks():
    result = run_manage(
        "check", "--deploy", "--fail-level", "WARNING", env_overrides=PRODUCTION_ENV
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


@pytest.mark.django_db
def test_security_headers_on_every_response():
    response = Client().get("/account/sign-in/")
    csp = response["Content-Security-Policy"]
    script_src = next(part for part in csp.split(";") if part.strip().startswith("script-src"))
    assert "'unsafe-inline'" not in script_src
    assert "'nonce-" in script_src
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "camera=()" in response["Permissions-Policy"]
    assert len(response["X-Request-ID"]) >= 8


@pytest.mark.django_db
def test_inline_script_carries_the_nonce():
    response = Client().get("/account/sign-in/")
    nonce = response["Content-Security-Policy"].split("'nonce-")[1].split("'")[0]
    assert f'nonce="{nonce}"' in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["", "?format=json", "?format=openmetrics", "?format=atom"])
def test_health_tells_anonymous_callers_only_ok(query):
    response = Client().get(f"/health/{query}", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert response["Content-Type"].startswith("text/plain")


@pytest.mark.django_db
def test_health_says_unavailable_without_details_when_a_check_fails(monkeypatch):
    from health_check.checks import Database

    async def broken(self):
        from health_check.exceptions import ServiceUnavailable

        raise ServiceUnavailable("database at db.internal:5432 refused")

    monkeypatch.setattr(Database, "run", broken)
    response = Client().get("/health/?format=json")
    assert response.status_code == 503
    assert response.content == b"unavailable\n"


@pytest.mark.django_db
def test_health_details_for_the_health_token(settings):
    settings.HEALTH_TOKEN = "monitoring-" + "k" * 30
    with_token = Client(HTTP_X_HEALTH_TOKEN=settings.HEALTH_TOKEN)
    body = with_token.get("/health/?format=json").json()
    assert any("Database" in name for name in body)
    wrong = Client(HTTP_X_HEALTH_TOKEN="monitoring-wrong").get("/health/?format=json")
    assert wrong.content == b"ok\n"


@pytest.mark.django_db
def test_health_without_a_token_set_gives_no_one_details_by_header(settings):
    settings.HEALTH_TOKEN = ""
    response = Client(HTTP_X_HEALTH_TOKEN="").get("/health/?format=json")
    assert response.content == b"ok\n"


@pytest.mark.parametrize("role", ["staff", "manager", "unlocker", "head_office", "portal_admin"])
def test_health_details_only_for_verified_portal_admins(world, role):
    from tests.conftest import sign_in

    response = sign_in(Client(), world.user(role)).get("/health/?format=json")
    if role == "portal_admin":
        assert any("Database" in name for name in response.json())
    else:
        assert response.content == b"ok\n"
    unverified = sign_in(Client(), world.portal_admin, verified=False)
    assert unverified.get("/health/?format=json").content == b"ok\n"
