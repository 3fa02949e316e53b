from django.contrib.auth.decorators import login_not_required
from django.urls import path, re_path, register_converter
from drf_spectacular.views import SpectacularAPIView
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import IsAuthenticated

from . import errors, views, web
from .authentication import ApiTokenAuthentication


class ApiIdConverter:
    """Ids of at most 18 digits: a longer one cannot exist, and would overflow the database."""

    regex = "[0-9]{1,18}"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return str(value)


register_converter(ApiIdConverter, "apiid")


def api(view):
    # API requests carry a token, not a session: the portal's sign-in does not apply.
    return login_not_required(view.as_view())


urlpatterns = [
    path("organisations/<int:pk>/api-tokens/", web.api_token_list, name="api_token_list"),
    path(
        "organisations/<int:pk>/api-tokens/<int:token_pk>/revoke/",
        web.api_token_revoke,
        name="api_token_revoke",
    ),
    path("api/docs/", web.api_docs, name="api_docs"),
    path(
        "api/v1/schema/",
        # Signed-in people (the docs page reads it) or an API token; not anonymous callers.
        login_not_required(
            SpectacularAPIView.as_view(
                authentication_classes=[ApiTokenAuthentication, SessionAuthentication],
                permission_classes=[IsAuthenticated],
                throttle_classes=[],
            )
        ),
        name="api_schema",
    ),
    path("api/v1/premises/", api(views.PremisesList), name="api_premises_list"),
    path("api/v1/premises/<apiid:pk>/", api(views.PremisesDetail), name="api_premises_detail"),
    path("api/v1/memberships/", api(views.MembershipList), name="api_membership_list"),
    path(
        "api/v1/memberships/<apiid:pk>/", api(views.MembershipDetail), name="api_membership_detail"
    ),
    path("api/v1/memberships/<apiid:pk>/end/", api(views.MembershipEnd), name="api_membership_end"),
    path("api/v1/nhsmail/accounts/", api(views.AccountList), name="api_nhsmail_accounts"),
    path("api/v1/nhsmail/links/", api(views.LinkList), name="api_nhsmail_links"),
    path("api/v1/nhsmail/links/<apiid:pk>/end/", api(views.LinkEnd), name="api_nhsmail_link_end"),
    path(
        "api/v1/smartcards/requests/",
        api(views.SmartcardRequestList),
        name="api_smartcard_requests",
    ),
    path("api/v1/eps/stock/", api(views.TokenStockList), name="api_eps_stock"),
    path("api/v1/eps/orders/", api(views.TokenOrderList), name="api_eps_orders"),
    # Anything else under /api/ (a mistyped path, an id that is not a number) answers the
    # API's JSON 404, not the portal's HTML page.
    re_path(r"^api/", login_not_required(errors.not_found), name="api_not_found"),
]
