"""On PostgreSQL the audit trail cannot be emptied: TRUNCATE is refused by a trigger even
for the owner, and the portal, running as its restricted role, holds no TRUNCATE, UPDATE
or DELETE on the audit table and cannot switch its triggers off."""

import uuid

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.urls import reverse

from accounts import services
from accounts.checks import check_database_role
from accounts.database_roles import connected_role_problems, portal_role_grants
from accounts.models import AuditEvent
from tests.conftest import sign_in
from tests.factories import TEST_PASSWORD

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL roles and triggers"),
    pytest.mark.django_db,
]


def refused(statement, match):
    with (
        pytest.raises(DatabaseError, match=match),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)


@pytest.fixture
def portal_role(db):
    """The test's connection becomes a role holding exactly the production grants, for
    the rest of the test's transaction (which rolls the role back with everything else)."""
    name = f"portal_test_{uuid.uuid4().hex[:12]}"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {name} NOLOGIN")
        for statement in portal_role_grants(name):
            cursor.execute(statement)
        cursor.execute(f"SET LOCAL ROLE {name}")
    return name


def test_the_portal_works_as_its_restricted_role(world, portal_role):
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        assert cursor.fetchone()[0] == portal_role
    assert connected_role_problems() == []
    # Sign in (sessions, lockout records), change something (audit insert), read pages.
    client = Client()
    response = client.post(
        reverse("login"), {"username": world.manager.email, "password": TEST_PASSWORD}
    )
    assert response.status_code == 302
    Client().post(reverse("login"), {"username": world.staff.email, "password": "wrong"})
    head_office = sign_in(Client(), world.head_office)
    services.premises_update(actor=world.head_office, premises=world.premises, name="Renamed")
    assert client.get(reverse("premises_detail", args=[world.premises.pk])).status_code == 200
    assert head_office.get(reverse("audit_list")).status_code == 200
    assert AuditEvent.objects.filter(action="sign_in.failed").exists()
    assert AuditEvent.objects.filter(action="premises.updated").exists()


def test_the_restricted_role_cannot_empty_or_rewrite_the_audit_trail(world, portal_role):
    services.premises_update(actor=world.head_office, premises=world.premises, name="Renamed")
    for statement in (
        "TRUNCATE accounts_auditevent",
        "UPDATE accounts_auditevent SET action = 'forged'",
        "DELETE FROM accounts_auditevent",
    ):
        refused(statement, "permission denied")
    refused("ALTER TABLE accounts_auditevent DISABLE TRIGGER ALL", "must be owner")
    refused("DROP TRIGGER accounts_auditevent_no_truncate ON accounts_auditevent", "must be owner")
    refused("SET session_replication_role = replica", "permission denied")
    refused("TRUNCATE accounts_premises CASCADE", "permission denied")
    assert AuditEvent.objects.filter(action="premises.updated").exists()


def test_deploy_check_warns_about_a_superuser_in_production(settings):
    settings.PRODUCTION = True
    warnings = check_database_role(None)
    # The test database is reached as the cluster's superuser.
    assert [w.id for w in warnings] == ["portal.W001"]
    assert "a superuser" in warnings[0].msg


def test_deploy_check_is_quiet_for_the_portal_role(settings, portal_role):
    settings.PRODUCTION = True
    assert check_database_role(None) == []


@pytest.mark.parametrize("name", ["Portal", "portal; DROP TABLE x", "", "p" * 64, "pörtal"])
def test_role_names_must_be_plain_identifiers(name):
    with pytest.raises(ValueError, match="lower-case"):
        portal_role_grants(name)
