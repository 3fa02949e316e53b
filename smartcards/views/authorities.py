"""Registration Authority contacts, for portal admins."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts.forms import apply_form_errors
from accounts.permissions import Permission, has_permission

from .. import selectors, services
from ..forms import RegistrationAuthorityForm


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
