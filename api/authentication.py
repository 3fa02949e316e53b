"""`Authorization: Bearer <token>` with an organisation's API token.

A token acts for the head-office admin who created it, and only within its organisation:
the API scopes every read through that person's permissions and the token's organisation,
so it sees exactly what the web pages would show them there.
"""

import structlog
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed

from accounts.permissions import has_permission

from . import services
from .models import ApiToken, hash_api_token
from .selectors import TOKEN_PERMISSION


class ApiTokenAuthentication(BaseAuthentication):
    keyword = b"bearer"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts:
            return None
        if parts[0].lower() != self.keyword or len(parts) != 2:
            raise AuthenticationFailed(
                "Send the token in the header: Authorization: Bearer <token>"
            )
        token = parts[1].decode("latin-1")
        api_token = (
            ApiToken.objects.select_related("organisation", "created_by")
            .filter(token_hash=hash_api_token(token))
            .first()
        )
        if api_token is None:
            raise AuthenticationFailed("This API token is not valid")
        if api_token.revoked_at is not None:
            raise AuthenticationFailed("This API token has been revoked")
        if api_token.expires_at <= timezone.now():
            raise AuthenticationFailed("This API token has expired. Create a new one.")
        user = api_token.created_by
        if not (user.is_active and has_permission(user, TOKEN_PERMISSION, api_token.organisation)):
            raise AuthenticationFailed(
                "The admin who created this API token no longer manages the organisation. "
                "Create a new token."
            )
        services.token_touch(api_token)
        structlog.contextvars.bind_contextvars(
            user_id=user.pk, organisation=str(api_token.organisation_id)
        )
        return user, api_token

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = ApiTokenAuthentication
    name = "apiToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An organisation's API token, created by its head-office admins",
        }
