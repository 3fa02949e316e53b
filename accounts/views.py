import base64
import copy

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login

from . import selectors, services, two_factor
from .audit_labels import CSV_HEADER, audit_csv_filename, audit_csv_rows
from .exports import csv_response
from .filters import AuditEventFilter
from .forms import (
    AcceptInvitationForm,
    ChangeRoleForm,
    EndMembershipForm,
    InvitationForm,
    OrganisationForm,
    PremisesForm,
    TokenForm,
    UnlockerCoverForm,
    apply_form_errors,
)
from .next_url import SafeNextMixin, redirect_to_next, safe_next_path, with_next
from .permissions import Permission, has_permission

PAGE_SIZE = 50


# --- Signing in and out ------------------------------------------------------------------


class SignInView(SafeNextMixin, auth_views.LoginView):
    pass


class SignOutView(SafeNextMixin, auth_views.LogoutView):
    pass


# --- Two-factor authentication -----------------------------------------------------------


def _qr_svg(url):
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    return image.to_string(encoding="unicode")


@require_http_methods(["GET", "POST"])
def two_factor_setup(request):
    if request.user.is_verified():
        return redirect_to_next(request)
    if two_factor.confirmed_device(request.user) is not None:
        return HttpResponseRedirect(with_next("two_factor_verify", safe_next_path(request)))
    device = two_factor.device_to_set_up(user=request.user)
    form = TokenForm(request.POST or None)
    if form.is_valid():
        check = two_factor.two_factor_set_up(
            user=request.user, device=device, token=form.cleaned_data["token"]
        )
        if check.accepted:
            otp_login(request, device)
            messages.success(request, "Two-factor authentication is set up")
            return redirect_to_next(request)
        form.add_error("token", check.message)
    context = {
        "form": form,
        "qr_svg": _qr_svg(device.config_url),
        "secret": base64.b32encode(device.bin_key).decode(),
        "next": safe_next_path(request),
    }
    return render(request, "accounts/two_factor_setup.html", context)


@require_http_methods(["GET", "POST"])
def two_factor_verify(request):
    if request.user.is_verified():
        return redirect_to_next(request)
    device = two_factor.confirmed_device(request.user)
    if device is None:
        return HttpResponseRedirect(with_next("two_factor_setup", safe_next_path(request)))
    form = TokenForm(request.POST or None)
    if form.is_valid():
        check = two_factor.two_factor_code_check(
            user=request.user, device=device, token=form.cleaned_data["token"]
        )
        if check.accepted:
            otp_login(request, device)
            return redirect_to_next(request)
        form.add_error("token", check.message)
    return render(
        request, "accounts/two_factor_verify.html", {"form": form, "next": safe_next_path(request)}
    )


# --- Invitations -------------------------------------------------------------------------


@login_not_required
@require_http_methods(["GET", "POST"])
def invitation_accept(request, token):
    try:
        invitation = services.invitation_for_token(token)
    except services.InvitationUnusable as problem:
        return render(
            request, "accounts/invitation_unusable.html", {"problem": str(problem)}, status=410
        )
    form = AcceptInvitationForm(request.POST or None, initial={"full_name": invitation.full_name})
    if form.is_valid():
        try:
            user, membership = services.invitation_accept(
                token=token,
                full_name=form.cleaned_data["full_name"],
                password=form.cleaned_data["password1"],
            )
        except ValidationError as error:
            form.add_error("password1", error.messages)
        except services.InvitationUnusable as problem:
            return render(
                request, "accounts/invitation_unusable.html", {"problem": str(problem)}, status=410
            )
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(
                request, f"Welcome. You now work at {membership.premises.name} on the portal."
            )
            return redirect("home")
    return render(
        request, "accounts/invitation_accept.html", {"form": form, "invitation": invitation}
    )


# --- Premises and staff ------------------------------------------------------------------


