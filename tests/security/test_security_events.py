"""Security events in the append-only audit trail: request id and client address on each,
visible and filterable for portal admins only."""

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.audit import audit_record
from accounts.models import AuditEvent
from tests.conftest import ROLES, sign_in
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db

ACCESS_REFUSED = "access.refused"  # accounts.security
SIGN_IN_FAILED = "sign_in.failed"
TWO_FACTOR_RESET = "two_factor.reset"


def rows(response):
    """The audit table's rows only (the filter's choices name every action too)."""
    html = response.content.decode()
    return html.split('<tbody class="nhsuk-table__body">')[1] if "nhsuk-table__body" in html else ""


def refused(user):
    return AuditEvent.objects.filter(action=ACCESS_REFUSED, actor=user)


def test_an_out_of_scope_object_is_recorded_once_per_request(world):
    client = sign_in(Client(REMOTE_ADDR="192.0.2.44"), world.manager)
    response = client.get(reverse("premises_detail", args=[world.other_premises.pk]))
    assert response.status_code == 404
    event = refused(world.manager).get()
    assert event.changes == {
        "method": "GET",
        "path": f"/premises/{world.other_premises.pk}/",
        "status": 404,
    }
    assert event.request_id == response["X-Request-ID"]
    assert event.client_address == "192.0.2.44"
    # A refused POST is recorded too, once.
    client.post(reverse("premises_edit", args=[world.other_premises.pk]), {"name": "x"})
    assert refused(world.manager).count() == 2


def test_an_api_token_asking_for_another_organisations_premises_is_recorded(world):
    from api import services as api_services

    _, token = api_services.token_create(
        actor=world.head_office, organisation=world.premises.organisation, name="HR", valid_days=30
    )
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}", REMOTE_ADDR="192.0.2.45")
    mine = api.get(reverse("api_premises_detail", args=[world.premises.pk]))
    assert mine.status_code == 200
    assert not refused(world.head_office).exists()
    response = api.get(reverse("api_premises_detail", args=[world.other_premises.pk]))
    assert response.status_code == 404
    event = refused(world.head_office).get()
    assert event.changes["path"] == f"/api/v1/premises/{world.other_premises.pk}/"
    assert event.client_address == "192.0.2.45"
    # A bad token is no one's: nothing recorded against anybody.
    Client(HTTP_AUTHORIZATION="Bearer nope").get(
        reverse("api_premises_detail", args=[world.other_premises.pk])
    )
    assert AuditEvent.objects.filter(action=ACCESS_REFUSED).count() == 1


def test_pages_in_scope_and_anonymous_requests_record_nothing(world):
    client = sign_in(Client(), world.manager)
    assert client.get(reverse("premises_detail", args=[world.premises.pk])).status_code == 200
    Client().get(reverse("premises_detail", args=[world.other_premises.pk]))
    assert not AuditEvent.objects.filter(action=ACCESS_REFUSED).exists()


def test_removing_a_two_factor_device_is_recorded_as_a_reset(world):
    device = TOTPDevice.objects.create(user=world.unlocker, name="phone", confirmed=True)
    admin = sign_in(Client(), world.portal_admin)
    world.portal_admin.is_staff = world.portal_admin.is_superuser = True
    world.portal_admin.save()
    url = reverse("admin:otp_totp_totpdevice_delete", args=[device.pk])
    assert admin.post(url, {"post": "yes"}).status_code == 302
    event = AuditEvent.objects.get(action=TWO_FACTOR_RESET)
    assert event.actor == world.portal_admin
    assert event.object_id == str(world.unlocker.pk)
    assert event.request_id


def test_a_device_never_confirmed_is_not_a_reset(world):
    TOTPDevice.objects.create(user=world.unlocker, name="phone", confirmed=False).delete()
    assert not AuditEvent.objects.filter(action=TWO_FACTOR_RESET).exists()


@pytest.fixture
def security_events(world):
    Client(REMOTE_ADDR="203.0.113.7").post(
        reverse("login"), {"username": world.staff.email, "password": "wrong"}
    )
    audit_record(actor=world.manager, action="membership.ended", premises=world.premises)
    return AuditEvent.objects.get(action=SIGN_IN_FAILED)


@pytest.mark.parametrize("role", ROLES)
def test_only_portal_admins_see_sign_in_failures(world, security_events, role):
    response = sign_in(Client(), world.user(role)).get(reverse("audit_list"))
    html = rows(response)
    if role == "portal_admin":
        assert "Sign-in failed" in html
        assert "From 203.0.113.7, request " in html
    else:
        assert "Sign-in failed" not in html


def test_portal_admin_filters_security_events(world, security_events):
    client = sign_in(Client(), world.portal_admin)
    url = reverse("audit_list")
    only = rows(client.get(url, {"security": "on"}))
    assert "Sign-in failed" in only and "Membership ended" not in only
    by_address = rows(client.get(url, {"client_address": "203.0.113.7"}))
    assert "Sign-in failed" in by_address and "Membership ended" not in by_address
    by_request = rows(client.get(url, {"request_id": security_events.request_id}))
    assert "Sign-in failed" in by_request and "Membership ended" not in by_request
    by_action = rows(client.get(url, {"action": SIGN_IN_FAILED}))
    assert "Sign-in failed" in by_action and "Membership ended" not in by_action


@pytest.mark.parametrize(
    "query",
    [
        {"client_address": "not an address"},
        {"client_address": "999.1.1.1"},
        {"client_address": "1" * 500},
        {"request_id": "x" * 65},
        {"request_id": "\x00"},
        {"security": "maybe"},
        {"action": "no.such.action"},
    ],
)
def test_bad_filter_values_are_not_a_server_error(world, security_events, query):
    response = sign_in(Client(), world.portal_admin).get(reverse("audit_list"), query)
    assert response.status_code == 200


def test_sign_in_failure_carries_the_lockout_identity_not_what_was_typed(world):
    Client().post(
        reverse("login"), {"username": f"  {world.staff.email.upper()} ", "password": "x"}
    )
    Client().post(reverse("login"), {"username": world.staff.email, "password": TEST_PASSWORD})
    event = AuditEvent.objects.get(action=SIGN_IN_FAILED)
    assert event.changes == {"email": world.staff.email}
