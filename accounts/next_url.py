"""The one way a view reads a "next" address to send someone on to after a step.

Every view that honours `?next=` (or a hidden `next` field) asks `safe_next_path`, so the
rule lives here only: the answer is always a path on this host, beginning with a single
"/". Anything else (a bare word, another host, a scheme, a backslash, control characters,
an encoded form of those, an absurdly long value) falls back to the default page. The
value is never treated as a URL name, so a bare word cannot reach `reverse()`.
"""

from urllib.parse import quote, unquote, urlencode

from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

# Longer than any page of the portal with its query string; longer values are refused.
MAX_NEXT_LENGTH = 2000


def _is_local_path(value, host, secure):
    if not value or len(value) > MAX_NEXT_LENGTH:
        return False
    # Decode repeatedly so %2F%2F, %5C and doubly encoded forms are judged as browsers
    # and proxies may end up reading them.
    decoded = value
    for _ in range(3):
        decoded = unquote(decoded)
    for candidate in (value, decoded):
        if not candidate.startswith("/") or candidate.startswith(("//", "/\\")):
            return False
        if "\\" in candidate or any(ord(char) < 32 or ord(char) == 127 for char in candidate):
            return False
    return url_has_allowed_host_and_scheme(value, allowed_hosts={host}, require_https=secure)


def requested_next_path(request):
    """The request's `next` (POST first, then GET) when it is a path on this host, else ""."""
    value = request.POST.get("next") or request.GET.get("next") or ""
    if _is_local_path(value, request.get_host(), request.is_secure()):
        # Re-quote what is already a path so a stray space or quote cannot break the
        # Location header or a hidden field; characters paths use are kept as typed.
        return quote(value, safe="/?&=%#:;@!$'()*+,-._~")
    return ""


def safe_next_path(request, default="home"):
    """The path to go on to: the request's `next` when it is a path on this host,
    otherwise the page named `default` (a URL name of the portal's own, reversed here,
    never the visitor's value).

    Returns a str beginning with "/"; never raises on any input.
    """
    return requested_next_path(request) or reverse(default)


class SafeNextMixin:
    """For Django's sign-in and sign-out views: their `next` goes through the same rule."""

    def get_redirect_url(self):
        return requested_next_path(self.request)


def redirect_to_next(request, default="home"):
    """A redirect to `safe_next_path(request, default)`."""
    return HttpResponseRedirect(safe_next_path(request, default))


def with_next(url_name, next_path):
    """The URL of the portal page `url_name` carrying `next_path` as its encoded `next`."""
    return f"{reverse(url_name)}?{urlencode({'next': next_path})}"
