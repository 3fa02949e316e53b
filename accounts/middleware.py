import time

from django.conf import settings
from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequired
from django.http import HttpResponseRedirect
from django_otp import user_has_device

from .next_url import with_next
from .permissions import scope_for


class LoginRequiredMiddleware(DjangoLoginRequired):
    """Deny by default: a view must opt out with @login_not_required."""


class TwoFactorRequiredMiddleware:
    """Unlockers, head-office admins and portal admins must pass a second factor.

    Until they do, every page except the two-factor pages and sign out sends them to set
    up an authenticator app (first time) or to enter a code.
    """

    ALLOWED_URL_NAMES = {"two_factor_setup", "two_factor_verify", "logout"}

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        if not user.is_authenticated or user.is_verified():
            return None
        match = request.resolver_match
        if match and match.url_name in self.ALLOWED_URL_NAMES:
            return None
        if getattr(view_func, "login_required", True) is False:
            return None
        if not scope_for(user).needs_two_factor:
            return None
        target = "two_factor_verify" if user_has_device(user) else "two_factor_setup"
        return HttpResponseRedirect(with_next(target, request.get_full_path()))


class SessionIdleRefreshMiddleware:
    """Slides a signed-in session's idle expiry forward as it is used, without writing the
    session on every request.

    The session ends SESSION_COOKIE_AGE seconds (30 minutes) after it was last saved.
    Saving it on every request (SESSION_SAVE_EVERY_REQUEST) costs a transaction and a
    disk flush per page; this saves it at most once every SESSION_REFRESH_SECONDS, so a
    session idle for the full age ends between one refresh interval early and on time
    (docs/decisions/0039-session-idle-refresh.md). Sits after AuthenticationMiddleware, so it
    sees the response before SessionMiddleware decides whether to save.
    """

    KEY = "_idle_refreshed_at"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        session = getattr(request, "session", None)
        if session is None or user is None or not user.is_authenticated:
            return response
        now = int(time.time())
        if now - session.get(self.KEY, 0) >= settings.SESSION_REFRESH_SECONDS:
            session[self.KEY] = now  # marks it modified: SessionMiddleware saves it
        return response
