"""structlog processors for the portal's log lines (settings.LOGGING)."""


def add_request_from_record(logger, method_name, event_dict):
    """Lines Django logs after the request's log context is closed (django.request's
    "Not Found: /x/" and the like) carry the request on the log record: take its id and
    user from there, so those lines can be followed to the audit trail too."""
    record = event_dict.get("_record")
    request = getattr(record, "request", None)
    if request is None:
        return event_dict
    if getattr(request, "id", None):
        event_dict.setdefault("request_id", request.id)
    user = getattr(request, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        event_dict.setdefault("user_id", user.pk)
    session = getattr(request, "session", None)
    organisations = session.get("log_organisation_ids") if session is not None else None
    if organisations:
        event_dict.setdefault("organisation", ",".join(str(i) for i in organisations))
    return event_dict
