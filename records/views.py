import csv

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from accounts import selectors as account_selectors
from accounts import standings
from accounts.forms import apply_form_errors
from accounts.permissions import Permission, has_permission

from . import selectors, services
from .forms import (
    GovernanceForm,
    GuidancePageCreateForm,
    GuidancePageForm,
    GuidanceSearchForm,
    ReadinessForm,
)
from .models import REVIEW_SOON_DAYS
from .readiness import is_eligible, not_eligible_reason
from .rendering import render_markdown

PAGE_SIZE = 50


# --- Guidance ----------------------------------------------------------------------------


def guidance_list(request):
    form = GuidanceSearchForm(request.GET or None)
    query = ""
    if form.is_valid():
        query = form.cleaned_data["q"]
    if query:
        pages = list(selectors.guidance_search(request.user, query))
    else:
        pages = list(selectors.guidance_pages_for_user(request.user))
    context = {
        "search_form": form,
        "query": query,
        "pages": pages,
        "can_edit": selectors.can_edit_guidance(request.user),
        "today": timezone.localdate(),
    }
    return render(request, "records/guidance_list.html", context)


def guidance_page(request, slug):
    page = selectors.guidance_page_get(request.user, slug)
    context = {
        "page": page,
        "content": render_markdown(page.body),
        "can_edit": selectors.can_edit_guidance(request.user),
        "past_review": page.is_past_review(),
    }
    return render(request, "records/guidance_page.html", context)


def _guidance_fields(form):
    data = dict(form.cleaned_data)
    data.pop("version", None)
    return data


def guidance_due_for_review(request):
    if not selectors.can_edit_guidance(request.user):
        raise Http404
    context = {
        "pages": list(selectors.guidance_due_for_review(request.user)),
        "soon_days": REVIEW_SOON_DAYS,
    }
    return render(request, "records/guidance_due.html", context)


@require_http_methods(["GET", "POST"])
def guidance_create(request):
    if not selectors.can_edit_guidance(request.user):
        raise Http404
    form = GuidancePageCreateForm(request.POST or None, initial={"status": "draft"})
    if form.is_valid():
        try:
            page = services.guidance_page_create(actor=request.user, **_guidance_fields(form))
        except ValidationError as error:
            apply_form_errors(form, error)
        else:
            messages.success(request, f"“{page.title}” created")
            return redirect("guidance_page", slug=page.slug)
    return render(request, "records/guidance_form.html", {"form": form})


@require_http_methods(["GET", "POST"])
def guidance_edit(request, slug):
    page = selectors.guidance_page_for_editing(request.user, slug)
    initial = {
        "title": page.title,
        "summary": page.summary,
        "area": page.area,
        "body": page.body,
        "status": page.status,
        "review_by": page.review_by,
        "version": page.version,
    }
    form = GuidancePageForm(request.POST or None, initial=initial)
    if form.is_valid():
        try:
            page = services.guidance_page_update(
                actor=request.user,
                page=page,
                expected_version=form.cleaned_data["version"],
                **_guidance_fields(form),
            )
        except services.GuidanceEditConflict as conflict:
            # Keep everything they typed; a second save replaces the newer version
            # knowingly, now that they have been told it exists.
            data = request.POST.copy()
            data["version"] = str(selectors.guidance_page_for_editing(request.user, slug).version)
            form = GuidancePageForm(data, initial=initial)
            form.is_valid()
            apply_form_errors(form, conflict)
        except ValidationError as error:
            apply_form_errors(form, error)
        else:
            messages.success(request, f"“{page.title}” saved as version {page.version}")
            return redirect("guidance_page", slug=page.slug)
    return render(request, "records/guidance_form.html", {"form": form, "page": page})


def guidance_history(request, slug):
    page = selectors.guidance_page_for_editing(request.user, slug)
    rows = selectors.guidance_history(request.user, page)
    return render(request, "records/guidance_history.html", {"page": page, "rows": rows})


def guidance_version(request, slug, number):
    page = selectors.guidance_page_for_editing(request.user, slug)
    version = selectors.guidance_version_get(request.user, page, number)
    context = {
        "page": page,
        "version": version,
        "content": render_markdown(version.body),
        "changes": selectors.guidance_version_changes(version),
    }
    return render(request, "records/guidance_version.html", context)


# --- Readiness ---------------------------------------------------------------------------


def readiness_premises(request, pk):
    premises = account_selectors.premises_get(request.user, pk, Permission.VIEW_READINESS)
    context = {
        "premises": premises,
        "rows": selectors.readiness_for_premises(request.user, premises),
        "standing": standings.standing_of(premises, selectors.AREA),
        "governance": selectors.governance_for(premises.organisation),
        "can_manage": has_permission(request.user, Permission.MANAGE_READINESS, premises),
        "can_manage_governance": selectors.can_manage_governance(
            request.user, premises.organisation
        ),
        "can_view_organisation": has_permission(
            request.user, Permission.VIEW_READINESS, premises.organisation
        ),
    }
    return render(request, "records/readiness_premises.html", context)


