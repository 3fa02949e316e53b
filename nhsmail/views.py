from collections import Counter

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from accounts import selectors as account_selectors
from accounts.exports import csv_response
from accounts.forms import apply_form_errors
from accounts.models import Organisation
from accounts.permissions import Permission, scope_for
from outbox.services import enqueue

from . import actions, presenters, rules, selectors, services, tasks
from .actions import RequestAction
from .forms import (
    AccountForm,
    AccountLiveForm,
    ConfirmLiveForm,
    LinkForm,
    MailboxForm,
    StatusFilterForm,
)
from .validators import suggested_shared_mailbox

PAGE_SIZE = 50


def premises_nhsmail(request, pk):
    page = selectors.premises_page(request.user, pk)
    context = {
        "premises": page.premises,
        "mailbox": page.mailbox,
        "standing": page.standing,
        "rows": presenters.staff_rows(page.rows, request.user, managed=page.can_manage),
        "can_manage": page.can_manage,
        "requests": presenters.account_requests(page.requests, request.user),
        "own_account": page.own_account,
        "own_requests": page.own_requests,
    }
    return render(request, "nhsmail/premises.html", context)


@require_http_methods(["GET", "POST"])
def mailbox_edit(request, pk):
    premises = selectors.premises_for_nhsmail(request.user, pk, Permission.MANAGE_NHSMAIL)
    mailbox = selectors.mailbox_for_premises(premises)
    users = selectors.mailbox_owner_choices(request.user, premises)
    initial = {
        "address": mailbox.address if mailbox else suggested_shared_mailbox(premises.ods_code),
        "owners": list(mailbox.owners.all()) if mailbox else [],
    }
    form = MailboxForm(request.POST or None, initial=initial, staff_users=users)
    if form.is_valid():
        try:
            services.mailbox_set(actor=request.user, premises=premises, **form.cleaned_data)
        except ValidationError as error:
            apply_form_errors(form, error)
        else:
            messages.success(request, "Shared mailbox saved")
            return redirect("nhsmail_premises", pk=premises.pk)
    return render(request, "nhsmail/mailbox_form.html", {"form": form, "premises": premises})


@require_http_methods(["GET", "POST"])
def link_create(request, pk):
    premises = selectors.premises_for_nhsmail(request.user, pk, Permission.MANAGE_NHSMAIL)
    linkable = selectors.linkable_accounts(request.user, premises)
    form = LinkForm(request.POST or None, accounts=linkable)
    if form.is_valid():
        try:
            services.link_create(
                actor=request.user, premises=premises, account=form.cleaned_data["account"]
            )
        except ValidationError as error:
            apply_form_errors(form, error)
        else:
            messages.success(
                request, f"{form.cleaned_data['account'].user.full_name}'s account is linked"
            )
            return redirect("nhsmail_premises", pk=premises.pk)
    return render(request, "nhsmail/link_form.html", {"form": form, "premises": premises})


@require_http_methods(["GET", "POST"])
def link_end(request, pk):
    link = selectors.link_for_user(request.user, pk)
    premises = link.mailbox.premises
    error = None
    if request.method == "POST":
        try:
            services.link_end(actor=request.user, link=link)
        except ValidationError as problem:
            error = " ".join(problem.messages)
        else:
            messages.success(request, f"{link.account.user.full_name}'s account is unlinked")
            return redirect("nhsmail_premises", pk=premises.pk)
    return render(
        request, "nhsmail/link_end.html", {"link": link, "premises": premises, "error": error}
    )


@require_http_methods(["GET", "POST"])
def account_confirm(request, pk):
    account = selectors.account_for_user(request.user, pk)
    form = ConfirmLiveForm(request.POST or None, initial={"confirmed_on": timezone.localdate()})
    if form.is_valid():
        try:
            services.account_confirm_live(
                actor=request.user, account=account, on=form.cleaned_data["confirmed_on"]
            )
        except ValidationError as error:
            apply_form_errors(form, error)
        else:
            messages.success(request, f"{account.address} confirmed in use")
            return redirect(request.POST.get("next_page") or "nhsmail_my_account")
    return render(request, "nhsmail/account_confirm.html", {"form": form, "account": account})


