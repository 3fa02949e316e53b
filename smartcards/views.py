from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from accounts import selectors as account_selectors
from accounts.exports import csv_response
from accounts.forms import apply_form_errors
from accounts.permissions import Permission, has_permission

from . import actions, presenters, selectors, services
from .actions import RequestAction
from .forms import (
    CancelForm,
    DeclineForm,
    HolderForm,
    HolderSearchForm,
    RaiseRequestForm,
    RegistrationAuthorityForm,
    ResolveForm,
)
from .models import SmartcardRequest

PAGE_SIZE = 50
QUEUE_POLL_SECONDS = 15


def _holder_initial(holder):
    if holder is None:
        return None
    return {
        "uuid": holder.uuid,
        "certificate_expires_on": holder.certificate_expires_on,
        "has_cim_email": holder.has_cim_email,
    }


# --- The holder --------------------------------------------------------------------------


def my_card(request):
    holder = selectors.holder_for_self(request.user)
    premises_list = list(selectors.premises_to_raise_from(request.user))
    context = {
        "holder": holder,
        "state": holder.certificate() if holder else None,
        "smartcard_requests": list(selectors.requests_for_self(request.user)),
        "premises_list": premises_list,
        "authorities": selectors.registration_authorities_for_premises(premises_list),
    }
    return render(request, "smartcards/my_card.html", context)


@require_http_methods(["GET", "POST"])
def my_card_edit(request):
    holder = selectors.holder_for_self(request.user)
    form = HolderForm(request.POST or None, holder=holder, initial=_holder_initial(holder))
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


# --- The unlocker ------------------------------------------------------------------------


def _queue_context(request):
    show = request.GET.get("show")
    if show not in selectors.QUEUE_VIEWS:
        show = "all"
    queue = selectors.queue_for_user(request.user, show)
    page = Paginator(queue, PAGE_SIZE).get_page(request.GET.get("page"))
    return {
        "page": page,
        "rows": presenters.presented(page.object_list, request.user),
        "show": show,
        "views": selectors.QUEUE_VIEWS,
        "now": timezone.now(),
        "poll_seconds": QUEUE_POLL_SECONDS,
    }


def queue(request):
    if not actions.may_work_queue(request.user):
        raise Http404
    return render(request, "smartcards/queue.html", _queue_context(request))


def queue_rows(request):
    """The queue's table alone, which the page fetches again every few seconds."""
    if not actions.may_work_queue(request.user):
        raise Http404
    return render(request, "smartcards/_queue_rows.html", _queue_context(request))


def _back_to(request, smartcard_request):
    if request.POST.get("from") == "queue":
        return redirect("smartcard_queue")
    return redirect("smartcard_request_detail", pk=smartcard_request.pk)


@require_POST
def request_claim(request, pk):
    smartcard_request = selectors.queue_request_get(request.user, pk)
    try:
        services.smartcard_request_claim(actor=request.user, smartcard_request=smartcard_request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return _back_to(request, smartcard_request)
    messages.success(
        request, f"You have claimed {smartcard_request.holder.user.full_name}'s request"
    )
    return redirect("smartcard_request_detail", pk=smartcard_request.pk)


@require_POST
def request_release(request, pk):
    smartcard_request = selectors.queue_request_get(request.user, pk)
    try:
        services.smartcard_request_release(actor=request.user, smartcard_request=smartcard_request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Claim released: the request is back in the queue")
    return _back_to(request, smartcard_request)


def _closing_page(request, pk, form_class, service, template, success, action):
    smartcard_request = selectors.queue_request_get(request.user, pk)
    form = form_class(request.POST or None, smartcard_request=smartcard_request)
    allowed = actions.allowed(request.user, smartcard_request)
    # Why the viewer cannot close it now (shown instead of the form), or "".
    problem = allowed.why.get(action, "")
    if not problem and form.is_valid():
        try:
            service(actor=request.user, smartcard_request=smartcard_request, **form.cleaned_data)
        except ValidationError as error:
            apply_form_errors(form, error)
        else:
            messages.success(request, success)
            return redirect("smartcard_request_detail", pk=smartcard_request.pk)
    context = {
        "form": form,
        "smartcard_request": smartcard_request,
        "actions": allowed,
        "problem": problem,
        "state": smartcard_request.holder.certificate(),
        "renewal_refusal": services.renewal_refusal(smartcard_request.holder)
        if smartcard_request.kind == SmartcardRequest.Kind.RENEW
        else None,
    }
    return render(request, template, context)


@require_http_methods(["GET", "POST"])
def request_resolve(request, pk):
    return _closing_page(
        request,
        pk,
        ResolveForm,
        services.smartcard_request_resolve,
        "smartcards/request_resolve.html",
        "Outcome recorded. The holder has been emailed.",
        RequestAction.RESOLVE,
    )


@require_http_methods(["GET", "POST"])
def request_decline(request, pk):
    return _closing_page(
        request,
        pk,
        DeclineForm,
        services.smartcard_request_decline,
        "smartcards/request_decline.html",
        "Request declined. The holder has been emailed the reason.",
        RequestAction.DECLINE,
    )


def holder_search(request):
    if not selectors.can_search_holders(request.user):
        raise Http404
    form = HolderSearchForm(request.GET or None)
    page = None
    if form.is_valid() and form.cleaned_data["q"]:
        results = selectors.holder_search(request.user, form.cleaned_data["q"])
        page = Paginator(results, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "smartcards/holder_search.html", {"form": form, "page": page})


def holder_detail(request, pk):
    holder = selectors.holder_get(request.user, pk)
    services.smartcard_holder_view(actor=request.user, holder=holder)
    context = {
        "holder": holder,
        "state": holder.certificate(),
        "premises_list": selectors.holder_premises_in_scope(request.user, holder),
        "smartcard_requests": selectors.requests_for_holder(request.user, holder),
    }
    return render(request, "smartcards/holder_detail.html", context)


# --- Premises, cover and head office -----------------------------------------------------


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


# --- Registration Authorities ------------------------------------------------------------


def authority_list(request):
    if not has_permission(request.user, Permission.MANAGE_UNLOCKER_COVER):
        raise Http404
    return render(
        request,
        "smartcards/authority_list.html",
        {"regions": selectors.regions_with_authorities()},
    )


@require_http_methods(["GET", "POST"])
def authority_edit(request, region_pk):
    region = selectors.region_get(request.user, region_pk)
    authority = getattr(region, "registration_authority", None)
    form = RegistrationAuthorityForm(request.POST or None, instance=authority)
    if form.is_valid():
        try:
            services.registration_authority_save(
                actor=request.user, region=region, **form.cleaned_data
            )
        except ValidationError as error:
            apply_form_errors(form, error)
        else:
            messages.success(request, f"Registration Authority for {region.name} saved")
            return redirect("smartcard_authority_list")
    context = {"form": form, "region": region, "authority": authority}
    return render(request, "smartcards/authority_form.html", context)
