from django.urls import path

from . import views

urlpatterns = [
    path("premises/<int:pk>/nhsmail/", views.premises_nhsmail, name="nhsmail_premises"),
    path("premises/<int:pk>/nhsmail/mailbox/", views.mailbox_edit, name="nhsmail_mailbox_edit"),
    path("premises/<int:pk>/nhsmail/link/", views.link_create, name="nhsmail_link_create"),
    path(
        "premises/<int:pk>/nhsmail/get-an-account/", views.get_account, name="nhsmail_get_account"
    ),
    path("nhsmail/links/<int:pk>/unlink/", views.link_end, name="nhsmail_link_end"),
    path(
        "nhsmail/accounts/<int:pk>/confirm/", views.account_confirm, name="nhsmail_account_confirm"
    ),
    path("nhsmail/my-account/", views.my_account, name="nhsmail_my_account"),
    path(
        "nhsmail/requests/<int:pk>/advance/",
        views.account_request_advance,
        name="nhsmail_request_advance",
    ),
    path(
        "nhsmail/requests/<int:pk>/live/",
        views.account_request_live,
        name="nhsmail_request_live",
    ),
    path(
        "organisations/<int:pk>/nhsmail/", views.organisation_nhsmail, name="nhsmail_organisation"
    ),
    path(
        "organisations/<int:pk>/nhsmail/check/",
        views.organisation_check_now,
        name="nhsmail_check_now",
    ),
]
