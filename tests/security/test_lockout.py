"""Sign-in lockout cannot be sidestepped by how the email is typed, and one client address
guessing at many accounts is stopped too. Every failure and lockout is audited."""

import pytest
from axes.models import AccessAttempt
from django.test import Client

from accounts.models import AuditEvent
from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

SIGN_IN_FAILED = "sign_in.failed"  # accounts.security
SIGN_IN_LOCKED_OUT = "sign_in.locked_out"

LOGIN = "/account/sign-in/"


def variants(email):
    local, _, domain = email.partition("@")
    return {
        "as stored": email,
        "upper case": email.upper(),
        "title case": email.title(),
        "mixed case": local.capitalize() + "@" + domain.upper(),
        "leading and trailing spaces": f"  {email}  ",
        "tab and newline": f"\t{email}\n",
        "upper with spaces": f" {email.upper()} ",
        "fullwidth at sign": email.replace("@", "\uff20"),
    }


def sign_in(email, password, address="203.0.113.7"):
    return Client(REMOTE_ADDR=address).post(LOGIN, {"username": email, "password": password})


def lock(email):
    statuses = [sign_in(email, "wrong-password").status_code for _ in range(5)]
    # The fifth wrong password is the one that locks.
    assert statuses == [200, 200, 200, 200, 429]


@pytest.mark.parametrize("variant", list(variants("x@y.z")))
def test_every_variant_of_a_locked_address_is_locked(world, variant):
    lock(world.staff.email)
    response = sign_in(variants(world.staff.email)[variant], TEST_PASSWORD)
    assert response.status_code == 429
    assert "Your account is locked for 15 minutes" in response.content.decode()


@pytest.mark.parametrize("variant", list(variants("x@y.z")))
def test_guesses_spread_over_variants_count_together(world, variant):
    typed = list(variants(world.staff.email).values())
    for attempt in range(5):
        sign_in(typed[attempt % len(typed)], "wrong-password")
    assert sign_in(variants(world.staff.email)[variant], TEST_PASSWORD).status_code == 429
    # One record for the account, whatever was typed.
    assert set(AccessAttempt.objects.values_list("username", flat=True)) == {world.staff.email}


def test_a_variant_with_the_right_password_does_not_clear_the_lock(world):
    lock(world.staff.email)
    assert sign_in(world.staff.email.upper(), TEST_PASSWORD).status_code == 429
    assert sign_in(world.staff.email, TEST_PASSWORD).status_code == 429


def test_four_failures_then_the_right_password_signs_in_and_clears_them(world):
    for _ in range(4):
        sign_in(world.staff.email.upper(), "wrong-password")
    assert sign_in(f" {world.staff.email} ", TEST_PASSWORD).status_code == 302
    for _ in range(4):
        sign_in(world.staff.email, "wrong-password")
    assert sign_in(world.staff.email, TEST_PASSWORD).status_code == 302


def test_many_accounts_guessed_from_one_address_lock_that_address(world, settings):
    settings.LOCKOUT_ADDRESS_FAILURE_LIMIT = 12
    people = [UserFactory() for _ in range(4)]
    for person in people:
        for _ in range(3):  # under the account limit for each
            sign_in(person.email, "wrong-password", address="198.51.100.9")
    response = sign_in(world.staff.email, TEST_PASSWORD, address="198.51.100.9")
    assert response.status_code == 429
    html = response.content.decode()
    assert "Sign-in from this connection is paused for 15 minutes" in html
    assert "12 or more wrong passwords from this internet connection" in html
    # Colleagues elsewhere are not affected, and no single account was locked.
    assert sign_in(world.staff.email, TEST_PASSWORD, address="192.0.2.1").status_code == 302
    assert sign_in(people[0].email, TEST_PASSWORD, address="192.0.2.1").status_code == 302


def test_a_pharmacy_sharing_one_address_is_not_locked_by_a_few_mistakes(world):
    colleagues = [UserFactory() for _ in range(3)]
    for person in colleagues:
        sign_in(person.email, "wrong-password")
        sign_in(person.email, "wrong-password")
    assert sign_in(world.staff.email, TEST_PASSWORD).status_code == 302


def test_a_successful_sign_in_does_not_clear_the_address_count(world, settings):
    settings.LOCKOUT_ADDRESS_FAILURE_LIMIT = 6
    for person in [UserFactory() for _ in range(3)]:
        sign_in(person.email, "wrong-password")
        sign_in(person.email, "wrong-password")
    # The sixth failure from the address was the last one: an own good password does not
    # wipe the address's count.
    assert sign_in(world.manager.email, TEST_PASSWORD).status_code == 429


def test_failures_and_lockouts_are_audited_with_request_id_and_address(world):
    for _ in range(5):
        response = sign_in(world.staff.email.upper(), "wrong-password")
    sign_in(world.staff.email, TEST_PASSWORD)
    failed = AuditEvent.objects.filter(action=SIGN_IN_FAILED)
    # Five wrong passwords, and the right one refused while locked.
    assert failed.count() == 6
    event = failed.last()
    assert event.actor is None and event.actor_label == "not signed in"
    assert event.object_id == str(world.staff.pk)
    assert event.changes == {"email": world.staff.email}
    assert event.client_address == "203.0.113.7"
    assert failed.filter(request_id=response["X-Request-ID"]).exists()
    # The fifth failure locked the account; the right password after it was refused.
    locked = AuditEvent.objects.filter(action=SIGN_IN_LOCKED_OUT)
    assert locked.count() == 2
    assert locked.first().changes == {"email": world.staff.email, "locked": "account"}


def test_failed_sign_in_for_an_unknown_email_is_audited_without_an_account(db):
    sign_in("Nobody@Example.test", "wrong-password")
    event = AuditEvent.objects.get(action=SIGN_IN_FAILED)
    assert event.object_id == ""
    assert event.changes == {"email": "nobody@example.test"}
