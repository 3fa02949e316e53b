from django import forms

from .selectors import AREA_LABELS, TableFilter

RAG_CHOICES = [("red", "Needs action"), ("amber", "Watch"), ("green", "In order")]


class TableFilterForm(forms.Form):
    """The table's filters, from the query string. A bad value drops that filter only."""

    q = forms.CharField(label="Name or ODS code", required=False, max_length=100)
    region = forms.ModelChoiceField(
        label="ICB area", queryset=None, required=False, empty_label="All areas"
    )
    nhsmail = forms.ChoiceField(
        label="NHSmail",
        required=False,
        choices=[
            ("", "Any"),
            ("red", "Not compliant"),
            ("amber", "Compliant, at risk"),
            ("green", "Compliant"),
        ],
    )
    smartcards = forms.ChoiceField(
        label="Smartcards",
        required=False,
        choices=[
            ("", "Any"),
            *RAG_CHOICES,
            ("expiring_30", "Certificates expiring within 30 days"),
            ("expiring_60", "Certificates expiring within 60 days"),
            ("expiring_90", "Certificates expiring within 90 days"),
            ("open_requests", "Open unlock or renewal requests"),
            ("no_cover", "No unlocker cover"),
        ],
    )
    tokens = forms.ChoiceField(
        label="EPS tokens",
        required=False,
        choices=[("", "Any"), *RAG_CHOICES, ("low", "Low on tokens")],
    )
    records = forms.ChoiceField(
        label="SCR/NCRS",
        required=False,
        choices=[("", "Any"), *RAG_CHOICES, ("no_ready_pharmacist", "No SCR-ready pharmacist")],
    )
    sort = forms.ChoiceField(
        label="Sort by",
        required=False,
        choices=[("name", "Premises name"), ("ods", "ODS code")]
        + [(area, f"{label}: most urgent first") for area, label in AREA_LABELS.items()],
    )

    def __init__(self, *args, regions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions

    def table_filter(self):
        self.is_valid()
        data = self.cleaned_data
        region = data.get("region")
        return TableFilter(
            q=(data.get("q") or "").strip(),
            region=region.pk if region else None,
            nhsmail=data.get("nhsmail") or "",
            smartcards=data.get("smartcards") or "",
            tokens=data.get("tokens") or "",
            records=data.get("records") or "",
            sort=data.get("sort") or "name",
        )
