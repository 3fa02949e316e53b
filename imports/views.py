from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from accounts.exports import csv_response, xlsx_response
from accounts.forms import apply_form_errors

from . import ods, selectors, services
from .actions import run_state
from .files import COMMENT_MARK
from .forms import EndMissingForm, OdsAddForm, OdsUploadForm, UploadForm
from .kinds import KINDS
from .models import ImportRow, ImportRun, OdsRow

PAGE_SIZE = 25
PREVIEW_ROWS = 100


def import_index(request):
    organisations = list(selectors.organisations_for_import(request.user))
    if not organisations:
        raise Http404
    return render(
        request,
        "imports/index.html",
        {
            "organisations": organisations,
            "can_reconcile_ods": selectors.may_reconcile_ods(request.user),
        },
    )


@require_http_methods(["GET", "POST"])
def import_home(request, pk):
    organisation = selectors.import_organisation_get(request.user, pk)
    bound = request.method == "POST"
    form = UploadForm(request.POST if bound else None, request.FILES if bound else None)
    if bound and form.is_valid():
        try:
            run = services.import_upload(
                actor=request.user,
                organisation=organisation,
                kind=form.cleaned_data["kind"],
                uploaded_file=form.cleaned_data["file"],
                is_full_staff_list=form.cleaned_data["is_full_staff_list"],
            )
        except ValidationError as error:
            apply_form_errors(form, error)
        else:
            return redirect("import_run", pk=run.pk)
    page = Paginator(selectors.runs_for_organisation(organisation), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "organisation": organisation,
        "form": form,
        "page": page,
        "kinds": [(kind, KINDS[kind]) for kind in ImportRun.Kind],
    }
    return render(request, "imports/home.html", context)


def import_template(request, pk, kind):
    """The columns of one kind of import, with a hints row, as CSV or (?format=xlsx) Excel."""
    organisation = selectors.import_organisation_get(request.user, pk)
    if kind not in KINDS:
        raise Http404
    spec = KINDS[kind]
    hints = [column.hint for column in spec.columns]
    hints[0] = f"{COMMENT_MARK} {hints[0]} (this hints row is skipped)"
    header = [column.header for column in spec.columns]
    filename = f"{organisation.pk}-{kind}-import-template"
    if request.GET.get("format") == "xlsx":
        return xlsx_response(
            f"{filename}.xlsx", header, [hints], sheet_title=ImportRun.Kind(kind).label[:31]
        )
    return csv_response(f"{filename}.csv", header, [hints])


def _preview_context(run):
    context = {"run": run, "spec": KINDS[run.kind], "words": selectors.run_words(run)}
    if run.status in (ImportRun.Status.READY, ImportRun.Status.BLOCKED, ImportRun.Status.APPLIED):
        for name, action in (
            ("errors", ImportRow.Action.ERROR),
            ("changes", ImportRow.Action.CHANGE),
            ("adds", ImportRow.Action.ADD),
        ):
            context[name] = selectors.preview_rows(run, action, PREVIEW_ROWS)
        context["preview_rows"] = PREVIEW_ROWS
    if run.kind == ImportRun.Kind.STAFF and run.is_full_staff_list and not run.missing_ended_at:
        missing = selectors.missing_memberships(run)
        context["missing"] = list(missing[:PREVIEW_ROWS])
        context["missing_count"] = missing.count()
    return context


def import_run(request, pk):
    run = selectors.run_get(request.user, pk)
    context = _preview_context(run)
    if run.is_busy:
        context["progress"] = services.progress_get(run)
    return render(request, "imports/run.html", context)


def import_progress(request, pk):
    run = selectors.run_get(request.user, pk)
    if not run.is_busy:
        # Done: htmx reloads the page, which now shows the preview or the outcome.
        response = render(request, "imports/_progress.html", {"run": run, "finished": True})
        response["HX-Refresh"] = "true"
        return response
    return render(
        request,
        "imports/_progress.html",
        {"run": run, "progress": services.progress_get(run)},
    )


def import_rows_csv(request, pk):
    run = selectors.run_get(request.user, pk)
    rows = selectors.rows_for_csv(run)
    spec = KINDS[run.kind]

    def lines():
        for number, action, errors, changes in rows:
            problems = "; ".join(f"{e['column']}: {e['message']}".lstrip(": ") for e in errors)
            changed = "; ".join(
                f"{spec.header_of(name)}: {old or '-'} -> {new}"
                for name, (old, new) in changes.items()
            )
            yield [number, action, problems, changed]

    return csv_response(
        f"import-{run.pk}-rows.csv", ["Row", "Outcome", "Errors", "Changes"], lines()
    )


@require_POST
def import_confirm(request, pk):
    run = selectors.run_get(request.user, pk)
    try:
        run = services.import_confirm(actor=request.user, run=run)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("import_run", pk=run.pk)
    if run.status == ImportRun.Status.APPLIED:
        messages.success(
            request,
            f"Imported {run.file_name}: {run.add_count} added, {run.change_count} changed, "
            f"{run.unchanged_count} unchanged",
        )
    elif run.status == ImportRun.Status.BLOCKED:
        messages.error(
            request,
            "Nothing was imported: the portal's records changed since the preview and some "
            "rows no longer fit. The rows in error are listed below.",
        )
    return redirect("import_run", pk=run.pk)


