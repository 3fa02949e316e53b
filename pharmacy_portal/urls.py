from django.contrib import admin
from django.urls import include, path

from . import health, views

urlpatterns = [
    path("", views.home, name="home"),
    path("accessibility/", views.accessibility, name="accessibility"),
    path("health/", health.health, name="health"),
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
