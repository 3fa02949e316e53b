from django import forms

from accounts import standings

from .selectors import TableFilter, area_labels

# Figure filters offered beside each area's levels (selectors.FIGURE_FILTERS holds what
# they mean).
FIGURE_FILTER_CHOICES = {
    "smartcards": [
        ("expired", "Certificates expired"),
        ("expiring_30", "Certificates expiring within 30 days"),
        ("expiring_60", "Certificates expiring within 60 days"),
        ("expiring_90", "Certificates expiring within 90 days"),
        ("open_requests", "Open unlock or renewal requests"),
        ("no_cover", "No unlocker cover"),
    ],
    "eps": [("low", "Low on tokens")],
    "records": [("no_ready_pharmacist", "No SCR-ready pharmacist")],
}


def _level_choices(area):
    levels = sorted(standings.SEVERITY, key=standings.SEVERITY.get)
    return [(level, area.label_for(level)) for level in levels]


class TableFilterForm(forms.Form):
    """The table's filters, from the query string. A bad value drops that filter only."""

    q = forms.CharField(label="Name or ODS code", required=False, max_length=100)
    region = forms.ModelChoiceField(
        label="ICB area", queryset=None, required=False, empty_label="All areas"
    )
    sort = forms.ChoiceField(label="Sort by", required=False)

    def __init__(self, *args, regions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions
        sort = self.fields.pop("sort")
        for area in standings.areas():
            self.fields[area.key] = forms.ChoiceField(
                label=area.label,
                required=False,
                choices=[
                    ("", "Any"),
                    *_level_choices(area),
                    *FIGURE_FILTER_CHOICES.get(area.key, []),
                ],
            )
        sort.choices = [("name", "Premises name"), ("ods", "ODS code")] + [
            (key, f"{label}: most urgent first") for key, label in area_labels().items()
        ]
        self.fields["sort"] = sort

    def table_filter(self):
        self.is_valid()
        data = self.cleaned_data
        region = data.get("region")
        return TableFilter(
            q=(data.get("q") or "").strip(),
            region=region.pk if region else None,
            levels=tuple((key, data[key]) for key in area_labels() if data.get(key)),
            sort=data.get("sort") or "name",
        )
