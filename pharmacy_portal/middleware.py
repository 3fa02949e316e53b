import re
import uuid

from django.conf import settings

from accounts.audit import bind_request_id

_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestIdMiddleware:
    """Give every request an id, echoed in X-Request-ID and stored on audit events.

    A load balancer's id is kept when it looks safe, so one id follows a request across
    systems.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request.id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        with bind_request_id(request.id):
            response = self.get_response(request)
        response["X-Request-ID"] = request.id
        return response


class PermissionsPolicyMiddleware:
    """Django has no setting for Permissions-Policy; the portal needs no device features."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response