def premises_list(request):
    page = Paginator(selectors.premises_for_user(request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "accounts/premises_list.html", {"page": page})


def premises_detail(request, pk):
    premises = selectors.premises_get(request.user, pk)
    context = {
        "premises": premises,
        "staff": selectors.staff_for_premises(request.user, premises),
        "invitations": selectors.pending_invitations_for_premises(request.user, premises),
        "can_manage_staff": has_permission(request.user, Permission.MANAGE_STAFF, premises),
        "can_edit": has_permission(request.user, Permission.MANAGE_PREMISES, premises),
    }
    return render(request, "accounts/premises_detail.html", context)


@require_http_methods(["GET", "POST"])
def premises_create(request, organisation_pk):
    organisation = selectors.organisation_get(
        request.user, organisation_pk, Permission.MANAGE_PREMISES
    )
    form = PremisesForm(request.POST or None)
    if form.is_valid():
        try:
            premises = services.premises_create(
                actor=request.user, organisation=organisation, **form.cleaned_data
            )
        except ValidationError as error:
            apply_form_errors(form, error)
        else:
            messages.success(request, f"{premises.name} ({premises.ods_code}) added")
            return redirect("premises_detail", pk=premises.pk)
    return render(
        request, "accounts/premises_form.html", {"form": form, "organisation": organisation}
    )


@require_http_methods(["GET", "POST"])
def premises_edit(request, pk):
    original = selectors.premises_get(request.user, pk, Permission.MANAGE_PREMISES)
    # The form writes cleaned values onto its instance; the service compares with the original.
    form = PremisesForm(request.POST or None, instance=copy.copy(original))
    if form.is_valid():
        try:
            services.premises_update(actor=request.user, premises=original, **form.cleaned_data)
        except ValidationError as error:
            apply_form_errors(form, error)
        else:
            messages.success(request, "Premises details saved")
            return redirect("premises_detail", pk=original.pk)
    return render(
        request,
        "accounts/premises_form.html",
        {"form": form, "organisation": original.organisation, "premises": original},
    )


@require_http_methods(["GET", "POST"])
def staff_invite(request, pk):
    premises = selectors.premises_get(request.user, pk, Permission.MANAGE_STAFF)
    form = InvitationForm(request.POST or None)
    if form.is_valid():
        try:
            invitation, token = services.invitation_create(
                actor=request.user, premises=premises, **form.cleaned_data
            )
        except ValidationError as error:
            apply_form_errors(form, error)
        else:
            if token is None:
                messages.success(
                    request, f"{invitation.full_name} already had an account and now works here"
                )
            else:
                messages.success(
                    request, f"Invitation sent to {invitation.email}. The link works for 7 days."
                )
            return redirect("premises_detail", pk=premises.pk)
    return render(request, "accounts/staff_invite.html", {"form": form, "premises": premises})


@require_http_methods(["GET", "POST"])
def membership_end(request, pk):
    membership = selectors.membership_get(request.user, pk)
    if membership.end_date is not None:
        raise Http404
    form = EndMembershipForm(request.POST or None, membership=membership)
    if form.is_valid():
        try:
            services.membership_end(actor=request.user, membership=membership, **form.cleaned_data)
        except ValidationError as error:
            apply_form_errors(form, error)
        else:
            messages.success(
                request,
                f"{membership.user.full_name} no longer works at {membership.premises.name}",
            )
            return redirect("premises_detail", pk=membership.premises_id)
    context = {
        "form": form,
        "membership": membership,
        "effects": selectors.membership_end_effects(membership),
    }
    return render(request, "accounts/membership_end.html", context)


@require_http_methods(["GET", "POST"])
def membership_change_role(request, pk):
    membership = selectors.membership_get(request.user, pk)
    form = ChangeRoleForm(
        request.POST or None,
        initial={"job_role": membership.job_role, "is_manager": membership.is_manager},
    )
    if form.is_valid():
        services.membership_change_role(
            actor=request.user, membership=membership, **form.cleaned_data
        )
        messages.success(request, f"{membership.user.full_name}'s role saved")
        return redirect("premises_detail", pk=membership.premises_id)
    return render(
        request, "accounts/membership_role.html", {"form": form, "membership": membership}
    )


# --- Organisations -----------------------------------------------------------------------


def organisation_list(request):
    organisations = selectors.organisations_for_user(request.user)
    if not organisations.exists() and not has_permission(
        request.user, Permission.MANAGE_ORGANISATIONS
    ):
        raise Http404
    return render(
        request,
        "accounts/organisation_list.html",
        {
            "organisations": organisations,
            "can_add": has_permission(request.user, Permission.MANAGE_ORGANISATIONS),
        },
    )


@require_http_methods(["GET", "POST"])
def organisation_create(request):
    if not has_permission(request.user, Permission.MANAGE_ORGANISATIONS):
        raise Http404
    form = OrganisationForm(request.POST or None)
    if form.is_valid():
        organisation = services.organisation_create(actor=request.user, **form.cleaned_data)
        messages.success(request, f"{organisation.name} added")
        return redirect("organisation_detail", pk=organisation.pk)
    return render(request, "accounts/organisation_form.html", {"form": form})


def organisation_detail(request, pk):
    organisation = selectors.organisation_get(request.user, pk)
    premises = selectors.premises_for_user(request.user).filter(organisation=organisation)
    page = Paginator(premises, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "organisation": organisation,
        "page": page,
        "admins": organisation.admins.select_related("user"),
        "covers": organisation.unlocker_covers.select_related("unlocker")
        if has_permission(request.user, Permission.MANAGE_UNLOCKER_COVER)
        else None,
        "can_add_premises": has_permission(request.user, Permission.MANAGE_PREMISES, organisation),
        "can_manage_cover": has_permission(request.user, Permission.MANAGE_UNLOCKER_COVER),
    }
    return render(request, "accounts/organisation_detail.html", context)


@require_http_methods(["GET", "POST"])
def unlocker_cover_add(request, pk):
    if not has_permission(request.user, Permission.MANAGE_UNLOCKER_COVER):
        raise Http404
    organisation = selectors.organisation_get(request.user, pk)
    form = UnlockerCoverForm(request.POST or None, organisation=organisation)
    if form.is_valid():
        premises = form.cleaned_data["premises_ods_code"]
        services.unlocker_cover_add(
            actor=request.user,
            unlocker=form.cleaned_data["email"],
            premises=premises,
            organisation=None if premises else organisation,
        )
        messages.success(
            request, f"{form.cleaned_data['email'].full_name} now covers {premises or organisation}"
        )
        return redirect("organisation_detail", pk=organisation.pk)
    return render(
        request, "accounts/unlocker_cover_form.html", {"form": form, "organisation": organisation}
    )


# --- Audit -------------------------------------------------------------------------------


def audit_list(request):
    if not selectors.can_view_audit(request.user):
        raise Http404
    event_filter = AuditEventFilter(
        request.GET or None, queryset=selectors.audit_events_for_user(request.user)
    )
    if request.GET.get("format") == "csv":
        return csv_response(
            audit_csv_filename(),
            CSV_HEADER,
            audit_csv_rows(event_filter.qs),
        )
    page = Paginator(event_filter.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "filter": event_filter,
        "page": page,
        "csv_query": request.GET.copy().urlencode(),
    }
    return render(request, "accounts/audit_list.html", context)
