"""A premises' cards and requests, unlocker cover, and the head-office pages."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from accounts import selectors as account_selectors
from accounts.exports import csv_response
from accounts.forms import apply_form_errors
from accounts.permissions import Permission, has_permission

from .. import selectors, services
from ..forms import HolderForm, RaiseRequestForm
from ._shared import PAGE_SIZE, _holder_initial


def premises_smartcards(request, pk):
    premises = selectors.premises_for_smartcards(request.user, pk)
    cover = selectors.cover_rows([premises])[0]
    context = {
        "premises": premises,
        "cover": cover,
        "staff": selectors.staff_cards_at_premises(request.user, premises),
        "active_requests": selectors.active_requests_at_premises(request.user, premises),
        "can_raise": has_permission(
            request.user, Permission.RAISE_UNLOCK_REQUEST_FOR_STAFF, premises
        ),
        "authorities": selectors.registration_authorities_for_premises([premises]),
    }
    return render(request, "smartcards/premises.html", context)


@require_http_methods(["GET", "POST"])
def staff_request_create(request, pk):
    premises = selectors.premises_for_smartcards(
        request.user, pk, Permission.RAISE_UNLOCK_REQUEST_FOR_STAFF
    )
    holders = selectors.holders_of_staff_at_premises(premises)
    form = RaiseRequestForm(
        request.POST or None,
        holders=holders,
        initial={"holder": request.GET.get("holder"), "kind": request.GET.get("kind")},
        ask_expired=selectors.any_certificates_expired(holders),
    )
    if form.is_valid():
        data = form.cleaned_data
        try:
            smartcard_request = services.smartcard_request_raise(
                actor=request.user,
                holder=data["holder"],
                premises=premises,
                kind=data["kind"],
                urgent=data["urgent"],
                note=data["note"],
                expired_understood=data.get("expired_understood", False),
            )
        except ValidationError as error:
            apply_form_errors(form, error)
        else:
            messages.success(request, f"Request sent for {smartcard_request.holder.user.full_name}")
            return redirect("smartcard_request_detail", pk=smartcard_request.pk)
    context = {"form": form, "premises": premises, "has_holders": holders.exists()}
    return render(request, "smartcards/staff_request_form.html", context)


@require_http_methods(["GET", "POST"])
def staff_card_edit(request, pk, user_pk):
    premises = selectors.premises_for_smartcards(
        request.user, pk, Permission.RAISE_UNLOCK_REQUEST_FOR_STAFF
    )
    person = selectors.staff_member_at_premises(request.user, premises, user_pk)
    holder = getattr(person, "smartcard", None)
    form = HolderForm(
        request.POST or None, holder=holder, for_self=False, initial=_holder_initial(holder)
    )
    if form.is_valid():
        try:
            services.smartcard_holder_save(
                actor=request.user, person=person, premises=premises, **form.cleaned_data
            )
        except ValidationError as error:
            apply_form_errors(form, error)
        else:
            messages.success(request, f"{person.full_name}'s smartcard details are saved")
            return redirect("smartcard_premises", pk=premises.pk)
    context = {"form": form, "holder": holder, "person": person, "premises": premises}
    return render(request, "smartcards/holder_form.html", context)


def cover(request):
    if not selectors.can_view_cover(request.user):
        raise Http404
    without = request.GET.get("without") == "1"
    premises = selectors.cover_for_user(request.user, without_on_site=without)
    page = Paginator(premises, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "rows": selectors.cover_rows(page.object_list), "without": without}
    return render(request, "smartcards/cover.html", context)


def _organisation_premises(request, pk):
    organisation = account_selectors.organisation_get(request.user, pk, Permission.VIEW_COMPLIANCE)
    premises = account_selectors.premises_for_user(request.user, Permission.VIEW_COMPLIANCE).filter(
        organisation=organisation
    )
    return organisation, premises


def organisation_smartcards(request, pk):
    organisation, premises = _organisation_premises(request, pk)
    ordered = selectors.premises_by_standing(premises)
    page = Paginator(ordered, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = selectors.with_standing(list(page.object_list))
    context = {
        "organisation": organisation,
        "page": page,
        "totals": selectors.standing_totals(premises),
        "now": timezone.now(),
    }
    return render(request, "smartcards/organisation.html", context)


def organisation_smartcards_csv(request, pk):
    organisation, premises = _organisation_premises(request, pk)
    figures = selectors.premises_smartcard_figures(premises)
    rows = (
        [
            p.ods_code,
            p.name,
            p.town,
            p.open_requests,
            p.urgent_requests,
            timezone.localtime(p.oldest_raised_at).strftime("%Y-%m-%d %H:%M")
            if p.oldest_raised_at
            else "",
            p.certificates_expired,
            p.expiring_30,
            p.expiring_60,
            p.expiring_90,
            p.unlocker_count,
            "yes" if p.unlocker_on_site else "no",
        ]
        for p in figures.order_by("name", "pk").iterator(chunk_size=500)
    )
    return csv_response(
        f"smartcards-{organisation.pk}-{timezone.localdate():%Y-%m-%d}.csv",
        [
            "ODS code",
            "Premises",
            "Town",
            "Open requests",
            "Urgent requests",
            "Oldest request raised",
            "Certificates expired",
            "Expiring within 30 days",
            "Expiring within 60 days",
            "Expiring within 90 days",
            "Unlockers covering",
            "Unlocker works there",
        ],
        rows,
    )
