import csv
from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_http_methods, require_POST

from accounts import selectors as account_selectors
from accounts import standings
from accounts.forms import apply_form_errors
from accounts.permissions import Permission, has_permission, scope_for

from . import actions, presenters, selectors, services
from .actions import OrderAction
from .charts import stock_chart
from .escalation import CONTACTS, escalation_message
from .forms import (
    EscalationForm,
    ExpectedDeliveryForm,
    OrderCancelForm,
    OrderDraftForm,
    OrderPlaceForm,
    OrderReceiveForm,
    PcseOrdererForm,
    StockCountForm,
    TokenSettingsForm,
    UsageForm,
)
from .pcse import PCSE_ONLINE_URL

PAGE_SIZE = 50
RECENT_MOVEMENTS = 10


def _usage_form(premises, data=None, *, ask_if_already=False):
    form = UsageForm(data, ask_if_already=ask_if_already)
    form.helper.form_action = reverse("tokens_usage_record", args=[premises.pk])
    return form


# --- Premises token page -------------------------------------------------------------------


def premises_tokens(request, pk):
    premises = selectors.token_premises_get(request.user, pk)
    figures = selectors.token_figures_for(premises)
    history = selectors.stock_history(premises)
    context = {
        "premises": premises,
        "figures": figures,
        "standing": standings.standing_of(premises, selectors.AREA),
        "chart": stock_chart(history, reorder_level=figures.reorder_level),
        "history": history,
        "movements": selectors.movements_for_premises(request.user, premises)[:RECENT_MOVEMENTS],
        "open_orders": selectors.open_orders_for_premises(request.user, premises),
        "closed_orders": selectors.recent_closed_orders_for_premises(request.user, premises),
        "usage_form": _usage_form(premises),
        "can_manage": has_permission(request.user, Permission.MANAGE_TOKENS, premises),
        "pcse_online_url": PCSE_ONLINE_URL,
    }
    return render(request, "eps/premises_tokens.html", context)


@require_http_methods(["GET", "POST"])
def usage_record(request, pk):
    premises = selectors.token_premises_get(request.user, pk)
    asked = "if_already" in request.POST
    form = _usage_form(premises, request.POST or None, ask_if_already=asked)
    if form.is_valid():
        try:
            movement, stock = services.token_usage_record(
                actor=request.user, premises=premises, **form.cleaned_data
            )
        except ValidationError as error:
            if not asked and "if_already" in getattr(error, "error_dict", {}):
                # Usage is already recorded for that day: ask whether to add or correct.
                form = _usage_form(premises, request.POST, ask_if_already=True)
                form.is_valid()
            apply_form_errors(form, error)
        else:
            quantity = form.cleaned_data["quantity"]
            done = (
                f"Tokens used corrected to {quantity:,}."
                if movement.corrects_id
                else f"{quantity:,} tokens used recorded."
            )
            messages.success(request, f"{done} {stock:,} tokens are in stock.")
            return redirect("tokens_premises", pk=premises.pk)
    return render(request, "eps/usage_form.html", {"form": form, "premises": premises})


@require_http_methods(["GET", "POST"])
def count_record(request, pk):
    premises = selectors.token_premises_get(request.user, pk, Permission.MANAGE_TOKENS)
    figures = selectors.token_figures_for(premises)
    form = StockCountForm(request.POST or None)
    if form.is_valid():
        try:
            movement = services.token_count_record(
                actor=request.user, premises=premises, **form.cleaned_data
            )
        except ValidationError as error:
            apply_form_errors(form, error)
        else:
            messages.success(
                request,
                f"Count recorded: stock adjusted by {movement.quantity:+,} to "
                f"{form.cleaned_data['counted']:,} tokens",
            )
            return redirect("tokens_premises", pk=premises.pk)
    return render(
        request, "eps/count_form.html", {"form": form, "premises": premises, "figures": figures}
    )


