from crispy_forms.helper import FormHelper
from django import forms
from django.utils import timezone

from accounts.forms import NHSForm
from accounts.widgets import NHSDateField

from .models import OrderEscalation, StockMovement, TokenSettings
from .validators import MAX_TOKENS, normalise_pcse_reference, validate_pcse_reference


def tokens_field(label, *, help_text="", min_value=1, noun="tokens", initial=None):
    """A whole number of tokens (or packs), with plain-English messages for bad input."""
    return forms.IntegerField(
        label=label,
        help_text=help_text,
        min_value=min_value,
        max_value=MAX_TOKENS,
        initial=initial,
        error_messages={
            "required": f"Enter the number of {noun}",
            "invalid": f"Enter the number of {noun} as a whole number, like 25",
            "min_value": f"Enter a number of {noun} of {min_value} or more",
            "max_value": f"Enter a number of {noun} of {MAX_TOKENS:,} or fewer",
        },
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "class": "nhsuk-input--width-5", "spellcheck": "false"}
        ),
    )


def date_field(label, *, help_text="For example, 27 3 2026", required=True, what="date"):
    return NHSDateField(
        label=label,
        help_text=help_text,
        required=required,
        error_messages={"required": f"Enter the {what}"},
    )


class UsageForm(NHSForm):
    submit_label = "Record usage"

    quantity = tokens_field("Tokens used")
    period_days = forms.TypedChoiceField(
        label="Period",
        coerce=int,
        choices=StockMovement.Period.choices,
        initial=StockMovement.Period.DAY,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether this is one day's or a week's use"},
    )
    occurred_on = date_field(
        "Last day of use",
        help_text="The day, or the last day of the week. For example, 27 3 2026",
        what="last day of use",
    )

    if_already = forms.ChoiceField(
        label="Usage is already recorded for that day. What do you want to do?",
        choices=[
            ("add", "Add these tokens to it: they were used as well"),
            ("correct", "Correct it: this is the total used that day"),
        ],
        widget=forms.RadioSelect,
        required=False,
    )

    def __init__(self, *args, ask_if_already=False, **kwargs):
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("occurred_on", timezone.localdate())
        super().__init__(*args, **kwargs)
        if not ask_if_already:
            del self.fields["if_already"]
            inputs = self.helper.inputs
            self.helper = FormHelper(self)
            self.helper.inputs = inputs


class StockCountForm(NHSForm):
    submit_label = "Record count"

    counted = tokens_field(
        "How many tokens did you count?",
        help_text="Count every unused FP10DT token at the premises",
        min_value=0,
    )
    reason = forms.CharField(
        label="Why does the count differ?",
        help_text="For example, spoilt in the printer, or a delivery not recorded",
        max_length=500,
        error_messages={
            "required": "Say why the count differs, for example spoilt tokens",
            "max_length": "Keep the reason to 500 characters or fewer",
        },
    )


class TokenSettingsForm(NHSForm):
    submit_label = "Save settings"

    pack_size = tokens_field(
        TokenSettings._meta.get_field("pack_size").verbose_name,
        help_text=TokenSettings._meta.get_field("pack_size").help_text,
    )
    lead_time_days = forms.IntegerField(
        label="Lead time in days",
        help_text=TokenSettings._meta.get_field("lead_time_days").help_text,
        min_value=1,
        max_value=90,
        error_messages={
            "required": "Enter the lead time in days",
            "invalid": "Enter the lead time as a whole number of days, like 7",
            "min_value": "Enter a lead time of 1 day or more",
            "max_value": "Enter a lead time of 90 days or fewer",
        },
        widget=forms.TextInput(attrs={"inputmode": "numeric", "class": "nhsuk-input--width-3"}),
    )
    safety_margin_days = forms.IntegerField(
        label="Safety margin in days",
        help_text=TokenSettings._meta.get_field("safety_margin_days").help_text,
        min_value=0,
        max_value=90,
        error_messages={
            "required": "Enter the safety margin in days",
            "invalid": "Enter the safety margin as a whole number of days, like 7",
            "min_value": "Enter a safety margin of 0 days or more",
            "max_value": "Enter a safety margin of 90 days or fewer",
        },
        widget=forms.TextInput(attrs={"inputmode": "numeric", "class": "nhsuk-input--width-3"}),
    )


