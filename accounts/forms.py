from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator
from django.utils import timezone

from . import selectors
from .models import Membership, Organisation, Premises
from .validators import normalise_ods_code, normalise_postcode, validate_ods_code, validate_postcode
from .widgets import NHSDateField


def apply_form_errors(form, error):
    """Show a service's ValidationError on the form: next to the field it names, or at the
    top of the form when it names none (a service may raise either kind)."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for field, messages in error.message_dict.items():
        form.add_error(field if field in form.fields else None, messages)


class NHSForm(forms.Form):
    """A form rendered by crispy-forms with the NHS.UK pack and one submit button."""

    submit_label = "Save"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper(self)
        self.helper.add_input(Submit("submit", self.submit_label))


class NHSModelForm(forms.ModelForm):
    submit_label = "Save"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper(self)
        self.helper.add_input(Submit("submit", self.submit_label))


class EmailLoginForm(AuthenticationForm):
    """Django's login form, labelled for email; axes reads the `username` field."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "Email address"
        # Django's form only sets maxlength on the widget; without a validator an over-long
        # entry reached authenticate() and axes' 255-character column (a 500 on PostgreSQL).
        self.fields["username"].validators.append(MaxLengthValidator(254))
        self.fields["username"].widget = forms.EmailInput(
            attrs={"autocomplete": "email", "autofocus": True, "spellcheck": "false"}
        )
        self.fields["password"].widget.attrs["autocomplete"] = "current-password"
        self.error_messages["invalid_login"] = (
            "Enter a correct email address and password. After 5 wrong attempts the "
            "account is locked for 15 minutes."
        )
        self.helper = FormHelper(self)
        self.helper.add_input(Submit("submit", "Sign in"))


class TokenForm(NHSForm):
    submit_label = "Continue"

    token = forms.CharField(
        label="Security code",
        help_text="The 6-digit code shown in your authenticator app",
        max_length=6,
        min_length=6,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "class": "nhsuk-input--width-10",
            }
        ),
    )

    def clean_token(self):
        token = self.cleaned_data["token"].strip()
        if not token.isascii() or not token.isdigit():
            raise forms.ValidationError("Enter the 6 numbers from your authenticator app")
        return token


class OrganisationForm(NHSModelForm):
    submit_label = "Add organisation"

    class Meta:
        model = Organisation
        fields = ["name", "kind"]
        widgets = {"kind": forms.RadioSelect}


class PremisesForm(NHSModelForm):
    submit_label = "Save premises"

    region = forms.ModelChoiceField(
        queryset=None, label="ICB area", empty_label="Choose an ICB area"
    )
    # Wider than the column so anything mistyped gets the postcode message, not a length one.
    postcode = forms.CharField(
        max_length=100,
        widget=forms.TextInput(
            attrs={"class": "nhsuk-input--width-10", "autocomplete": "postal-code"}
        ),
    )

    class Meta:
        model = Premises
        fields = [
            "ods_code",
            "name",
            "address_line_1",
            "address_line_2",
            "town",
            "postcode",
            "region",
        ]
        help_texts = {"ods_code": "5 characters starting with F, for example FA123"}
        widgets = {
            "ods_code": forms.TextInput(
                attrs={"class": "nhsuk-input--width-5", "spellcheck": "false"}
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = selectors.regions()

    def clean_ods_code(self):
        code = normalise_ods_code(self.cleaned_data["ods_code"])
        validate_ods_code(code)
        if Premises.objects.filter(ods_code=code).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError("A premises with this ODS code is already registered")
        return code

    def clean_postcode(self):
        postcode = normalise_postcode(self.cleaned_data["postcode"])
        validate_postcode(postcode)
        return postcode

    def validate_unique(self):
        # clean_ods_code already says it in words; the model check would repeat it.
        pass


class InvitationForm(NHSForm):
    submit_label = "Send invitation"

    full_name = forms.CharField(label="Full name", max_length=150)
    email = forms.EmailField(
        label="Email address", widget=forms.EmailInput(attrs={"spellcheck": "false"})
    )
    job_role = forms.ChoiceField(
        label="Job role", choices=Membership.JobRole.choices, widget=forms.RadioSelect
    )
    is_manager = forms.BooleanField(
        label="This person manages the premises",
        required=False,
        help_text="Managers keep the staff list, NHSmail links and token stock right",
    )

    def clean_full_name(self):
        name = " ".join(self.cleaned_data["full_name"].split())
        if not name:
            raise forms.ValidationError("Enter the person's full name")
        return name


class AcceptInvitationForm(NHSForm):
    submit_label = "Create account"

    full_name = forms.CharField(label="Full name", max_length=150)
    password1 = forms.CharField(
        label="Create a password",
        help_text="At least 10 characters. Avoid common words and your name.",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        strip=False,
    )
    password2 = forms.CharField(
        label="Confirm password",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        strip=False,
    )

    def clean_full_name(self):
        name = " ".join(self.cleaned_data["full_name"].split())
        if not name:
            raise forms.ValidationError("Enter your full name")
        return name

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("password1")
            and cleaned.get("password2")
            and cleaned["password1"] != cleaned["password2"]
        ):
            self.add_error("password2", "The passwords do not match")
        return cleaned


class EndMembershipForm(NHSForm):
    submit_label = "End membership"

    end_date = NHSDateField(
        label="When does this membership end?",
        help_text="The first day they no longer work here: today unless you change it. "
        "For example, 27 3 2026",
        error_messages={"required": "Enter the date the membership ends"},
    )

    def __init__(self, *args, membership, **kwargs):
        self.membership = membership
        super().__init__(*args, **kwargs)
        self.fields["end_date"].initial = max(timezone.localdate(), membership.start_date)

    def clean_end_date(self):
        end_date = self.cleaned_data["end_date"]
        if end_date < self.membership.start_date:
            start = self.membership.start_date
            raise forms.ValidationError(
                f"The end date must be on or after the start date, {start:%-d %B %Y}"
            )
        return end_date


class ChangeRoleForm(NHSForm):
    submit_label = "Save role"

    job_role = forms.ChoiceField(
        label="Job role", choices=Membership.JobRole.choices, widget=forms.RadioSelect
    )
    is_manager = forms.BooleanField(label="This person manages the premises", required=False)


class UnlockerCoverForm(NHSForm):
    submit_label = "Add cover"

    email = forms.EmailField(
        label="Unlocker's email address", help_text="They must already have an account"
    )
    premises_ods_code = forms.CharField(
        label="Premises ODS code",
        required=False,
        help_text="Leave blank to cover every premises of the organisation",
        widget=forms.TextInput(attrs={"class": "nhsuk-input--width-5"}),
    )

    def __init__(self, *args, organisation, **kwargs):
        self.organisation = organisation
        super().__init__(*args, **kwargs)

    def clean_email(self):
        from .models import User

        user = User.objects.filter(email__iexact=self.cleaned_data["email"], is_active=True).first()
        if user is None:
            raise forms.ValidationError(
                "No active account has this email address. Invite them first."
            )
        return user

    def clean_premises_ods_code(self):
        code = normalise_ods_code(self.cleaned_data["premises_ods_code"])
        if not code:
            return None
        premises = Premises.objects.filter(ods_code=code, organisation=self.organisation).first()
        if premises is None:
            raise forms.ValidationError(
                f"{self.organisation.name} has no premises with ODS code {code}"
            )
        return premises
