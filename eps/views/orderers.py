"""The people linked to the premises' PCSE Online account."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from accounts import selectors as account_selectors
from accounts.forms import apply_form_errors

from .. import actions, selectors, services
from ..escalation import CONTACTS
from ..forms import PcseOrdererForm
from ..pcse import PCSE_ONLINE_URL


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