class OrderDraftForm(NHSForm):
    submit_label = "Save draft order"

    packs = tokens_field("Number of packs", noun="packs")

    def __init__(self, *args, pack_size, **kwargs):
        self.pack_size = pack_size
        super().__init__(*args, **kwargs)
        self.fields["packs"].help_text = f"Each pack holds {pack_size:,} tokens"

    def clean_packs(self):
        packs = self.cleaned_data["packs"]
        if packs * self.pack_size > MAX_TOKENS:
            raise forms.ValidationError(
                f"{packs:,} packs of {self.pack_size:,} is more than {MAX_TOKENS:,} tokens. "
                "Check the number of packs."
            )
        return packs


class PcseReferenceField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", "PCSE order reference")
        kwargs.setdefault("help_text", "As shown on PCSE Online once the order is placed")
        kwargs.setdefault("max_length", 100)
        kwargs.setdefault(
            "error_messages",
            {
                "required": "Enter the order reference from PCSE Online",
                "max_length": "Enter the order reference shown on PCSE Online: 6 to 20 "
                "letters and numbers, which may include hyphens",
            },
        )
        kwargs.setdefault(
            "widget",
            forms.TextInput(attrs={"class": "nhsuk-input--width-20", "spellcheck": "false"}),
        )
        super().__init__(**kwargs)

    def clean(self, value):
        reference = normalise_pcse_reference(super().clean(value))
        validate_pcse_reference(reference)
        return reference


class OrderPlaceForm(NHSForm):
    submit_label = "Save as placed"

    pcse_reference = PcseReferenceField()
    placed_on = date_field("Date placed on PCSE Online", what="date the order was placed")
    expected_delivery_on = date_field(
        "Expected delivery date (optional)",
        help_text="If PCSE Online shows one. For example, 3 4 2026",
        required=False,
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("placed_on", timezone.localdate())
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        placed_on, expected = cleaned.get("placed_on"), cleaned.get("expected_delivery_on")
        if placed_on and placed_on > timezone.localdate():
            self.add_error("placed_on", "The date the order was placed must be today or earlier")
        if placed_on and expected and expected < placed_on:
            self.add_error(
                "expected_delivery_on",
                "The expected delivery date must be on or after the date the order was placed",
            )
        return cleaned


class ExpectedDeliveryForm(NHSForm):
    submit_label = "Save expected delivery"

    expected_delivery_on = date_field("Expected delivery date", what="expected delivery date")


class OrderReceiveForm(NHSForm):
    submit_label = "Mark as received"

    received_on = date_field("Date the delivery arrived", what="date the delivery arrived")
    tokens_received = tokens_field(
        "How many tokens arrived?",
        help_text="Change this if the delivery was not the quantity ordered",
    )

    def __init__(self, *args, order, **kwargs):
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("received_on", timezone.localdate())
        kwargs["initial"].setdefault("tokens_received", order.tokens)
        super().__init__(*args, **kwargs)


class OrderCancelForm(NHSForm):
    submit_label = "Cancel order"

    reason = forms.CharField(
        label="Why is the order cancelled?",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": "Say why the order is cancelled",
            "max_length": "Keep the reason to 500 characters or fewer",
        },
    )

    def clean_reason(self):
        reason = " ".join(self.cleaned_data["reason"].split())
        if not reason:
            raise forms.ValidationError("Say why the order is cancelled")
        return reason


class EscalationForm(NHSForm):
    submit_label = "Record this chase"

    method = forms.ChoiceField(
        label="How did you chase PCSE?",
        choices=OrderEscalation.Method.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how you chased PCSE"},
    )
    note = forms.CharField(
        label="Note (optional)",
        help_text="For example, who you spoke to and what they said",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": "Keep the note to 500 characters or fewer"},
    )


class PcseOrdererForm(NHSForm):
    submit_label = "Add to the PCSE orderers"

    user = forms.ModelChoiceField(
        label="Who is linked to the PCSE Online account?",
        queryset=None,
        empty_label="Choose a member of staff",
        error_messages={
            "required": "Choose a member of staff",
            "invalid_choice": "Choose a member of staff who works at this premises",
        },
    )

    def __init__(self, *args, users, **kwargs):
        """users: the staff who may be chosen (a User queryset, from a selector)."""
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = users
