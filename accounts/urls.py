from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from . import views
from .forms import EmailLoginForm

urlpatterns = [
    path(
        "account/sign-in/",
        views.SignInView.as_view(
            authentication_form=EmailLoginForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("account/sign-out/", views.SignOutView.as_view(), name="logout"),
    path("account/password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "account/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("account/reset/", auth_views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "account/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "account/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            success_url=reverse_lazy("password_reset_complete")
        ),
        name="password_reset_confirm",
    ),
    path(
        "account/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("account/two-factor/set-up/", views.two_factor_setup, name="two_factor_setup"),
    path("account/two-factor/", views.two_factor_verify, name="two_factor_verify"),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("premises/", views.premises_list, name="premises_list"),
    path("premises/<int:pk>/", views.premises_detail, name="premises_detail"),
    path("premises/<int:pk>/edit/", views.premises_edit, name="premises_edit"),
    path("premises/<int:pk>/invite/", views.staff_invite, name="staff_invite"),
    path("memberships/<int:pk>/end/", views.membership_end, name="membership_end"),
    path("memberships/<int:pk>/role/", views.membership_change_role, name="membership_change_role"),
    path("organisations/", views.organisation_list, name="organisation_list"),
    path("organisations/add/", views.organisation_create, name="organisation_create"),
    path("organisations/<int:pk>/", views.organisation_detail, name="organisation_detail"),
    path(
        "organisations/<int:organisation_pk>/premises/add/",
        views.premises_create,
        name="premises_create",
    ),
    path(
        "organisations/<int:pk>/unlocker-cover/add/",
        views.unlocker_cover_add,
        name="unlocker_cover_add",
    ),
    path("audit/", views.audit_list, name="audit_list"),
]
