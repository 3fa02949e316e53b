"""Schema post-processing: every API operation lists every error it can answer, in the
one shape api.errors gives them."""

ERROR_STATUSES = {
    "400": "A query parameter or body field has a value the API cannot accept",
    "401": "No API token, or one that is not valid, revoked or expired",
    "403": "The token's organisation may not do this",
    "404": "Not found, or not in the token's organisation",
    "405": "This operation does not take that HTTP method",
    "406": "The API answers JSON only",
    "415": "Send the body as application/json",
    "429": "Too many requests for this token: wait, then try again",
}

ERROR_COMPONENT = {
    "type": "object",
    "description": "Every API error: a sentence for a person, and the fields at fault.",
    "properties": {
        "detail": {"type": "string"},
        "errors": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
    "required": ["detail", "errors"],
}


def add_error_responses(result, generator, request, public):
    """drf-spectacular POSTPROCESSING_HOOKS entry: document every 4xx for every operation,
    and that request bodies take only the fields named (StrictSerializer refuses others)."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components["Error"] = ERROR_COMPONENT
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for methods in result.get("paths", {}).values():
        for operation in methods.values():
            for content in operation.get("requestBody", {}).get("content", {}).values():
                ref = content.get("schema", {}).get("$ref", "")
                if ref:
                    components[ref.rpartition("/")[2]]["additionalProperties"] = False
            responses = operation.setdefault("responses", {})
            for status, description in ERROR_STATUSES.items():
                responses[status] = {"content": error, "description": description}
    return result
