"""Applying a reconciliation to the premises that differ, or discarding it."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts import audit, standings
from accounts.audit import audit_record
from accounts.models import AuditEvent, Premises

from ..icb import icb_areas
from ..models import OdsReconciliation, OdsRow
from ._shared import BATCH, Action, Status, _require
from .rows import TEXT_FIELDS, _same_text


@transaction.atomic
def ods_reconciliation_apply(*, actor, reconciliation):
    """Write the file's values to the premises that differ and close those it shows
    closed, with an audit event each ("premises.updated", "premises.closed",
    "premises.reopened"), in a few statements per 2,000 rows. New codes are not added here
    (see ods_premises_add). Standings of every premises touched are refreshed on commit.
    Raises ValidationError if the reconciliation is not ready.
    """
    _require(actor)
    reconciliation = OdsReconciliation.objects.select_for_update().get(pk=reconciliation.pk)
    if reconciliation.status != Status.READY:
        raise ValidationError("This reconciliation has already been applied or discarded")
    regions = {region.pk: region for region in icb_areas().values()}
    touched = []
    rows = OdsRow.objects.filter(
        reconciliation=reconciliation, action__in=[Action.CHANGE, Action.CLOSE]
    ).order_by("number")
    last = 0
    while True:
        chunk = list(rows.filter(number__gt=last).select_related("premises")[:BATCH])
        if not chunk:
            break
        last = chunk[-1].number
        touched.extend(_apply_chunk(actor, chunk, regions))
    reconciliation.status = Status.APPLIED
    reconciliation.applied_by = actor
    reconciliation.applied_at = timezone.now()
    reconciliation.save()
    audit_record(
        actor=actor,
        action="ods.applied",
        obj=reconciliation,
        changes={
            "file_name": reconciliation.file_name,
            "changed": reconciliation.change_count,
            "closed": reconciliation.close_count,
        },
    )
    standings.refresh_on_commit(touched)
    return reconciliation


def _apply_chunk(actor, chunk, regions):
    changed, events = [], []
    for row in chunk:
        premises, data = row.premises, row.data
        changes = {}
        for name in (*TEXT_FIELDS, "postcode"):
            if getattr(premises, name) != data[name] and not (
                name in TEXT_FIELDS and _same_text(getattr(premises, name), data[name])
            ):
                changes[name] = [getattr(premises, name), data[name]]
                setattr(premises, name, data[name])
        region = regions.get(data["region"])
        if region is not None and region.pk != premises.region_id:
            changes["region"] = [str(premises.region), str(region)]
            premises.region = region
        closed_on = datetime.date.fromisoformat(data["closed_on"]) if data["closed_on"] else None
        closing = None
        if closed_on != premises.closed_on:
            closing = "premises.closed" if closed_on else "premises.reopened"
            closed_change = {
                "closed_on": [_iso(premises.closed_on), _iso(closed_on)],
            }
            premises.closed_on = closed_on
        if not changes and closing is None:
            continue
        changed.append(premises)
        if changes:
            events.append(
                audit.audit_event(
                    actor=actor,
                    action="premises.updated",
                    obj=premises,
                    premises=premises,
                    changes={**changes, "source": "ODS file"},
                )
            )
        if closing:
            events.append(
                audit.audit_event(
                    actor=actor,
                    action=closing,
                    obj=premises,
                    premises=premises,
                    changes={**closed_change, "source": "ODS file"},
                )
            )
    Premises.objects.bulk_update(
        changed,
        ["name", "address_line_1", "address_line_2", "town", "postcode", "region", "closed_on"],
        batch_size=500,
    )
    AuditEvent.objects.bulk_create(events, batch_size=BATCH)
    return [premises.pk for premises in changed]


def _iso(value):
    return value.isoformat() if value else ""


@transaction.atomic
def ods_reconciliation_discard(*, actor, reconciliation):
    _require(actor)
    reconciliation = OdsReconciliation.objects.select_for_update().get(pk=reconciliation.pk)
    if reconciliation.status != Status.READY:
        raise ValidationError("Only a reconciliation waiting to be applied can be discarded")
    reconciliation.status = Status.DISCARDED
    reconciliation.save(update_fields=["status"])
    audit_record(
        actor=actor,
        action="ods.discarded",
        obj=reconciliation,
        changes={"file_name": reconciliation.file_name},
    )
    return reconciliation
