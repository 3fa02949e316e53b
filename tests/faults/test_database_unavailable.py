"""A lost database answers a plain 503 page with Retry-After, and the portal recovers by
itself. The fault script (tests/faults/run_faults.py) shows the same against a real
PostgreSQL being stopped; these tests pin the behaviour on any database."""

from unittest import mock

import psycopg
import pytest
from django.db import Error, InterfaceError, OperationalError, connections
from django.test import Client
from django.urls import reverse

from pharmacy_portal.middleware import DatabaseUnavailableMiddleware, is_database_unavailable
from tests.conftest import sign_in


def _wrapped(driver_error, django_error=OperationalError):
    try:
        raise driver_error
    except psycopg.Error as exc:
        try:
            raise django_error(str(exc)) from exc
        except Error as wrapped:
            return wrapped


def _database_down():
    return mock.patch.object(
        connections["default"],
        "ensure_connection",
        side_effect=_wrapped(psycopg.OperationalError("connection refused")),
    )


@pytest.fixture
def staff_client(world):
    return sign_in(Client(raise_request_exception=False), world.staff)


@pytest.mark.django_db
def test_a_page_answers_503_with_retry_after_while_the_database_is_down(staff_client, world):
    url = reverse("premises_detail", kwargs={"pk": world.premises.pk})
    with _database_down():
        response = staff_client.get(url)
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    body = response.content.decode()
    assert "Sorry, the service is unavailable" in body
    assert "Traceback" not in body
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
def test_the_page_works_again_once_the_database_is_back(staff_client, world):
    url = reverse("premises_detail", kwargs={"pk": world.premises.pk})
    with _database_down():
        assert staff_client.get(url).status_code == 503
    assert staff_client.get(url).status_code == 200


@pytest.mark.django_db
def test_a_connection_lost_inside_a_view_is_a_503_too(staff_client):
    lost = _wrapped(psycopg.OperationalError("server closed the connection"), InterfaceError)
    with mock.patch("accounts.views.render", side_effect=lost):
        response = staff_client.get(reverse("premises_list"))
    assert response.status_code == 503


def test_rendering_the_503_page_needs_no_database():
    # No django_db mark: any query while rendering would raise here.
    response = DatabaseUnavailableMiddleware.unavailable_response()
    assert response.status_code == 503


@pytest.mark.parametrize(
    ("error", "unavailable"),
    [
        (_wrapped(psycopg.OperationalError("connection refused")), True),
        (_wrapped(psycopg.errors.AdminShutdown("terminating connection")), True),
        (_wrapped(psycopg.errors.ConnectionFailure("lost")), True),
        (InterfaceError("connection already closed"), True),
        # A bad query or a busy row is the request's own fault: it stays a visible 500.
        (_wrapped(psycopg.errors.DeadlockDetected("deadlock")), False),
        (_wrapped(psycopg.errors.QueryCanceled("statement timeout")), False),
        (OperationalError("no such table: accounts_user"), False),
        (ValueError("not a database error"), False),
    ],
)
def test_only_connection_errors_count_as_unavailable(error, unavailable):
    assert is_database_unavailable(error) is unavailable
