"""Ordering tokens and each step of an order (what is offered is eps.actions)."""

from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts.forms import apply_form_errors

from .. import actions, presenters, selectors, services
from ..actions import OrderAction
from ..escalation import CONTACTS, escalation_message
from ..forms import (
    EscalationForm,
    ExpectedDeliveryForm,
    OrderCancelForm,
    OrderDraftForm,
    OrderPlaceForm,
    OrderReceiveForm,
)
from ..pcse import PCSE_ONLINE_URL


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
