"""Adding premises for codes the file lists and the portal lacks."""

import re

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts import audit, standings
from accounts.models import AuditEvent, Organisation, Premises

from ..icb import icb_areas
from ..models import OdsReconciliation, OdsRow
from ._shared import Action, Status, _require


def ods_codes_parse(text):
    """The ODS codes a person typed, upper case, in order, without repeats."""
    codes = []
    for code in re.split(r"[\s,;]+", (text or "").upper()):
        if code and code not in codes:
            codes.append(code)
    return codes


@transaction.atomic
def ods_premises_add(*, actor, reconciliation, organisation, codes):
    """Add premises for codes the file lists and the portal lacks, to one organisation,
    with the file's name, address, postcode and ICB area, and a "premises.created" audit
    event each. codes: ODS codes (strings) among the reconciliation's NEW rows.
    Raises ValidationError({"codes": message}) naming codes that cannot be added.
    """
    _require(actor)
    if not isinstance(organisation, Organisation):
        raise ValidationError({"organisation": "Choose the organisation to add them to"})
    if not codes:
        raise ValidationError({"codes": "Enter the ODS codes of the premises to add"})
    reconciliation = OdsReconciliation.objects.select_for_update().get(pk=reconciliation.pk)
    if reconciliation.status == Status.DISCARDED:
        raise ValidationError({"codes": "This reconciliation was discarded"})
    rows = {
        row.ods_code: row
        for row in OdsRow.objects.filter(
            reconciliation=reconciliation, action=Action.NEW, ods_code__in=codes
        )
    }
    unknown = [code for code in codes if code not in rows]
    if unknown:
        raise ValidationError(
            {
                "codes": f"{', '.join(unknown[:10])} "
                f"{'is not a code' if len(unknown) == 1 else 'are not codes'} this file lists "
                "as missing from the portal. Copy the codes from the list below."
            }
        )
    done = [code for code, row in rows.items() if row.added_premises_id]
    existing = set(Premises.objects.filter(ods_code__in=codes).values_list("ods_code", flat=True))
    no_region = [code for code, row in rows.items() if row.data["region"] is None]
    refused = sorted(set(done) | existing)
    if refused:
        raise ValidationError({"codes": f"Already on the portal: {', '.join(refused[:10])}"})
    if no_region:
        raise ValidationError(
            {
                "codes": f"The portal does not know the ICB area of {', '.join(no_region[:10])}: "
                "add the ICB's ODS code to its area first"
            }
        )
    regions = {region.pk: region for region in icb_areas().values()}
    created = Premises.objects.bulk_create(
        [
            Premises(
                organisation=organisation,
                ods_code=code,
                name=rows[code].data["name"],
                address_line_1=rows[code].data["address_line_1"],
                address_line_2=rows[code].data["address_line_2"],
                town=rows[code].data["town"],
                postcode=rows[code].data["postcode"],
                region=regions[rows[code].data["region"]],
            )
            for code in codes
        ]
    )
    if any(premises.pk is None for premises in created):
        # SQLite before 3.35 does not return ids from bulk inserts.
        ids = dict(Premises.objects.filter(ods_code__in=codes).values_list("ods_code", "pk"))
        for premises in created:
            premises.pk = ids[premises.ods_code]
    AuditEvent.objects.bulk_create(
        [
            audit.audit_event(
                actor=actor,
                action="premises.created",
                obj=premises,
                premises=premises,
                changes={
                    "ods_code": premises.ods_code,
                    "name": premises.name,
                    "postcode": premises.postcode,
                    "region": str(premises.region),
                    "source": "ODS file",
                },
            )
            for premises in created
        ]
    )
    for premises in created:
        rows[premises.ods_code].added_premises = premises
    OdsRow.objects.bulk_update(list(rows.values()), ["added_premises"], batch_size=500)
    reconciliation.added_count += len(created)
    reconciliation.save(update_fields=["added_count"])
    standings.refresh_on_commit([premises.pk for premises in created])
    return created
