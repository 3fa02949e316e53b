from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("accessibility/", views.accessibility, name="accessibility"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/premises/", views.premises_table, name="dashboard_table"),
    path("premises/<int:pk>/overview/", views.premises_overview, name="premises_overview"),
]
