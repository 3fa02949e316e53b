"""A person's own card, their requests, and the request page."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts.forms import apply_form_errors
from accounts.permissions import Permission, has_permission
from outbox.notify import notify_configured

from .. import actions, presenters, selectors, services
from ..actions import RequestAction
from ..forms import CancelForm, HolderForm, RaiseRequestForm
from ._shared import _holder_initial


def my_card(request):
    holder = selectors.holder_for_self(request.user)
    premises_list = list(selectors.premises_to_raise_from(request.user))
    context = {
        "holder": holder,
        "state": holder.certificate() if holder else None,
        "text_reminders": notify_configured(),
        "smartcard_requests": list(selectors.requests_for_self(request.user)),
        "premises_list": premises_list,
        "authorities": selectors.registration_authorities_for_premises(premises_list),
    }
    return render(request, "smartcards/my_card.html", context)


@require_http_methods(["GET", "POST"])
def my_card_edit(request):
    holder = selectors.holder_for_self(request.user)
    form = HolderForm(
        request.POST or None,
        holder=holder,
        initial=_holder_initial(holder),
        offer_text_reminders=notify_configured(),
    )
    if form.is_valid():
        try:
            services.smartcard_holder_save(
                actor=request.user, person=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            apply_form_errors(form, error)
        else:
            messages.success(request, "Your smartcard details are saved")
            return redirect("smartcard_my_card")
    return render(request, "smartcards/holder_form.html", {"form": form, "holder": holder})


@require_http_methods(["GET", "POST"])
def request_create(request):
    premises_choices = selectors.premises_to_raise_from(request.user)
    if not premises_choices:
        raise Http404
    holder = selectors.holder_for_self(request.user)
    if holder is None:
        messages.info(request, "Add your smartcard details first, then ask for help")
        return redirect("smartcard_my_card_edit")
    several = len(premises_choices) > 1
    initial = {"kind": request.GET.get("kind")}
    form = RaiseRequestForm(
        request.POST or None,
        holder=holder,
        premises_choices=premises_choices if several else None,
        initial=initial,
        ask_expired=holder.certificate().is_expired,
    )
    if form.is_valid():
        data = form.cleaned_data
        try:
            smartcard_request = services.smartcard_request_raise(
                actor=request.user,
                holder=holder,
                premises=data["premises"] if several else premises_choices[0],
                kind=data["kind"],
                urgent=data["urgent"],
                note=data["note"],
                expired_understood=data.get("expired_understood", False),
            )
        except ValidationError as error:
            apply_form_errors(form, error)
        else:
            messages.success(
                request, "Request sent. An unlocker covering your premises will pick it up."
            )
            return redirect("smartcard_request_detail", pk=smartcard_request.pk)
    context = {
        "form": form,
        "holder": holder,
        "state": holder.certificate(),
        "authorities": selectors.registration_authorities_for_premises(premises_choices),
    }
    return render(request, "smartcards/request_form.html", context)


def request_detail(request, pk):
    smartcard_request = selectors.request_get(request.user, pk)
    user = request.user
    context = {
        "smartcard_request": smartcard_request,
        "shown": presenters.RequestPresenter(smartcard_request, user),
        "events": selectors.request_events(smartcard_request),
        "can_view_profile": has_permission(
            user, Permission.VIEW_HOLDER_PROFILE, smartcard_request.premises
        ),
        "state": smartcard_request.holder.certificate(),
        "authorities": selectors.registration_authorities_for_premises(
            [smartcard_request.premises]
        ),
    }
    return render(request, "smartcards/request_detail.html", context)


@require_http_methods(["GET", "POST"])
def request_cancel(request, pk):
    smartcard_request = selectors.request_get(request.user, pk)
    verdict = actions.check(request.user, RequestAction.CANCEL, smartcard_request)
    if not verdict.permitted:
        raise Http404
    form = CancelForm(request.POST or None, uuid=smartcard_request.holder.uuid)
    if verdict and form.is_valid():
        try:
            services.smartcard_request_cancel(
                actor=request.user, smartcard_request=smartcard_request, **form.cleaned_data
            )
        except ValidationError as error:
            apply_form_errors(form, error)
        else:
            messages.success(request, "Request cancelled")
            return redirect("smartcard_request_detail", pk=smartcard_request.pk)
    context = {"form": form, "smartcard_request": smartcard_request, "verdict": verdict}
    return render(request, "smartcards/request_cancel.html", context)
