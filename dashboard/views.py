from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from accounts.exports import csv_response
from accounts.permissions import Permission, has_permission, scope_for

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
    page = selectors.home_page(request.user)
    return render(request, "home.html", vars(page))


@login_not_required
def accessibility(request):
    return render(request, "accessibility.html")
