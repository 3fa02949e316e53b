"""Every API error answers one JSON shape, whatever the status (400, 401, 403, 404, 405,
406, 415, 429):

    {"detail": "<one sentence for a person>", "errors": {"<field>": ["<message>", ...]}}

`errors` names the fields at fault (empty when the problem is not one field's). The shape
is the schema's `Error` component, listed for every operation (schema.add_error_responses).
"""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler

NOT_FOUND = "Not found, or not in your organisation"
INVALID = "The request has values the API cannot accept: see errors."
# A message that is not about one field (a whole-body check, or a body that is not an
# object) is listed under this key.
GENERAL = "non_field_errors"


def _messages(detail):
    """DRF's error detail (a string, list or dict, nested) as a flat list of strings."""
    if isinstance(detail, dict):
        return [m for value in detail.values() for m in _messages(value)]
    if isinstance(detail, list | tuple):
        return [m for value in detail for m in _messages(value)]
    return [str(detail)]


def error_body(detail, errors=None):
    return {"detail": str(detail), "errors": errors or {}}


def _validation_body(detail):
    if isinstance(detail, dict):
        errors = {str(field): _messages(value) for field, value in detail.items()}
    else:
        errors = {GENERAL: _messages(detail)}
    general = errors.get(GENERAL)
    return error_body(general[0] if general and len(errors) == 1 else INVALID, errors)


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {GENERAL: exc.messages}
        )
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(NOT_FOUND)
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = _validation_body(exc.detail)
    else:
        messages = _messages(exc.detail)
        response.data = error_body(messages[0] if messages else exc.default_detail)
    return response


@csrf_exempt
def not_found(request, *args, **kwargs):
    """Any path under /api/ that is not an API operation: the JSON 404, never an HTML page
    (nor the CSRF page: API clients send tokens, not cookies)."""
    return JsonResponse(
        error_body("There is no API operation at this address. See /api/docs/."), status=404
    )
