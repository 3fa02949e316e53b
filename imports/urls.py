from django.urls import path

from . import views

urlpatterns = [
    path("imports/", views.import_index, name="import_index"),
    path("organisations/<int:pk>/imports/", views.import_home, name="import_home"),
    path(
        "organisations/<int:pk>/imports/template/<str:kind>/",
        views.import_template,
        name="import_template",
    ),
    path("imports/<int:pk>/", views.import_run, name="import_run"),
    path("imports/<int:pk>/progress/", views.import_progress, name="import_progress"),
    path("imports/<int:pk>/rows.csv", views.import_rows_csv, name="import_rows_csv"),
    path("imports/<int:pk>/confirm/", views.import_confirm, name="import_confirm"),
    path("imports/<int:pk>/discard/", views.import_discard, name="import_discard"),
    path(
        "imports/<int:pk>/end-memberships/",
        views.import_end_missing,
        name="import_end_missing",
    ),
]

urlpatterns += [
    path("ods/", views.ods_home, name="ods_home"),
    path("ods/<int:pk>/", views.ods_reconciliation, name="ods_reconciliation"),
    path("ods/<int:pk>/apply/", views.ods_apply, name="ods_apply"),
    path("ods/<int:pk>/add/", views.ods_add, name="ods_add"),
    path("ods/<int:pk>/discard/", views.ods_discard, name="ods_discard"),
]
