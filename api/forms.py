from django import forms

from accounts.forms import NHSForm


class TokenCreateForm(NHSForm):
    submit_label = "Create token"

    name = forms.CharField(
        label="Name",
        max_length=100,
        help_text="What will use it, for example HR system nightly sync",
        error_messages={"required": "Enter a name for the token"},
    )
    valid_days = forms.TypedChoiceField(
        label="How long should it work?",
        choices=[(30, "30 days"), (90, "90 days"), (365, "1 year")],
        coerce=int,
        initial=365,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how long the token works"},
    )

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError("Enter a name for the token")
        if name[0] in "=+-@":
            raise forms.ValidationError("Start the name with a letter or number")
        return name


class TokenRevokeForm(NHSForm):
    submit_label = "Revoke token"
