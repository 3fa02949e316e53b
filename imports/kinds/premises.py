"""Premises files: one row per premises, by ODS code."""

from accounts import services as account_services
from accounts.models import Premises, Region
from accounts.validators import normalise_ods_code

from .. import cells
from ..icb import icb_areas, icb_key, icb_unknown_message
from ..models import ImportRun
from .base import Action, Column, ImportKind, _changes, _error, _show

PREMISES_CLEANERS = {
    "ods_code": lambda value: cells.ods_code(
        value, missing="Enter the premises' ODS code, like FA123"
    ),
    "name": lambda value: cells.words(value, max_length=200, missing="premises name"),
    "address_line_1": lambda value: cells.words(
        value, max_length=200, missing="first line of the address"
    ),
    "address_line_2": lambda value: cells.words(value, max_length=200),
    "town": lambda value: cells.words(value, max_length=100, missing="town or city"),
    "postcode": cells.postcode,
    # Matched against the ICB areas once per chunk, in PremisesKind.prepare.
    "region": lambda value: cells.words(value, missing="ICB area, like West Yorkshire ICB or QWO"),
}


class PremisesKind(ImportKind):
    kind = ImportRun.Kind.PREMISES
    columns = (
        Column("ods_code", "ODS code", "5 characters starting with F, like FA123"),
        Column("name", "Premises name", "As patients know it"),
        Column("address_line_1", "Address line 1", "Building and street"),
        Column("address_line_2", "Address line 2", "Optional", required=False),
        Column("town", "Town or city", "Like Leeds"),
        Column("postcode", "Postcode", "Like LS1 4AP"),
        Column("region", "ICB area", "Like West Yorkshire ICB"),
    )
    FIELDS = ("name", "address_line_1", "address_line_2", "town", "postcode", "region")

    def key(self, data):
        return normalise_ods_code(data.get("ods_code"))

    def cleaners(self):
        return PREMISES_CLEANERS

    def premises_query(self, organisation):
        return super().premises_query(organisation).select_related("region")

    def context(self, run):
        ctx = super().context(run)
        ctx["regions"] = icb_areas()
        ctx["regions_by_id"] = {region.pk: region for region in ctx["regions"].values()}
        return ctx

    def cleaned_to_json(self, cleaned):
        values = dict(cleaned)
        if isinstance(values.get("region"), Region):
            values["region"] = values["region"].pk
        return super().cleaned_to_json(values)

    def cleaned_from_json(self, stored, ctx):
        values = super().cleaned_from_json(stored, ctx)
        values["region"] = ctx["regions_by_id"].get(values["region"])
        return values

    def prepare(self, items, ctx):
        kept = []
        for row, cleaned in items:
            if isinstance(cleaned["region"], str):
                region = ctx["regions"].get(icb_key(cleaned["region"]))
                if region is None:
                    _error(row, "ICB area", icb_unknown_message(cleaned["region"]))
                    continue
                cleaned["region"] = region
            kept.append((row, cleaned))
        return kept

    def classify(self, items, ctx):
        steps = []
        for row, cleaned in self.prepare(items, ctx):
            premises = ctx["premises"].get(cleaned["ods_code"])
            if premises is None:
                if Premises.objects.filter(ods_code=cleaned["ods_code"]).exists():
                    _error(row, "ODS code", self.unknown_premises_message(cleaned["ods_code"], ctx))
                    continue
                row.action = Action.ADD
                row.changes = {name: ["", _show(cleaned[name])] for name in self.FIELDS}
                steps.append(("create", row, cleaned))
                continue
            current = {name: getattr(premises, name) for name in self.FIELDS}
            row.changes = _changes(current, {name: cleaned[name] for name in self.FIELDS})
            row.action = Action.CHANGE if row.changes else Action.UNCHANGED
            if row.changes:
                steps.append(("update", row, cleaned, premises))
        return steps

    def apply(self, *, actor, run, steps, ctx):
        for step in steps:
            fields = {name: step[2][name] for name in self.FIELDS}
            if step[0] == "create":
                premises = account_services.premises_create(
                    actor=actor,
                    organisation=run.organisation,
                    ods_code=step[2]["ods_code"],
                    **fields,
                )
                ctx["premises"][premises.ods_code] = premises
            else:
                account_services.premises_update(actor=actor, premises=step[3], **fields)
