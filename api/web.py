"""The pages around the API: token management for head office, and the API's docs."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods
from drf_spectacular.generators import SchemaGenerator

from . import selectors, services
from .forms import TokenCreateForm, TokenRevokeForm

PAGE_SIZE = 50


@require_http_methods(["GET", "POST"])
def api_token_list(request, pk):
    organisation = selectors.token_organisation_get(request.user, pk)
    form = TokenCreateForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            api_token, token = services.token_create(
                actor=request.user,
                organisation=organisation,
                name=form.cleaned_data["name"],
                valid_days=form.cleaned_data["valid_days"],
            )
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                form.add_error(field if field in form.fields else None, problems)
        else:
            # Shown on this response only: the portal keeps just the hash.
            return render(
                request,
                "api/token_created.html",
                {"organisation": organisation, "api_token": api_token, "token": token},
            )
    page = Paginator(selectors.tokens_for_organisation(organisation), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request, "api/token_list.html", {"organisation": organisation, "form": form, "page": page}
    )


@require_http_methods(["GET", "POST"])
def api_token_revoke(request, pk, token_pk):
    organisation = selectors.token_organisation_get(request.user, pk)
    api_token = selectors.token_get(organisation, token_pk)
    form = TokenRevokeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.token_revoke(actor=request.user, api_token=api_token)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"Token '{api_token.name}' revoked. It no longer works.")
        return redirect("api_token_list", pk=organisation.pk)
    return render(
        request,
        "api/token_revoke.html",
        {"organisation": organisation, "api_token": api_token, "form": form},
    )


def _schema_operations(schema):
    components = schema.get("components", {}).get("schemas", {})

    def fields_of(ref_holder):
        ref = (ref_holder or {}).get("$ref", "")
        if not ref and ref_holder.get("type") == "array":
            ref = ref_holder.get("items", {}).get("$ref", "")
        component = components.get(ref.rpartition("/")[2], {})
        required = set(component.get("required", []))
        return [
            {
                "name": name,
                "type": spec.get("type") or ("object" if "$ref" in spec else "choice"),
                "required": name in required,
                "description": spec.get("description", ""),
            }
            for name, spec in component.get("properties", {}).items()
        ]

    operations = []
    for path, methods in schema.get("paths", {}).items():
        for method, operation in methods.items():
            body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
            ok = next(
                (
                    operation["responses"][code]
                    for code in ("200", "201")
                    if code in operation.get("responses", {})
                ),
                {},
            )
            ok_schema = ok.get("content", {}).get("application/json", {}).get("schema", {})
            operations.append(
                {
                    "id": operation.get("operationId", f"{method}-{path}"),
                    "method": method.upper(),
                    "path": path,
                    "tag": (operation.get("tags") or ["api"])[0],
                    "description": operation.get("description", ""),
                    "parameters": operation.get("parameters", []),
                    "request_fields": fields_of(body.get("schema", {})),
                    "response_fields": fields_of(ok_schema)
                    or fields_of(ok_schema.get("properties", {}).get("results", {})),
                    "paginated": "results" in ok_schema.get("properties", {}),
                }
            )
    return operations


def api_docs(request):
    schema = SchemaGenerator().get_schema(request=None, public=True)
    context = {"schema": schema, "operations": _schema_operations(schema)}
    return render(request, "api/docs.html", context)
