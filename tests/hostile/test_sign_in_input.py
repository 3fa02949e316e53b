"""Defects the form fuzzing found on the sign-in form, kept as plain regression tests."""

import pytest
from django.test import Client
from django.urls import reverse


@pytest.mark.django_db
@pytest.mark.parametrize(
    "username",
    [
        # Longer than the lockout table's 255-character column (was a 500 on PostgreSQL).
        "A" * 5000,
        "a" * 250 + "@example.test",
    ],
)
def test_sign_in_with_an_absurd_email_is_refused_not_a_crash(username):
    response = Client().post(reverse("login"), {"username": username, "password": "wrong"})
    assert response.status_code == 200
    assert response.context["form"].errors
