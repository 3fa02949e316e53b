"""Schemathesis drives every operation in the served OpenAPI schema with generated
requests and runs all its checks on every answer: no 5xx, every status and body as the
schema documents, valid requests accepted, invalid ones refused, undocumented methods 405,
missing token 401. Check settings: schemathesis.toml."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings

from api import services
from pharmacy_portal.wsgi import application
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

EXAMPLES_PER_OPERATION = 15


@pytest.fixture
def keep_test_connection():
    """Requests go straight to the WSGI application, whose request signals would close
    the test's database connection mid-transaction; Django's test Client avoids the same
    by disconnecting them."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_every_operation_keeps_the_schema(world, keep_test_connection):
    MembershipFactory(premises=world.second_premises)
    _, token = services.token_create(
        actor=world.head_office,
        organisation=world.premises.organisation,
        name="Fuzz",
        valid_days=30,
    )
    schema = schemathesis.openapi.from_wsgi(
        "/api/v1/schema/?format=json",
        application,
        headers={"Authorization": f"Bearer {token}"},
    )
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 14
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case):
            case.call_and_validate(headers={"Authorization": f"Bearer {token}"})

        run()
