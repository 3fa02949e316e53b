"""Emailed links point at the address the portal is served on."""

import subprocess
from pathlib import Path

import pytest
from django.core import mail

from accounts import services
from accounts.models import Membership

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db
def test_an_invitation_links_to_the_configured_host_and_port(
    world, settings, django_capture_on_commit_callbacks
):
    settings.PORTAL_BASE_URL = "http://127.0.0.1:8123"
    with django_capture_on_commit_callbacks(execute=True):
        services.invitation_create(
            actor=world.manager,
            premises=world.premises,
            email="new.starter@example.test",
            full_name="New Starter",
            job_role=Membership.JobRole.DISPENSER,
        )
    [message] = mail.outbox
    [link] = [line for line in message.body.splitlines() if "/invitations/" in line]
    assert link.startswith("http://127.0.0.1:8123/invitations/")


def make_run_dry(*args, env=None):
    result = subprocess.run(
        ["make", "-n", "run", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_make_run_sets_the_base_url_from_host_and_port():
    assert "PORTAL_BASE_URL=http://127.0.0.2:8123 " in make_run_dry("HOST=127.0.0.2", "PORT=8123")
    assert "PORTAL_BASE_URL=http://127.0.0.1:8000 " in make_run_dry()


def test_portal_base_url_overrides_host_and_port():
    out = make_run_dry("PORT=8123", "PORTAL_BASE_URL=https://portal.example.nhs.uk")
    assert "PORTAL_BASE_URL=https://portal.example.nhs.uk " in out