@require_http_methods(["GET", "POST"])
def readiness_edit(request, pk):
    membership = selectors.readiness_membership_get(request.user, pk)
    record = getattr(membership, "scr_readiness", None)
    registration = getattr(membership.user, "gphc_registration", None)
    initial = {
        "gphc_number": registration.number if registration else "",
        "is_trainee": record.is_trainee if record else False,
        "scr_role": record.scr_role if record else "none",
        "cppe_training_on": record.cppe_training_on if record else None,
    }
    form = ReadinessForm(request.POST or None, initial=initial, membership=membership)
    if form.is_valid():
        try:
            services.readiness_record(
                actor=request.user, membership=membership, **form.cleaned_data
            )
        except ValidationError as error:
            apply_form_errors(form, error)
        else:
            messages.success(
                request, f"SCR readiness for {membership.user.full_name} saved and confirmed"
            )
            return redirect("readiness_premises", pk=membership.premises_id)
    context = {
        "form": form,
        "membership": membership,
        "record": record,
        "eligible": is_eligible(membership.job_role),
        "not_eligible_reason": not_eligible_reason(membership.job_role),
    }
    return render(request, "records/readiness_form.html", context)


def readiness_organisation(request, pk):
    organisation = account_selectors.organisation_get(request.user, pk, Permission.VIEW_READINESS)
    flagged_only = request.GET.get("flagged") == "1"
    premises = selectors.organisation_premises_by_standing(
        request.user, organisation, flagged_only=flagged_only
    )
    page = Paginator(premises, PAGE_SIZE).get_page(request.GET.get("page"))
    # organisation_premises_by_standing made them current.
    page.object_list = standings.attach(page.object_list, selectors.AREA, ensure=False)
    context = {
        "organisation": organisation,
        "page": page,
        "flagged_only": flagged_only,
        "totals": selectors.organisation_readiness_totals(request.user, organisation),
        "governance": selectors.governance_for(organisation),
        "can_manage_governance": selectors.can_manage_governance(request.user, organisation),
    }
    return render(request, "records/readiness_organisation.html", context)


CSV_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value):
    """Spreadsheets run a cell starting with = + - @ as a formula: a leading apostrophe
    makes it text."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(CSV_FORMULA_STARTS) else text


def readiness_organisation_csv(request, pk):
    organisation = account_selectors.organisation_get(request.user, pk, Permission.VIEW_READINESS)
    premises = selectors.organisation_readiness(request.user, organisation)
    governance = selectors.governance_for(organisation)
    today = timezone.localdate()
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="scr-readiness-{organisation.pk}-{today:%Y-%m-%d}.csv"'
    )
    writer = csv.writer(response)
    writer.writerow(
        [
            "Organisation",
            "Premises",
            "ODS code",
            "Town",
            "Staff",
            "Eligible for SCR",
            "Ready for SCR",
            "Has a ready pharmacist",
            "Training due a refresh",
            "SGP",
        ]
    )
    sgp = governance.sgp.user.full_name if governance.sgp else "None recorded"
    for row in premises.iterator(chunk_size=500):
        writer.writerow(
            [
                csv_safe(organisation.name),
                csv_safe(row.name),
                csv_safe(row.ods_code),
                csv_safe(row.town),
                row.staff_count,
                row.eligible_staff_count,
                row.ready_staff_count,
                "Yes" if row.has_ready_pharmacist else "No",
                row.training_due_count,
                csv_safe(sgp),
            ]
        )
    return response


def _governance_back_url(user, organisation):
    """Head office goes back to the organisation's readiness; an independent's manager,
    who has no organisation pages, to their premises' readiness."""
    if has_permission(user, Permission.VIEW_READINESS, organisation):
        return reverse("readiness_organisation", kwargs={"pk": organisation.pk})
    premises = (
        account_selectors.premises_for_user(user, Permission.VIEW_READINESS)
        .filter(organisation=organisation)
        .first()
    )
    return (
        reverse("readiness_premises", kwargs={"pk": premises.pk}) if premises else reverse("home")
    )


@require_http_methods(["GET", "POST"])
def scr_governance_edit(request, pk):
    organisation = selectors.governance_organisation_get(request.user, pk)
    governance = selectors.governance_for(organisation)
    back_url = _governance_back_url(request.user, organisation)
    initial = {}
    if governance.sgp:
        initial = {"email": governance.sgp.user.email, "trained_on": governance.sgp.trained_on}
    form = GovernanceForm(request.POST or None, initial=initial)
    if form.is_valid():
        try:
            sgp = services.scr_governance_person_set(
                actor=request.user,
                organisation=organisation,
                user=form.cleaned_data["email"],
                trained_on=form.cleaned_data["trained_on"],
            )
        except ValidationError as error:
            apply_form_errors(form, error)
        else:
            messages.success(
                request, f"{sgp.user.full_name} is the SCR governance person for {organisation}"
            )
            return redirect(back_url)
    context = {
        "form": form,
        "organisation": organisation,
        "governance": governance,
        "back_url": back_url,
    }
    return render(request, "records/governance_form.html", context)
