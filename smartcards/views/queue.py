"""The unlockers' pages: the queue, claiming and closing requests, holder search and
profiles."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from accounts.forms import apply_form_errors

from .. import actions, presenters, selectors, services
from ..actions import RequestAction
from ..forms import DeclineForm, HolderSearchForm, ResolveForm
from ..models import SmartcardRequest
from ._shared import PAGE_SIZE, QUEUE_POLL_SECONDS


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
