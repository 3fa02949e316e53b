from rest_framework.permissions import BasePermission

from .models import ApiToken


class HasApiToken(BasePermission):
    message = "Send an API token in the header: Authorization: Bearer <token>"

    def has_permission(self, request, view):
        return isinstance(request.auth, ApiToken)
