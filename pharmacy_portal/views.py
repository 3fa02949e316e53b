from django.contrib.auth.decorators import login_not_required
from django.shortcuts import render

from accounts import selectors as account_selectors
from accounts.permissions import Permission, Role, scope_for
from eps import selectors as eps_selectors
from nhsmail import selectors as nhsmail_selectors
from pharmacy_portal.jobs import selectors as jobs_selectors
from records import selectors as records_selectors
from smartcards import selectors as smartcards_selectors


def home(request):
    """One home page, with a panel for each role the user holds."""
    user = request.user
    scope = scope_for(user)
    context = {
        "roles": scope.roles,
        "Role": Role,
        "memberships": account_selectors.memberships_for_self(user),
        "organisations": account_selectors.organisations_for_user(user)
        if Role.HEAD_OFFICE_ADMIN in scope.roles or scope.is_portal_admin
        else [],
        "covers": account_selectors.unlocker_covers_for_user(user),
        "can_add_organisation": scope.has_permission(Permission.MANAGE_ORGANISATIONS),
        "nhsmail_panel": nhsmail_selectors.home_panel(user),
        "records_panel": records_selectors.home_panel(user),
        "eps_panel": eps_selectors.home_panel(user),
        "smartcards_panel": smartcards_selectors.home_panel(user),
        "can_manage_jobs": scope.has_permission(Permission.MANAGE_JOBS),
        "jobs_needing_attention": jobs_selectors.jobs_needing_attention(user),
    }
    return render(request, "home.html", context)


@login_not_required
def accessibility(request):
    return render(request, "accessibility.html")
