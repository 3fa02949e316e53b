from django.urls import path

from . import views

urlpatterns = [
    path("smartcards/my-card/", views.my_card, name="smartcard_my_card"),
    path("smartcards/my-card/details/", views.my_card_edit, name="smartcard_my_card_edit"),
    path("smartcards/my-card/ask/", views.request_create, name="smartcard_request_create"),
    path("smartcards/requests/<int:pk>/", views.request_detail, name="smartcard_request_detail"),
    path(
        "smartcards/requests/<int:pk>/cancel/",
        views.request_cancel,
        name="smartcard_request_cancel",
    ),
    path(
        "smartcards/requests/<int:pk>/claim/", views.request_claim, name="smartcard_request_claim"
    ),
    path(
        "smartcards/requests/<int:pk>/release/",
        views.request_release,
        name="smartcard_request_release",
    ),
    path(
        "smartcards/requests/<int:pk>/resolve/",
        views.request_resolve,
        name="smartcard_request_resolve",
    ),
    path(
        "smartcards/requests/<int:pk>/decline/",
        views.request_decline,
        name="smartcard_request_decline",
    ),
    path("smartcards/queue/", views.queue, name="smartcard_queue"),
    path("smartcards/queue/rows/", views.queue_rows, name="smartcard_queue_rows"),
    path("smartcards/holders/", views.holder_search, name="smartcard_holder_search"),
    path("smartcards/holders/<int:pk>/", views.holder_detail, name="smartcard_holder_detail"),
    path("smartcards/cover/", views.cover, name="smartcard_cover"),
    path(
        "smartcards/registration-authorities/",
        views.authority_list,
        name="smartcard_authority_list",
    ),
    path(
        "smartcards/registration-authorities/<int:region_pk>/",
        views.authority_edit,
        name="smartcard_authority_edit",
    ),
    path("premises/<int:pk>/smartcards/", views.premises_smartcards, name="smartcard_premises"),
    path(
        "premises/<int:pk>/smartcards/ask/",
        views.staff_request_create,
        name="smartcard_staff_request_create",
    ),
    path(
        "premises/<int:pk>/smartcards/staff/<int:user_pk>/card/",
        views.staff_card_edit,
        name="smartcard_staff_card_edit",
    ),
    path(
        "organisations/<int:pk>/smartcards/",
        views.organisation_smartcards,
        name="smartcard_organisation",
    ),
    path(
        "organisations/<int:pk>/smartcards/export.csv",
        views.organisation_smartcards_csv,
        name="smartcard_organisation_csv",
    ),
]
