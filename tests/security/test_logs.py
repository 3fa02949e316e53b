"""Every log line of a request carries the request id its audit events carry, the user id
and the organisation, so a request can be followed from log to audit event."""

import json
import logging

import pytest
import structlog
from django.test import Client
from django.urls import reverse

from accounts.models import AuditEvent
from pharmacy_portal import settings as portal_settings
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db

ACCESS_REFUSED = "access.refused"  # accounts.security


@pytest.fixture
def log_lines():
    """What the portal's log formatter writes, as JSON, for every line logged."""
    config = portal_settings.LOGGING["formatters"]["structured"]
    formatter = structlog.stdlib.ProcessorFormatter(
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.JSONRenderer(default=str),
        ],
        foreign_pre_chain=config["foreign_pre_chain"],
    )
    lines = []

    class Collect(logging.Handler):
        def emit(self, record):
            lines.append(json.loads(formatter.format(record)))

    handler = Collect(level=logging.INFO)
    root = logging.getLogger()
    root.addHandler(handler)
    yield lines
    root.removeHandler(handler)


def test_every_line_of_a_request_carries_request_user_and_organisation(world, log_lines):
    # Signed in through the form, as people do: the organisations are noted at sign-in.
    client = Client()
    client.post(reverse("login"), {"username": world.manager.email, "password": TEST_PASSWORD})
    log_lines.clear()
    response = client.get(reverse("premises_detail", args=[world.other_premises.pk]))
    assert response.status_code == 404
    request_id = response["X-Request-ID"]
    lines = [line for line in log_lines if line.get("request_id") == request_id]
    assert {"request_started", "request_finished"} <= {line["event"] for line in lines}
    assert any(line["event"].startswith("Not Found") for line in lines)
    assert len(lines) == len(log_lines), log_lines
    for line in lines:
        assert line["user_id"] == world.manager.pk
        assert line["organisation"] == str(world.premises.organisation_id)
    # The same id is on the audit event the refused request wrote.
    assert AuditEvent.objects.get(action=ACCESS_REFUSED).request_id == request_id


def test_api_lines_carry_the_tokens_organisation(world, log_lines):
    from api import services

    _, token = services.token_create(
        actor=world.head_office, organisation=world.premises.organisation, name="HR", valid_days=30
    )
    response = Client(HTTP_AUTHORIZATION=f"Bearer {token}").get(reverse("api_premises_list"))
    finished = [
        line
        for line in log_lines
        if line["event"] == "request_finished" and line["request_id"] == response["X-Request-ID"]
    ]
    assert finished[0]["organisation"] == str(world.premises.organisation_id)
    assert finished[0]["user_id"] == world.head_office.pk
