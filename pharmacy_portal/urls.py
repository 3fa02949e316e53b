from django.conf import settings
from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from health_check.views import HealthCheckView

from . import views


def _health_checks():
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


urlpatterns = [
    path("", views.home, name="home"),
    path("accessibility/", views.accessibility, name="accessibility"),
    path(
        "health/",
        login_not_required(HealthCheckView.as_view(checks=_health_checks())),
        name="health",
    ),
    path("django-admin/", admin.site.urls),
    path("", include("accounts.urls")),
    path("", include("pharmacy_portal.dashboard.urls")),
    path("", include("records.urls")),
    path("", include("eps.urls")),
    path("", include("nhsmail.urls")),
    path("", include("smartcards.urls")),
    path("", include("pharmacy_portal.imports.urls")),
    path("", include("pharmacy_portal.api.urls")),
    path("", include("pharmacy_portal.jobs.urls")),
]
