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