@require_http_methods(["GET", "POST"])
def settings_edit(request, pk):
    premises = selectors.token_premises_get(request.user, pk, Permission.MANAGE_TOKENS)
    current = selectors.token_settings_for(premises)
    form = TokenSettingsForm(
        request.POST or None,
        initial={
            "pack_size": current.pack_size,
            "lead_time_days": current.lead_time_days,
            "safety_margin_days": current.safety_margin_days,
        },
    )
    if form.is_valid():
        try:
            services.token_settings_update(
                actor=request.user, premises=premises, **form.cleaned_data
            )
        except ValidationError as error:
            apply_form_errors(form, error)
        else:
            messages.success(request, "Token settings saved")
            return redirect("tokens_premises", pk=premises.pk)
    return render(request, "eps/settings_form.html", {"form": form, "premises": premises})


def movement_list(request, pk):
    premises = selectors.token_premises_get(request.user, pk)
    page = Paginator(selectors.movements_for_premises(request.user, premises), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "eps/movement_list.html", {"premises": premises, "page": page})


# --- Orders ------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def order_create(request, pk):
    premises = selectors.token_premises_get(request.user, pk)
    figures = selectors.token_figures_for(premises)
    form = OrderDraftForm(
        request.POST or None,
        pack_size=figures.pack_size,
        initial={"packs": figures.suggested_packs()},
    )
    if form.is_valid():
        try:
            order = services.token_order_draft(
                actor=request.user, premises=premises, **form.cleaned_data
            )
        except ValidationError as error:
            apply_form_errors(form, error)
        else:
            messages.success(
                request,
                f"Draft order saved: {order.packs:,} packs ({order.tokens:,} tokens). "
                "Place it on PCSE Online, then record the PCSE reference here.",
            )
            return redirect("tokens_order_detail", pk=order.pk)
    context = {
        "form": form,
        "premises": premises,
        "figures": figures,
        "pcse_online_url": PCSE_ONLINE_URL,
    }
    return render(request, "eps/order_form.html", context)


def order_detail(request, pk):
    order = selectors.order_get(request.user, pk)
    shown = presenters.OrderPresenter(order, request.user)
    context = {
        "order": order,
        "shown": shown,
        "premises": order.premises,
        "overdue": order.is_overdue(),
        "escalations": selectors.escalations_for_order(order),
        "delivery": getattr(order, "delivery", None) if shown.is_received else None,
        "pcse_online_url": PCSE_ONLINE_URL,
    }
    return render(request, "eps/order_detail.html", context)


def _order_action(request, pk, *, action, form_class, service, template, done, form_kwargs):
    """The shared shape of the order actions: only when eps.actions allows it now (else
    back to the order, saying why), a form, one service call, back to the order with a
    message."""
    order = selectors.order_get_for_handling(request.user, pk)
    verdict = actions.check(request.user, action, order)
    if request.method == "GET" and not verdict:
        messages.info(request, verdict.reason)
        return redirect("tokens_order_detail", pk=order.pk)
    form = form_class(request.POST or None, **form_kwargs(order))
    if form.is_valid():
        try:
            service(actor=request.user, order=order, **form.cleaned_data)
        except ValidationError as error:
            apply_form_errors(form, error)
        else:
            messages.success(request, done(order))
            return redirect("tokens_order_detail", pk=order.pk)
    context = {
        "form": form,
        "order": order,
        "shown": presenters.OrderPresenter(order, request.user),
        "premises": order.premises,
    }
    return render(request, template, context)


def _no_kwargs(order):
    return {}


@require_http_methods(["GET", "POST"])
def order_place(request, pk):
    return _order_action(
        request,
        pk,
        action=OrderAction.PLACE,
        form_class=OrderPlaceForm,
        service=services.token_order_place,
        template="eps/order_place.html",
        done=lambda order: "Order recorded as placed on PCSE Online",
        form_kwargs=_no_kwargs,
    )


@require_http_methods(["GET", "POST"])
def order_expected_delivery(request, pk):
    return _order_action(
        request,
        pk,
        action=OrderAction.SET_EXPECTED_DELIVERY,
        form_class=ExpectedDeliveryForm,
        service=services.token_order_expected_delivery_set,
        template="eps/order_expected_delivery.html",
        done=lambda order: "Expected delivery date saved",
        form_kwargs=lambda order: {"initial": {"expected_delivery_on": order.expected_delivery_on}},
    )


