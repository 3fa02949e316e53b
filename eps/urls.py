from django.urls import path

from . import views

urlpatterns = [
    path("tokens/", views.tokens_home, name="tokens_home"),
    path("premises/<int:pk>/tokens/", views.premises_tokens, name="tokens_premises"),
    path("premises/<int:pk>/tokens/usage/", views.usage_record, name="tokens_usage_record"),
    path("premises/<int:pk>/tokens/count/", views.count_record, name="tokens_count_record"),
    path("premises/<int:pk>/tokens/settings/", views.settings_edit, name="tokens_settings"),
    path("premises/<int:pk>/tokens/movements/", views.movement_list, name="tokens_movement_list"),
    path("premises/<int:pk>/tokens/orders/new/", views.order_create, name="tokens_order_create"),
    path("premises/<int:pk>/tokens/pcse-orderers/", views.orderers, name="tokens_orderers"),
    path(
        "tokens/pcse-orderers/<int:pk>/remove/",
        views.orderer_remove,
        name="tokens_orderer_remove",
    ),
    path("tokens/orders/<int:pk>/", views.order_detail, name="tokens_order_detail"),
    path("tokens/orders/<int:pk>/place/", views.order_place, name="tokens_order_place"),
    path(
        "tokens/orders/<int:pk>/expected-delivery/",
        views.order_expected_delivery,
        name="tokens_order_expected_delivery",
    ),
    path("tokens/orders/<int:pk>/receive/", views.order_receive, name="tokens_order_receive"),
    path("tokens/orders/<int:pk>/cancel/", views.order_cancel, name="tokens_order_cancel"),
    path("tokens/orders/<int:pk>/escalate/", views.order_escalate, name="tokens_order_escalate"),
    path("organisations/<int:pk>/tokens/", views.organisation_tokens, name="tokens_organisation"),
    path(
        "organisations/<int:pk>/tokens/export.csv",
        views.organisation_tokens_export,
        name="tokens_organisation_export",
    ),
]
