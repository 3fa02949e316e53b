from django.conf import settings
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
CSV_HEADER = [
    "ODS code", "Premises", "Organisation", "ICB area",
    "NHSmail", "NHSmail detail", "Smartcards", "Smartcards detail",
    "EPS tokens", "EPS tokens detail", "SCR/NCRS", "SCR/NCRS detail",
]  # fmt: skip


def _require_dashboard(user):
    if not scope_for(user).has_permission(Permission.VIEW_COMPLIANCE):
        raise Http404


def _as_of(as_of):
    return {"as_of": as_of, "cache_minutes": max(1, round(settings.DASHBOARD_CACHE_SECONDS / 60))}


def dashboard(request):
    _require_dashboard(request.user)
    summary, as_of = selectors.dashboard_summary(request.user)
    context = {
        "headline": summary.headline,
        "trend": summary.trend,
        "chart": percent_chart(summary.trend),
        "regional_trends": summary.regional_trends,
        **_as_of(as_of),
    }
    return render(request, "dashboard/dashboard.html", context)


def premises_table(request):
    _require_dashboard(request.user)
    premises = selectors.dashboard_premises(request.user)
    form = TableFilterForm(request.GET, regions=selectors.regions_of(premises))
    table_filter = form.table_filter()
    if request.GET.get("format") == "csv":
        rows = selectors.table_rows_streamed(request.user, table_filter)
        return csv_response(
            f"premises-{timezone.localdate():%Y-%m-%d}.csv",
            CSV_HEADER,
            (_csv_row(row) for row in rows),
        )
    ids, as_of = selectors.table_row_ids(request.user, table_filter)
    page = Paginator(ids, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = selectors.rows_for_ids(list(page.object_list))
    return render(
        request,
        "dashboard/table.html",
        {"form": form, "page": page, "areas": selectors.AREA_LABELS, **_as_of(as_of)},
    )


def _csv_row(row):
    p = row.premises
    return [
        p.ods_code, p.name, p.organisation.name, p.region.name,
        row.nhsmail.status.label, row.nhsmail.reason,
        selectors.STANDING_LABELS[row.smartcards_status], row.smartcards_summary,
        selectors.STANDING_LABELS[row.tokens_status], row.tokens_summary,
        selectors.STANDING_LABELS[row.records_status], row.records_summary,
    ]  # fmt: skip


def premises_overview(request, pk):
    premises = get_object_or_404(selectors.dashboard_premises(request.user), pk=pk)
    row = selectors.premises_rows(type(premises).objects.filter(pk=premises.pk))[0]
    context = {
        "row": row,
        "premises": row.premises,
        "can_manage_staff": has_permission(request.user, Permission.MANAGE_STAFF, premises),
    }
    return render(request, "dashboard/premises.html", context)
