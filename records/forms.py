from django import forms

from accounts.forms import NHSForm
from accounts.models import User
from accounts.widgets import NHSDateField

from .models import GuidanceArea, GuidanceStatus, ScrRole
from .validators import (
    normalise_gphc_number,
    normalise_slug,
    validate_gphc_number,
    validate_guidance_slug,
)

BODY_MAX_LENGTH = 50_000


class GuidanceSearchForm(forms.Form):
    q = forms.CharField(label="Search guidance", max_length=200, required=False)

    def clean_q(self):
        return " ".join(self.cleaned_data["q"].split())


class GuidancePageForm(NHSForm):
    """Edit a guidance page. `version` carries the version the editor started from."""

    submit_label = "Save page"

    title = forms.CharField(
        label="Title", max_length=150, error_messages={"required": "Enter a title"}
    )
    summary = forms.CharField(
        label="Summary",
        max_length=300,
        error_messages={"required": "Enter a summary of the page in a sentence or two"},
        help_text="One or two sentences, shown in the list of guidance and in search results",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    area = forms.ChoiceField(
        label="Area",
        choices=GuidanceArea.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the area the page is about"},
    )
    body = forms.CharField(
        label="Content",
        max_length=BODY_MAX_LENGTH,
        error_messages={"required": "Enter the page content"},
        help_text=(
            "Written in Markdown: ## for a heading, - for a bullet, **bold**, "
            "[link text](https://example.org). Scripts, images and styles are removed."
        ),
        widget=forms.Textarea(attrs={"rows": 20, "spellcheck": "true"}),
        strip=False,
    )
    status = forms.ChoiceField(
        label="Who can see this page?",
        choices=[
            (GuidanceStatus.PUBLISHED, "Published: everyone signed in to the portal"),
            (GuidanceStatus.DRAFT, "Draft: portal admins only"),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose who can see this page"},
    )
    review_by = NHSDateField(
        label="Review by",
        help_text="When the page should next be checked. For example, 31 3 2027",
        error_messages={"required": "Enter the date this page should be reviewed by"},
    )
    change_note = forms.CharField(
        label="What did you change? (optional)",
        max_length=300,
        required=False,
        help_text="Shown in the page's history",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def clean_title(self):
        title = " ".join(self.cleaned_data["title"].split())
        if not title:
            raise forms.ValidationError("Enter a title")
        return title

    def clean_summary(self):
        summary = " ".join(self.cleaned_data["summary"].split())
        if not summary:
            raise forms.ValidationError("Enter a summary of the page in a sentence or two")
        return summary

    def clean_body(self):
        body = self.cleaned_data["body"]
        if not body.strip():
            raise forms.ValidationError("Enter the page content")
        return body


class GuidancePageCreateForm(GuidancePageForm):
    submit_label = "Create page"

    slug = forms.CharField(
        label="Web address name",
        max_length=100,
        error_messages={"required": "Enter a web address name for the page"},
        help_text=(
            "Lowercase letters, numbers and hyphens, like eps-tokens. The page will be at "
            "/guidance/<name>/ and the name cannot be changed later."
        ),
        widget=forms.TextInput(attrs={"spellcheck": "false", "class": "nhsuk-input--width-20"}),
    )

    field_order = ["title", "slug", "summary", "area", "body", "status", "review_by"]

    def clean_slug(self):
        slug = normalise_slug(self.cleaned_data["slug"])
        validate_guidance_slug(slug)
        return slug


class ReadinessForm(NHSForm):
    submit_label = "Save and confirm"

    gphc_number = forms.CharField(
        label="GPhC registration number",
        required=False,
        max_length=20,
        help_text=(
            "7 digits, as on the GPhC register. Leave blank for a trainee not yet registered."
        ),
        widget=forms.TextInput(
            attrs={"class": "nhsuk-input--width-10", "inputmode": "numeric", "spellcheck": "false"}
        ),
    )
    is_trainee = forms.BooleanField(
        label="They are a trainee pharmacist or trainee pharmacy technician",
        required=False,
    )
    scr_role = forms.ChoiceField(
        label="Does their smartcard carry the SCR role?",
        help_text="The Registration Authority adds the role. Check it in Care Identity Management.",
        widget=forms.RadioSelect,
    )
    cppe_training_on = NHSDateField(
        label="When did they complete the CPPE SCR e-learning? (optional)",
        help_text="Recommended, not required. Leave blank if not done. For example, 14 2 2025",
        required=False,
    )

    def __init__(self, *args, membership, **kwargs):
        self.membership = membership
        super().__init__(*args, **kwargs)
        ods_code = membership.premises.ods_code
        self.fields["scr_role"].choices = [
            (ScrRole.NONE, "No, not yet"),
            (ScrRole.PREMISES, f"Yes, on this premises' ODS code {ods_code}"),
            (ScrRole.LOCUM, "Yes, on the national locum code FFFFF"),
        ]

    def clean_gphc_number(self):
        number = normalise_gphc_number(self.cleaned_data["gphc_number"])
        if number:
            validate_gphc_number(number)
        return number


class GovernanceForm(NHSForm):
    submit_label = "Save SGP"

    email = forms.EmailField(
        label="SGP's email address",
        help_text="They must work for the organisation and have a portal account",
        widget=forms.EmailInput(attrs={"spellcheck": "false"}),
    )
    trained_on = NHSDateField(
        label="When did they complete their SGP training? (optional)",
        help_text="For example, 14 2 2025",
        required=False,
    )

    def clean_email(self):
        # Which people exist is not this form's to say: the service answers "does not work
        # for this organisation" alike for a stranger and an unknown address.
        return User.objects.filter(email__iexact=self.cleaned_data["email"].strip()).first()
