"""Reads for bulk import, scoped through the organisation the user may import into."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import CharField, Value
from django.db.models.functions import Concat, Lower
from django.shortcuts import get_object_or_404

from accounts.models import Membership, Organisation
from accounts.permissions import Permission, has_permission
from accounts.selectors import organisation_get, organisations_for_user

from .kinds import KINDS
from .models import ImportRow, ImportRun, OdsReconciliation, OdsRow

if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

    from django.db.models import QuerySet

    from accounts.models import User

# The organisation-wide write only head office and portal admins hold.
IMPORT_PERMISSION = Permission.MANAGE_PREMISES


def organisations_for_import(user: User) -> QuerySet[Organisation]:
    """Organisations the user may import into (IMPORT_PERMISSION: head office and portal
    admins), by name, annotated premises_count."""
    return organisations_for_user(user, IMPORT_PERMISSION)


def import_organisation_get(user: User, pk: int) -> Organisation:
    """One organisation the user may import into. Raises Http404 for any other."""
    return organisation_get(user, pk, IMPORT_PERMISSION)


def runs_for_organisation(organisation: Organisation) -> QuerySet[ImportRun]:
    """The organisation's imports, newest first, with uploader joined. The caller has
    checked the user may import into it."""
    return (
        ImportRun.objects.filter(organisation=organisation)
        .select_related("uploaded_by")
        .order_by("-uploaded_at", "-id")
    )


def run_get(user: User, pk: int) -> ImportRun:
    """One import into an organisation the user may import into, with organisation,
    uploader and applier joined. Raises Http404 otherwise."""
    organisations = organisations_for_import(user).values("pk")
    return get_object_or_404(
        ImportRun.objects.filter(organisation__in=organisations).select_related(
            "organisation", "uploaded_by", "applied_by"
        ),
        pk=pk,
    )


def rows_for_csv(run: ImportRun) -> Iterator[tuple[int, str, list[dict[str, str]], dict[str, Any]]]:
    """Every row of the run in file order, as (number, action, errors, changes) tuples,
    streamed in chunks of 2,000 so a 100,000-row file never sits in memory at once."""
    return (
        ImportRow.objects.filter(run=run)
        .order_by("number")
        .values_list("number", "action", "errors", "changes")
        .iterator(chunk_size=2000)
    )


def rows_with_action(run: ImportRun, action: str) -> QuerySet[ImportRow]:
    """The run's rows with one action (an ImportRow.Action value), in file order."""
    return ImportRow.objects.filter(run=run, action=action).order_by("number")


@dataclass(frozen=True)
class PreviewRow:
    """One row of the preview in the spreadsheet's own words: each field the row sets,
    named by its column heading, with what the portal holds now and what the file gives."""

    number: int
    fields: list  # [(heading, now, in the file)]
    errors: list  # [{"column", "message"}]


def preview_rows(run: ImportRun, action: str, limit: int) -> list[PreviewRow]:
    """The first `limit` rows with an action, ready to show."""
    spec = KINDS[run.kind]
    return [
        PreviewRow(
            number=row.number,
            fields=[(spec.header_of(name), old, new) for name, (old, new) in row.changes.items()],
            errors=row.errors,
        )
        for row in rows_with_action(run, action).only("number", "changes", "errors")[:limit]
    ]


def run_words(run: ImportRun) -> dict[str, str | bool]:
    """Headings for a run's preview: future tense until applied, past tense after:
    {"applied": bool, "add_count", "change_count", "adds_caption", "changes_caption"}."""
    applied = run.status == ImportRun.Status.APPLIED
    return {
        "applied": applied,
        "add_count": "Added" if applied else "To add",
        "change_count": "Changed" if applied else "To change",
        "adds_caption": "Rows added" if applied else "Rows to add",
        "changes_caption": "Rows changed" if applied else "Rows that change",
    }


# --- ODS reconciliation (portal admins) --------------------------------------------------


def may_reconcile_ods(user: User) -> bool:
    """Whether the user reconciles premises with the NHS ODS pharmacy file
    (Permission.MANAGE_ORGANISATIONS: portal admins;
    docs/decisions/0031-imports-ods-reconciliation.md)."""
    return has_permission(user, Permission.MANAGE_ORGANISATIONS)


def reconciliations_for(user: User) -> QuerySet[OdsReconciliation]:
    """Every reconciliation, newest first, with uploader and applier joined, for a portal
    admin; none for anyone else."""
    if not may_reconcile_ods(user):
        return OdsReconciliation.objects.none()
    return OdsReconciliation.objects.select_related("uploaded_by", "applied_by").order_by(
        "-uploaded_at", "-id"
    )


def reconciliation_get(user: User, pk: int) -> OdsReconciliation:
    """One reconciliation, for a portal admin. Raises Http404 for anyone else."""
    return get_object_or_404(reconciliations_for(user), pk=pk)


def ods_rows(reconciliation: OdsReconciliation, action: str, limit: int) -> list[OdsRow]:
    """The first `limit` rows of a reconciliation with one action (an OdsRow.Action value),
    in file order, with the premises matched or added joined."""
    return list(
        OdsRow.objects.filter(reconciliation=reconciliation, action=action)
        .select_related("premises", "added_premises")
        .order_by("number")[:limit]
    )


def organisations_for_ods(user: User) -> QuerySet[Organisation]:
    """Every organisation by name, for a portal admin choosing where new premises from the
    ODS file go; none for anyone else."""
    if not may_reconcile_ods(user):
        return Organisation.objects.none()
    return Organisation.objects.order_by("name")


def reconciliation_words(reconciliation: OdsReconciliation) -> dict[str, str | bool]:
    """Headings for a reconciliation: what the file would change, then what it changed:
    {"applied": bool, "ready": bool, "changes_caption", "closes_caption"}."""
    applied = reconciliation.status == OdsReconciliation.Status.APPLIED
    return {
        "applied": applied,
        "ready": reconciliation.status == OdsReconciliation.Status.READY,
        "changes_caption": "Premises changed" if applied else "Premises whose details differ",
        "closes_caption": "Premises closed" if applied else "Premises the file shows closed",
    }


def missing_memberships(run: ImportRun) -> QuerySet[Membership]:
    """Current memberships at the organisation's premises whose person and premises are
    not on the staff list: what a full staff list offers to end. By premises, then name,
    with user and premises joined."""
    listed = ImportRow.objects.filter(run=run).values("key")
    return (
        Membership.objects.current()
        .filter(premises__organisation=run.organisation)
        .annotate(
            import_key=Concat(
                Lower("user__email"), Value("|"), "premises__ods_code", output_field=CharField()
            )
        )
        .exclude(import_key__in=listed)
        .select_related("user", "premises")
        .order_by("premises__name", "user__full_name")
    )