@require_POST
def import_discard(request, pk):
    run = selectors.run_get(request.user, pk)
    try:
        services.import_discard(actor=request.user, run=run)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("import_run", pk=run.pk)
    messages.success(request, f"{run.file_name} discarded. Nothing was imported from it.")
    return redirect("import_home", pk=run.organisation_id)


@require_http_methods(["GET", "POST"])
def import_end_missing(request, pk):
    run = selectors.run_get(request.user, pk)
    if not (run.kind == ImportRun.Kind.STAFF and run.is_full_staff_list):
        raise Http404
    form = EndMissingForm(request.POST if request.method == "POST" else None)
    if run_state(run).may_end_missing and form.is_valid():
        try:
            run = services.import_end_missing(
                actor=request.user, run=run, end_date=form.cleaned_data["end_date"]
            )
        except ValidationError as error:
            apply_form_errors(form, error)
        else:
            messages.success(request, f"Ended {run.missing_ended_count} memberships")
            return redirect("import_run", pk=run.pk)
    missing = selectors.missing_memberships(run)
    page = Paginator(missing, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "imports/end_missing.html", {"run": run, "form": form, "page": page})


# --- ODS reconciliation (portal admins) --------------------------------------------------


@require_http_methods(["GET", "POST"])
def ods_home(request):
    if not selectors.may_reconcile_ods(request.user):
        raise Http404
    bound = request.method == "POST"
    form = OdsUploadForm(request.POST if bound else None, request.FILES if bound else None)
    if bound and form.is_valid():
        try:
            reconciliation = ods.ods_reconciliation_upload(
                actor=request.user, uploaded_file=form.cleaned_data["file"]
            )
        except ValidationError as error:
            apply_form_errors(form, error)
        else:
            return redirect("ods_reconciliation", pk=reconciliation.pk)
    page = Paginator(selectors.reconciliations_for(request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "imports/ods_home.html", {"form": form, "page": page})


def _ods_context(request, reconciliation, add_form=None):
    Action = OdsRow.Action
    return {
        "reconciliation": reconciliation,
        "words": selectors.reconciliation_words(reconciliation),
        "changes": selectors.ods_rows(reconciliation, Action.CHANGE, PREVIEW_ROWS),
        "closes": selectors.ods_rows(reconciliation, Action.CLOSE, PREVIEW_ROWS),
        "news": selectors.ods_rows(reconciliation, Action.NEW, PREVIEW_ROWS),
        "errors": selectors.ods_rows(reconciliation, Action.ERROR, PREVIEW_ROWS),
        "preview_rows": PREVIEW_ROWS,
        "add_form": add_form or _add_form(request, reconciliation),
    }


def _add_form(request, reconciliation, data=None):
    return OdsAddForm(data, user=request.user, action=reverse("ods_add", args=[reconciliation.pk]))


def ods_reconciliation(request, pk):
    reconciliation = selectors.reconciliation_get(request.user, pk)
    return render(request, "imports/ods_reconciliation.html", _ods_context(request, reconciliation))


@require_POST
def ods_apply(request, pk):
    reconciliation = selectors.reconciliation_get(request.user, pk)
    try:
        reconciliation = ods.ods_reconciliation_apply(
            actor=request.user, reconciliation=reconciliation
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            f"Applied {reconciliation.file_name}: {reconciliation.change_count} premises "
            f"changed, {reconciliation.close_count} closed",
        )
    return redirect("ods_reconciliation", pk=reconciliation.pk)


@require_http_methods(["GET", "POST"])
def ods_add(request, pk):
    reconciliation = selectors.reconciliation_get(request.user, pk)
    form = _add_form(request, reconciliation, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            created = ods.ods_premises_add(
                actor=request.user,
                reconciliation=reconciliation,
                organisation=form.cleaned_data["organisation"],
                codes=ods.ods_codes_parse(form.cleaned_data["codes"]),
            )
        except ValidationError as error:
            apply_form_errors(form, error)
        else:
            messages.success(
                request,
                f"Added {len(created)} premises to {form.cleaned_data['organisation'].name}",
            )
            return redirect("ods_reconciliation", pk=reconciliation.pk)
    return render(
        request,
        "imports/ods_reconciliation.html",
        _ods_context(request, reconciliation, add_form=form),
    )


@require_POST
def ods_discard(request, pk):
    reconciliation = selectors.reconciliation_get(request.user, pk)
    try:
        ods.ods_reconciliation_discard(actor=request.user, reconciliation=reconciliation)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("ods_reconciliation", pk=reconciliation.pk)
    messages.success(request, f"{reconciliation.file_name} discarded. Nothing was changed.")
    return redirect("ods_home")
