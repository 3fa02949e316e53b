from django.urls import path

from . import views

urlpatterns = [
    path("guidance/", views.guidance_list, name="guidance_list"),
    path("guidance/new/", views.guidance_create, name="guidance_create"),
    path(
        "guidance/due-for-review/",
        views.guidance_due_for_review,
        name="guidance_due_for_review",
    ),
    path("guidance/<slug:slug>/", views.guidance_page, name="guidance_page"),
    path("guidance/<slug:slug>/edit/", views.guidance_edit, name="guidance_edit"),
    path("guidance/<slug:slug>/history/", views.guidance_history, name="guidance_history"),
    path(
        "guidance/<slug:slug>/history/<int:number>/",
        views.guidance_version,
        name="guidance_version",
    ),
    path("premises/<int:pk>/records/", views.readiness_premises, name="readiness_premises"),
    path("memberships/<int:pk>/records/", views.readiness_edit, name="readiness_edit"),
    path(
        "organisations/<int:pk>/records/",
        views.readiness_organisation,
        name="readiness_organisation",
    ),
    path(
        "organisations/<int:pk>/records/export.csv",
        views.readiness_organisation_csv,
        name="readiness_organisation_csv",
    ),
    path(
        "organisations/<int:pk>/records/governance/",
        views.scr_governance_edit,
        name="scr_governance_edit",
    ),
]
