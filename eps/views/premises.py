"""A premises' tokens: the page, usage, counts, settings and the movements list."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts import standings
from accounts.forms import apply_form_errors
from accounts.permissions import Permission, has_permission

from .. import selectors, services
from ..charts import stock_chart
from ..forms import StockCountForm, TokenSettingsForm
from ..pcse import PCSE_ONLINE_URL
from ._shared import PAGE_SIZE, RECENT_MOVEMENTS, _usage_form


def premises_tokens(request, pk):
    figures = selectors.token_figures_get(request.user, pk)
    premises = figures.premises
    history = selectors.stock_history(premises)
    open_orders, closed_orders = selectors.premises_orders(request.user, premises)
    context = {
        "premises": premises,
        "figures": figures,
        "standing": standings.standing_of(premises, selectors.AREA),
        "chart": stock_chart(history, reorder_level=figures.reorder_level),
        "history": history,
        "movements": selectors.movements_for_premises(request.user, premises)[:RECENT_MOVEMENTS],
        "open_orders": open_orders,
        "closed_orders": closed_orders,
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
