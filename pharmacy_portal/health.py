"""/health/: a plain "ok" for anyone (load balancers, uptime checks); the details only for
portal admins who have passed two-factor, or for a caller sending HEALTH_TOKEN.

The details name the database, cache and Redis the portal uses, which an anonymous
caller has no business learning.
"""

import secrets

from asgiref.sync import async_to_sync
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from health_check.views import HealthCheckView

TOKEN_HEADER = "X-Health-Token"


def _checks():
    checks = ["health_check.checks.Database", "health_check.checks.Cache"]
    if settings.REDIS_URL:
        from redis.asyncio import Redis as RedisClient

        # The Celery broker is this Redis: if it answers, queued jobs can be taken.
        checks.append(
            (
                "health_check.contrib.redis.Redis",
                {"client_factory": lambda: RedisClient.from_url(settings.REDIS_URL)},
            )
        )
    return checks


_detailed = HealthCheckView.as_view(checks=_checks())


def may_see_details(request):
    """True for a signed-in, two-factor verified, active portal admin, or for a request
    whose X-Health-Token header equals the HEALTH_TOKEN setting (when one is set)."""
    token = settings.HEALTH_TOKEN
    sent = request.headers.get(TOKEN_HEADER, "")
    if token and sent and secrets.compare_digest(sent.encode(), token.encode()):
        return True
    user = request.user
    return bool(
        user.is_authenticated
        and user.is_active
        and user.is_portal_admin
        and getattr(user, "is_verified", lambda: False)()
    )


@login_not_required
def health(request):
    response = async_to_sync(_detailed)(request)
    if may_see_details(request):
        return response
    healthy = response.status_code == 200
    plain = HttpResponse(
        "ok\n" if healthy else "unavailable\n",
        status=200 if healthy else 503,
        content_type="text/plain; charset=utf-8",
    )
    plain["Cache-Control"] = "no-store"
    return plain
