from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from accounts import selectors as account_selectors
from accounts.exports import csv_response
from accounts.permissions import Permission, Role, has_permission, scope_for
from eps import selectors as eps_selectors
from jobs import selectors as jobs_selectors
from nhsmail import selectors as nhsmail_selectors
from records import selectors as records_selectors
from smartcards import selectors as smartcards_selectors

from . import selectors
from .charts import percent_chart
from .forms import TableFilterForm

PAGE_SIZE = 50


def _require_dashboard(user):
    if not scope_for(user).has_permission(Permission.VIEW_COMPLIANCE):
        raise Http404


def dashboard(request):
    _require_dashboard(request.user)
    summary = selectors.dashboard_summary(request.user)
    context = {
        "headline": summary.headline,
        "trends": [(trend, percent_chart(trend.points)) for trend in summary.trends.values()],
        "regional_trends": summary.regional_trends,
    }
    return render(request, "dashboard/dashboard.html", context)


def premises_table(request):
    _require_dashboard(request.user)
    premises = selectors.dashboard_premises(request.user)
    form = TableFilterForm(request.GET, regions=selectors.regions_of(premises))
    table_filter = form.table_filter()
    if request.GET.get("format") == "csv":
        return csv_response(
            f"premises-{timezone.localdate():%Y-%m-%d}.csv",
            selectors.export_header(),
            _csv_rows(selectors.export_rows(request.user, table_filter)),
        )
    page = Paginator(selectors.table_premises(request.user, table_filter), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    page.object_list = selectors.rows_for(list(page.object_list))
    return render(
        request,
        "dashboard/table.html",
        {"form": form, "page": page, "areas": selectors.area_labels()},
    )


def _csv_rows(rows):
    area_keys = list(selectors.area_labels())
    for row in rows:
        cells = list(row[:4])
        for index, key in enumerate(area_keys):
            level, reason = row[4 + 2 * index], row[5 + 2 * index]
            cells += [selectors.export_label(key, level), reason or ""]
        yield cells


def premises_overview(request, pk):
    premises = get_object_or_404(
        selectors.dashboard_premises(request.user).select_related("organisation", "region"),
        pk=pk,
    )
    context = {
        "row": selectors.premises_row(premises),
        "premises": premises,
        "can_manage_staff": has_permission(request.user, Permission.MANAGE_STAFF, premises),
    }
    return render(request, "dashboard/premises.html", context)


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
