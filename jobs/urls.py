from django.urls import path

from . import views

urlpatterns = [
    path("jobs/", views.job_list, name="job_list"),
    path("jobs/<str:name>/run/", views.job_run_now, name="job_run_now"),
]
