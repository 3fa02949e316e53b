from crispy_forms.helper import FormHelper
from django import forms

from accounts.forms import NHSForm
from accounts.widgets import NHSDateField

from .models import PersonalAccount
from .validators import (
    normalise_nhsmail,
    validate_nhsmail_address,
    validate_personal_nhsmail_address,
)


class NHSmailAddressField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 254)
        kwargs.setdefault(
            "widget", forms.EmailInput(attrs={"spellcheck": "false", "autocomplete": "off"})
        )
        super().__init__(**kwargs)

    def clean(self, value):
        value = normalise_nhsmail(super().clean(value))
        validate_nhsmail_address(value)
        return value


class PersonalNHSmailAddressField(NHSmailAddressField):
    """A person's own NHSmail address: never a shared mailbox's."""

    def clean(self, value):
        value = super().clean(value)
        validate_personal_nhsmail_address(value)
        return value


class MailboxForm(NHSForm):
    submit_label = "Save shared mailbox"

    address = NHSmailAddressField(
        label="Shared mailbox address",
        help_text="Pharmacy shared mailboxes are usually pharmacy.<ODS code>@nhs.net",
    )
    owners = forms.ModelMultipleChoiceField(
        label="Shared mailbox owners",
        help_text="Owners add and remove staff from the mailbox in NHSmail",
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, staff_users, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owners"].queryset = staff_users


class AccountForm(NHSForm):
    submit_label = "Save NHSmail account"

    address = PersonalNHSmailAddressField(
        label="Personal NHSmail address",
        help_text="Your own address, for example firstname.lastname@nhs.net. "
        "Not the pharmacy's shared mailbox.",
    )
    status = forms.ChoiceField(
        label="Account status",
        choices=PersonalAccount.Status.choices,
        widget=forms.RadioSelect,
        initial=PersonalAccount.Status.LIVE,
    )


class AccountLiveForm(NHSForm):
    """A manager records the starter's new account when it goes live."""

    submit_label = "Record the account as live"

    address = PersonalNHSmailAddressField(
        label="Their new personal NHSmail address",
        help_text="For example firstname.lastname@nhs.net, as NHSmail issued it. "
        "Not the pharmacy's shared mailbox.",
        error_messages={"required": "Enter their new personal NHSmail address"},
    )
    link = forms.BooleanField(
        label="Link it to the shared mailbox now",
        required=False,
        initial=True,
        help_text="Tick once a shared mailbox owner has added them in NHSmail.",
    )

    def __init__(self, *args, mailbox=None, **kwargs):
        super().__init__(*args, **kwargs)
        if mailbox is None:
            del self.fields["link"]
            inputs = self.helper.inputs
            self.helper = FormHelper(self)
            self.helper.inputs = inputs
        else:
            self.fields["link"].label = f"Link it to the shared mailbox, {mailbox.address}"


class LinkForm(NHSForm):
    submit_label = "Link account"

    account = forms.ModelChoiceField(
        label="Whose account should be linked to the shared mailbox?",
        queryset=None,
        empty_label="Choose a member of staff",
    )

    def __init__(self, *args, accounts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = accounts
        self.fields["account"].label_from_instance = lambda a: f"{a.user.full_name} ({a.address})"


class ConfirmLiveForm(NHSForm):
    submit_label = "Confirm account is in use"

    confirmed_on = NHSDateField(
        label="When was the account last used?",
        help_text="Today unless you know otherwise. For example, 27 3 2026",
    )


class StatusFilterForm(forms.Form):
    status = forms.ChoiceField(
        label="Status",
        required=False,
        choices=[
            ("", "All statuses"),
            ("red", "Not compliant"),
            ("amber", "At risk"),
            ("green", "Compliant"),
        ],
    )
