"""The portal's URLs and the floors' bare views, for `make bench` only.

A page's floor is served as a bare view behind the same middleware (session, sign-in,
two-factor, CSRF, security headers) for the same signed-in user, so the ratio compares
the portal's own work for the page with the hand-written form of the same work, and
neither side skips the request the user waits for.
"""

from django.contrib.auth.decorators import login_not_required
from django.http import Http404
from django.urls import path

from pharmacy_portal.urls import urlpatterns as portal_urlpatterns

# {name: view(request) -> HttpResponse}, filled by the bench modules as they measure.
FLOORS = {}


def floor_url(name, view, *, api=False):
    """Serve `view` as the floor called `name`; returns its path. An API floor (`api`)
    is reached without a session, as the API is."""
    FLOORS[name] = view
    return f"/bench/{'api-floor' if api else 'floor'}/{name}/"


def floor_view(request, name):
    try:
        view = FLOORS[name]
    except KeyError:
        raise Http404 from None
    return view(request)


urlpatterns = [
    *portal_urlpatterns,
    path("bench/floor/<slug:name>/", floor_view),
    # API floors: like the API, signed in by a token in the request, not a session.
    path("bench/api-floor/<slug:name>/", login_not_required(floor_view)),
]
