"""Every URL refuses a POST without a CSRF token, for anyone, and nothing is written.

URLs come from the foundation's meta-test, so each new page is covered the day its
expectations are written. The head-office API authenticates by token, never by cookie, so
its views are exempt from CSRF: for them the test shows a signed-in browser session alone
cannot write through them either.
"""

import pytest
from django.test import Client
from django.urls import resolve, reverse

from accounts.models import AuditEvent
from accounts.security import ACCESS_REFUSED
from tests.conftest import ROLES, sign_in
from tests.test_url_permissions import EXPECTATIONS


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(EXPECTATIONS))
def test_post_without_csrf_token_is_refused(name, world):
    expected = EXPECTATIONS[name]
    url = reverse(name, kwargs=expected.kwargs(world) if expected.kwargs else None)
    clients = {"anonymous": Client(enforce_csrf_checks=True)}
    clients |= {role: sign_in(Client(enforce_csrf_checks=True), world.user(role)) for role in ROLES}
    for client in clients.values():
        # A real session with a CSRF cookie, as a browser would hold: only the token is missing.
        client.get(url)
    # A refused request is itself recorded (accounts.security); nothing else may be written.
    written = AuditEvent.objects.exclude(action=ACCESS_REFUSED)
    audit_events = written.count()
    cookie_free = getattr(resolve(url).func, "csrf_exempt", False)
    for who, client in clients.items():
        response = client.post(url, {"confirm": "yes", "name": "Forged"})
        if cookie_free:
            # 404: an unknown path under /api/ answers the API's JSON 404 to anyone.
            assert response.status_code in {401, 403, 404, 405}, f"POST {url} as {who}"
            continue
        assert response.status_code == 403, f"POST {url} as {who}: {response.status_code}"
        assert b"CSRF" in response.content or b"csrf" in response.content, f"{url} as {who}"
    assert written.count() == audit_events
