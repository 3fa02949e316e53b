"""Reads for bulk import, scoped through the organisation the user may import into."""

from dataclasses import dataclass

from django.db.models import CharField, Value
from django.db.models.functions import Concat, Lower
from django.shortcuts import get_object_or_404

from accounts.models import Membership, Organisation
from accounts.permissions import Permission, has_permission
from accounts.selectors import organisation_get, organisations_for_user

from .kinds import KINDS
from .models import ImportRow, ImportRun, OdsReconciliation, OdsRow

# The organisation-wide write only head office and portal admins hold.
IMPORT_PERMISSION = Permission.MANAGE_PREMISES


def organisations_for_import(user):
    return organisations_for_user(user, IMPORT_PERMISSION)


def import_organisation_get(user, pk):
    return organisation_get(user, pk, IMPORT_PERMISSION)


def runs_for_organisation(organisation):
    return (
        ImportRun.objects.filter(organisation=organisation)
        .select_related("uploaded_by")
        .order_by("-uploaded_at", "-id")
    )


def run_get(user, pk):
    organisations = organisations_for_import(user).values("pk")
    return get_object_or_404(
        ImportRun.objects.filter(organisation__in=organisations).select_related(
            "organisation", "uploaded_by", "applied_by"
        ),
        pk=pk,
    )


def rows_for_csv(run):
    """Every row of the run in file order, as (number, action, errors, changes) tuples,
    streamed in chunks of 2,000 so a 100,000-row file never sits in memory at once."""
    return (
        ImportRow.objects.filter(run=run)
        .order_by("number")
        .values_list("number", "action", "errors", "changes")
        .iterator(chunk_size=2000)
    )


def rows_with_action(run, action):
    return ImportRow.objects.filter(run=run, action=action).order_by("number")


@dataclass(frozen=True)
class PreviewRow:
    """One row of the preview in the spreadsheet's own words: each field the row sets,
    named by its column heading, with what the portal holds now and what the file gives."""

    number: int
    fields: list  # [(heading, now, in the file)]
    errors: list  # [{"column", "message"}]


def preview_rows(run, action, limit):
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


def run_words(run):
    """Headings for a run's preview: future tense until applied, past tense after."""
    applied = run.status == ImportRun.Status.APPLIED
    return {
        "applied": applied,
        "add_count": "Added" if applied else "To add",
        "change_count": "Changed" if applied else "To change",
        "adds_caption": "Rows added" if applied else "Rows to add",
        "changes_caption": "Rows changed" if applied else "Rows that change",
    }


# --- ODS reconciliation (portal admins) --------------------------------------------------


def may_reconcile_ods(user):
    return has_permission(user, Permission.MANAGE_ORGANISATIONS)


def reconciliations_for(user):
    """Every reconciliation, newest first, for a portal admin; none for anyone else."""
    if not may_reconcile_ods(user):
        return OdsReconciliation.objects.none()
    return OdsReconciliation.objects.select_related("uploaded_by", "applied_by").order_by(
        "-uploaded_at", "-id"
    )


def reconciliation_get(user, pk):
    return get_object_or_404(reconciliations_for(user), pk=pk)


def ods_rows(reconciliation, action, limit):
    return list(
        OdsRow.objects.filter(reconciliation=reconciliation, action=action)
        .select_related("premises", "added_premises")
        .order_by("number")[:limit]
    )


def organisations_for_ods(user):
    if not may_reconcile_ods(user):
        return Organisation.objects.none()
    return Organisation.objects.order_by("name")


def reconciliation_words(reconciliation):
    """Headings for a reconciliation: what the file would change, then what it changed."""
    applied = reconciliation.status == OdsReconciliation.Status.APPLIED
    return {
        "applied": applied,
        "ready": reconciliation.status == OdsReconciliation.Status.READY,
        "changes_caption": "Premises changed" if applied else "Premises whose details differ",
        "closes_caption": "Premises closed" if applied else "Premises the file shows closed",
    }


def missing_memberships(run):
    """Current memberships at the organisation's premises whose person and premises are
    not on the staff list: what a full staff list offers to end."""
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
