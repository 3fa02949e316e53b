from django.contrib import admin
from django.urls import include, path

from . import health

urlpatterns = [
    path("health/", health.health, name="health"),
    path("django-admin/", admin.site.urls),
    path("", include("accounts.urls")),
    path("", include("dashboard.urls")),
    path("", include("records.urls")),
    path("", include("eps.urls")),
    path("", include("nhsmail.urls")),
    path("", include("smartcards.urls")),
    path("", include("imports.urls")),
    path("", include("api.urls")),
    path("", include("jobs.urls")),
    path("", include("outbox.urls")),
]
