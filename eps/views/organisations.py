"""Across premises: the tokens home page, the head-office table and its CSV."""

import csv

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.text import slugify

from accounts.permissions import Permission, scope_for

from .. import selectors
from ..pcse import PCSE_ONLINE_URL
from ._shared import PAGE_SIZE


def tokens_home(request):
    """Where the EPS tokens link leads: the user's own premises, and the organisations
    whose premises they watch."""
    scope = scope_for(request.user)
    if not scope.has_permission(Permission.VIEW_TOKENS):
        raise Http404
    own = selectors.own_premises_figures(request.user)
    organisations = Paginator(selectors.token_organisations_for_user(request.user), PAGE_SIZE)
    context = {
        "own": selectors.sort_figures(own, "name"),
        "organisations": organisations.get_page(request.GET.get("page")),
        "pcse_online_url": PCSE_ONLINE_URL,
    }
    return render(request, "eps/tokens_home.html", context)


def _sort_links(current, descending):
    links = {}
    for key, (label, _) in selectors.SORTS.items():
        is_current = key == current
        next_value = f"-{key}" if is_current and not descending else key
        links[key] = {
            "label": label,
            "value": next_value,
            "aria_sort": ("descending" if descending else "ascending") if is_current else "none",
        }
    return links


def organisation_tokens(request, pk):
    organisation = selectors.token_organisation_get(request.user, pk)
    sort, descending = selectors.parse_sort(request.GET.get("sort"))
    ordered, summary = selectors.organisation_token_table(
        request.user, organisation, sort, descending
    )
    page = Paginator(ordered, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = selectors.stored_token_rows(page.object_list)
    context = {
        "organisation": organisation,
        "page": page,
        "summary": summary,
        "sort_links": _sort_links(sort, descending),
        "sort": f"-{sort}" if descending else sort,
    }
    return render(request, "eps/organisation_tokens.html", context)


CSV_HEADER = [
    "ODS code",
    "Premises",
    "Town",
    "Tokens in stock",
    "Average daily use (last 8 weeks)",
    "Days of cover",
    "Expected to run out",
    "Order by",
    "Low on stock",
    "Open orders",
    "Overdue orders",
    "PCSE orderers",
]


def csv_safe(value):
    """A spreadsheet must not run a cell as a formula: prefix a quote when it could be."""
    text = "" if value is None else str(value)
    if text and text[0] in "=+-@\t\r":
        return "'" + text
    return text


def _csv_row(figures):
    premises = figures.premises
    return [
        premises.ods_code,
        premises.name,
        premises.town,
        figures.stock,
        f"{figures.daily_use:.1f}" if figures.has_usage else "no usage recorded",
        figures.days_of_cover,
        figures.run_out_on.isoformat() if figures.run_out_on else "",
        figures.order_by.isoformat() if figures.order_by else "",
        "yes" if figures.is_low else "no",
        figures.open_orders,
        figures.overdue_orders,
        figures.orderers,
    ]


def organisation_tokens_export(request, pk):
    organisation = selectors.token_organisation_get(request.user, pk)
    figures = selectors.organisation_token_figures(request.user, organisation, with_standing=False)
    sort, descending = selectors.parse_sort(request.GET.get("sort"))
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    today = timezone.localdate()
    filename = f"eps-tokens-{slugify(organisation.name) or organisation.pk}-{today:%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(CSV_HEADER)
    for row in selectors.sort_figures(figures, sort, descending):
        writer.writerow([csv_safe(value) for value in _csv_row(row)])
    return response