@require_http_methods(["GET", "POST"])
def order_receive(request, pk):
    return _order_action(
        request,
        pk,
        action=OrderAction.RECEIVE,
        form_class=OrderReceiveForm,
        service=services.token_order_receive,
        template="eps/order_receive.html",
        done=lambda order: "Delivery received: its tokens are added to the stock",
        form_kwargs=lambda order: {"order": order},
    )


@require_http_methods(["GET", "POST"])
def order_cancel(request, pk):
    return _order_action(
        request,
        pk,
        action=OrderAction.CANCEL,
        form_class=OrderCancelForm,
        service=services.token_order_cancel,
        template="eps/order_cancel.html",
        done=lambda order: "Order cancelled",
        form_kwargs=_no_kwargs,
    )


@require_http_methods(["GET", "POST"])
def order_escalate(request, pk):
    order = selectors.order_get_for_handling(request.user, pk)
    verdict = actions.check(request.user, OrderAction.CHASE, order)
    if request.method == "GET" and not verdict:
        messages.info(request, verdict.reason)
        return redirect("tokens_order_detail", pk=order.pk)
    form = EscalationForm(request.POST or None)
    if form.is_valid():
        try:
            services.token_order_escalate(actor=request.user, order=order, **form.cleaned_data)
        except ValidationError as error:
            apply_form_errors(form, error)
        else:
            messages.success(request, "Chase recorded on the order")
            return redirect("tokens_order_detail", pk=order.pk)
    figures = selectors.token_figures_for(order.premises)
    message = escalation_message(order=order, figures=figures, sender=request.user)
    context = {
        "form": form,
        "order": order,
        "premises": order.premises,
        "overdue": order.is_overdue(),
        "message": message,
        "mailto": f"mailto:{CONTACTS['urgent_email']}?subject={quote(message.subject)}"
        f"&body={quote(message.body)}",
        "contacts": CONTACTS,
        "escalations": selectors.escalations_for_order(order),
    }
    return render(request, "eps/order_escalate.html", context)


# --- PCSE orderers -----------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def orderers(request, pk):
    premises = selectors.token_premises_get(request.user, pk)
    may = actions.allowed_orderers(request.user, premises)
    form = None
    if may.add:
        form = PcseOrdererForm(
            request.POST or None,
            users=account_selectors.users_of(selectors.staff_who_could_order(premises)),
        )
    elif request.method == "POST":
        raise Http404
    if form is not None and form.is_valid():
        try:
            orderer = services.pcse_orderer_add(
                actor=request.user, premises=premises, **form.cleaned_data
            )
        except ValidationError as error:
            apply_form_errors(form, error)
        else:
            messages.success(request, f"{orderer.user.full_name} added as a PCSE orderer")
            return redirect("tokens_orderers", pk=premises.pk)
    linked = list(selectors.pcse_orderers_for_premises(request.user, premises))
    context = {
        "premises": premises,
        "orderers": linked,
        "cover": actions.orderer_cover(linked),
        "form": form,
        "actions": may,
        "pcse_online_url": PCSE_ONLINE_URL,
        "pcse_contact_url": CONTACTS["contact_url"],
    }
    return render(request, "eps/orderers.html", context)


@require_POST
def orderer_remove(request, pk):
    orderer = selectors.pcse_orderer_get(request.user, pk)
    services.pcse_orderer_remove(actor=request.user, orderer=orderer)
    messages.success(request, f"{orderer.user.full_name} removed from the PCSE orderers")
    return redirect("tokens_orderers", pk=orderer.premises_id)


# --- Across premises ---------------------------------------------------------------------


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
    figures = selectors.organisation_token_figures(request.user, organisation)
    sort, descending = selectors.parse_sort(request.GET.get("sort"))
    ordered = selectors.sort_figures(figures, sort, descending)
    page = Paginator(ordered, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "organisation": organisation,
        "page": page,
        "summary": selectors.organisation_summary(figures),
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
    figures = selectors.organisation_token_figures(request.user, organisation)
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
