"""Fixtures shared by the whole suite: one per role, and clients signed in as each.

`world` builds two organisations side by side so every test can also ask what a user of
the other organisation sees (it must be 404).
"""

from dataclasses import dataclass

import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from pharmacy_portal.celery import app as celery_app
from tests.factories import (
    MembershipFactory,
    OrganisationAdminFactory,
    PremisesFactory,
    UnlockerCoverFactory,
    UserFactory,
)

ROLES = ["staff", "manager", "unlocker", "head_office", "portal_admin"]


def _flush_past_the_audit_truncate_trigger():
    """The audit table refuses TRUNCATE (accounts migration 0008), and Django empties the
    test database between transactional tests (browser, real worker, row locking) with
    TRUNCATE. The test database's owner lifts that one trigger for the flush alone,
    inside the flush's own transaction, so every other statement in the suite, and the
    test that TRUNCATE is refused, still meets it. Production has no such path."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    flush = DatabaseOperations.execute_sql_flush
    trigger = "TRIGGER accounts_auditevent_no_truncate"

    def execute_sql_flush(self, sql_list):
        if any("accounts_auditevent" in sql for sql in sql_list):
            sql_list = [
                f"ALTER TABLE accounts_auditevent DISABLE {trigger}",
                *sql_list,
                f"ALTER TABLE accounts_auditevent ENABLE {trigger}",
            ]
        return flush(self, sql_list)

    DatabaseOperations.execute_sql_flush = execute_sql_flush


_flush_past_the_audit_truncate_trigger()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The production hasher is slow by design; tests hash hundreds of passwords.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _celery_eager():
    """Run tasks in-process unless a test asks for a real worker (tests/worker)."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


def sign_in(client, user, *, verified=True):
    """Sign a test client in; verified users have passed the second factor."""
    client.force_login(user)
    if verified:
        device, _ = TOTPDevice.objects.get_or_create(
            user=user, defaults={"name": "test", "confirmed": True}
        )
        session = client.session
        session["otp_device_id"] = device.persistent_id
        session.save()
    return client


@dataclass
class World:
    premises: object
    second_premises: object
    other_premises: object
    staff: object
    manager: object
    unlocker: object
    head_office: object
    portal_admin: object
    other_manager: object
    other_head_office: object

    def user(self, role):
        return getattr(self, role)


@pytest.fixture
def world(db):
    premises = PremisesFactory(name="Calder Pharmacy")
    second_premises = PremisesFactory(organisation=premises.organisation, name="Aire Pharmacy")
    other_premises = PremisesFactory(name="Elsewhere Pharmacy")
    staff = MembershipFactory(premises=premises, user__full_name="Sam Staff").user
    manager = MembershipFactory(
        premises=premises, is_manager=True, job_role="pharmacist", user__full_name="Mia Manager"
    ).user
    unlocker = UnlockerCoverFactory(premises=premises, unlocker__full_name="Uma Unlocker").unlocker
    head_office = OrganisationAdminFactory(
        organisation=premises.organisation, user__full_name="Hal Office"
    ).user
    portal_admin = UserFactory(full_name="Pat Admin", is_portal_admin=True)
    other_manager = MembershipFactory(premises=other_premises, is_manager=True).user
    other_head_office = OrganisationAdminFactory(organisation=other_premises.organisation).user
    return World(
        premises,
        second_premises,
        other_premises,
        staff,
        manager,
        unlocker,
        head_office,
        portal_admin,
        other_manager,
        other_head_office,
    )


@pytest.fixture
def client_for(world):
    """client_for("manager") -> a Client signed in (and two-factor verified) as that role."""

    def make(role):
        return sign_in(Client(), world.user(role))

    return make


@pytest.fixture
def real_celery_worker(transactional_db, settings):
    """A real Celery worker, in a thread, taking tasks from Redis (not eager).

    Tasks it runs see committed data only, hence transactional_db. Skipped without
    REDIS_URL; `.ci/run` always sets it.
    """
    if not settings.REDIS_URL:
        pytest.skip("needs REDIS_URL: this test runs tasks through a real worker on Redis")
    from celery.contrib.testing.worker import start_worker

    celery_app.conf.task_always_eager = False
    # Messages an earlier test left in the queue (an email queued as its worker stopped)
    # must not be taken by this test's worker.
    celery_app.control.purge()
    with start_worker(
        celery_app, perform_ping_check=False, loglevel="WARNING", shutdown_timeout=30
    ):
        yield celery_app
    celery_app.control.purge()


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    # Tests that start a real Celery worker are marked `real_worker`: `make test` runs
    # them one per process after the rest, because a worker thread started in one test
    # can leave consumers and late messages behind that disturb the next.
    for item in items:
        if "real_celery_worker" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.real_worker)