@require_http_methods(["GET", "POST"])
def my_account(request):
    account = selectors.own_account(request.user)
    initial = {"address": account.address, "status": account.status} if account else None
    form = AccountForm(request.POST or None, initial=initial)
    if form.is_valid():
        try:
            services.account_record(actor=request.user, person=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_form_errors(form, error)
        else:
            messages.success(request, "Your NHSmail account is saved")
            return redirect("nhsmail_my_account")
    context = {
        "form": form,
        "account": account,
        "memberships": account_selectors.memberships_for_self(request.user),
        "own_requests": selectors.account_requests_for_self(request.user),
        "account_actions": actions.allowed_account(request.user, account, may_edit=True)
        if account
        else None,
        "at_risk": account is not None and rules.account_at_risk(account),
        "counted": account is not None and rules.account_is_counted(account),
    }
    return render(request, "nhsmail/my_account.html", context)


@require_http_methods(["GET", "POST"])
def get_account(request, pk):
    premises = selectors.premises_for_nhsmail(request.user, pk)
    error = None
    if request.method == "POST":
        try:
            services.account_request_create(actor=request.user, premises=premises)
        except PermissionDenied:
            error = (
                f"Only someone who works at {premises.name} can ask for their own NHSmail "
                "account here. To register a member of staff, use the registration route "
                "described on this page."
            )
        except ValidationError as problem:
            error = " ".join(problem.messages)
        else:
            messages.success(
                request,
                "Request sent. Your manager or head office will track it until your account "
                "is live.",
            )
            return redirect("nhsmail_premises", pk=premises.pk)
    context = {
        "premises": premises,
        "is_multiple": premises.organisation.kind == Organisation.Kind.MULTIPLE,
        "is_member": premises.pk in scope_for(request.user).staff_premises_ids,
        "error": error,
    }
    return render(request, "nhsmail/get_account.html", context)


@require_POST
def account_request_advance(request, pk):
    """Mark as submitted for registration."""
    account_request = selectors.account_request_for_user(request.user, pk)
    try:
        moved = services.account_request_submit(actor=request.user, request=account_request)
    except ValidationError as problem:
        messages.error(request, " ".join(problem.messages))
    else:
        messages.success(
            request,
            f"{moved.user.full_name}'s request is now: {moved.get_status_display().lower()}",
        )
    return redirect("nhsmail_premises", pk=account_request.premises_id)


@require_http_methods(["GET", "POST"])
def account_request_live(request, pk):
    """Mark account live: record the starter's new address and link it."""
    account_request = selectors.account_request_for_user(request.user, pk)
    premises = account_request.premises
    verdict = actions.check_request(request.user, RequestAction.MARK_LIVE, account_request)
    if request.method == "GET" and not verdict:
        messages.info(request, verdict.reason)
        return redirect("nhsmail_premises", pk=premises.pk)
    mailbox = selectors.mailbox_for_premises(premises)
    form = AccountLiveForm(request.POST or None, mailbox=mailbox)
    if form.is_valid():
        try:
            done = services.account_request_complete(
                actor=request.user,
                request=account_request,
                address=form.cleaned_data["address"],
                link=form.cleaned_data.get("link", False),
            )
        except ValidationError as error:
            if getattr(error, "code", None) == "already":
                messages.error(request, " ".join(error.messages))
                return redirect("nhsmail_premises", pk=premises.pk)
            apply_form_errors(form, error)
        else:
            name = done.request.user.full_name
            linked = f", linked to {done.link.mailbox.address}" if done.link else ""
            messages.success(
                request,
                f"{name}'s request is now: account live. {done.account.address} is recorded "
                f"as their personal NHSmail account{linked}, and we have emailed them.",
            )
            return redirect("nhsmail_premises", pk=premises.pk)
    context = {"form": form, "account_request": account_request, "premises": premises}
    return render(request, "nhsmail/request_live.html", context)


def organisation_nhsmail(request, pk):
    organisation = account_selectors.organisation_get(request.user, pk, Permission.VIEW_COMPLIANCE)
    filter_form = StatusFilterForm(request.GET or None)
    status = filter_form.cleaned_data["status"] if filter_form.is_valid() else ""
    premises = account_selectors.premises_for_user(request.user, Permission.VIEW_NHSMAIL).filter(
        organisation=organisation
    )
    all_rows = selectors.organisation_compliance(premises)
    counts = Counter(row.standing.level for row in all_rows if row.standing)
    rows = [
        row for row in all_rows if not status or (row.standing and row.standing.level == status)
    ]
    if request.GET.get("format") == "csv":
        return csv_response(
            f"nhsmail-{organisation.pk}-{timezone.localdate():%Y-%m-%d}.csv",
            ["ODS code", "Premises", "ICB area", "Status", "Live linked accounts", "Reason"],
            (
                [
                    row.premises.ods_code,
                    row.premises.name,
                    row.premises.region.name,
                    row.standing.label if row.standing else "",
                    row.standing["qualifying_people"] if row.standing else "",
                    row.standing.reason if row.standing else "",
                ]
                for row in rows
            ),
        )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "organisation": organisation,
        "page": page,
        "filter_form": filter_form,
        "status": status,
        "counts": {"red": counts["red"], "amber": counts["amber"], "green": counts["green"]},
        "csv_query": request.GET.urlencode(),
    }
    return render(request, "nhsmail/organisation.html", context)


@require_POST
def organisation_check_now(request, pk):
    organisation = account_selectors.organisation_get(request.user, pk, Permission.VIEW_COMPLIANCE)
    premises_ids = selectors.organisation_premises_ids(organisation)
    enqueue(tasks.evaluate_compliance, premises_ids=premises_ids)
    messages.success(
        request, "Compliance check started. Refresh this page in a minute to see the results."
    )
    return redirect(reverse("nhsmail_organisation", args=[organisation.pk]))
