from crispy_forms.helper import FormHelper
from django import forms
from django.core.validators import ProhibitNullCharactersValidator
from django.utils import timezone

from accounts.forms import NHSForm, NHSModelForm
from accounts.widgets import NHSDateField

from .models import RegistrationAuthority, SmartcardRequest
from .services import OUTCOME_DONE, OUTCOME_REFERRED
from .validators import (
    normalise_uk_mobile,
    normalise_uuid,
    validate_no_passcode,
    validate_phone,
    validate_uuid,
)

NOTE_HINT = "Never include a passcode: nobody, including an unlocker, needs it."


def _note_field(label, *, required=False, help_text=NOTE_HINT):
    return forms.CharField(
        label=label,
        required=required,
        max_length=500,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class _FieldsVaryForm(NHSForm):
    """A form that drops fields in __init__: its crispy layout is rebuilt to match."""

    def refresh_layout(self):
        inputs = self.helper.inputs
        method = self.helper.form_method
        self.helper = FormHelper(self)
        self.helper.inputs = inputs
        self.helper.form_method = method


class MobileNumberField(forms.CharField):
    """A phone number as typed: its one message for anything wrong, a NUL byte included
    (Django's own field would answer that in its own words)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators = [
            v for v in self.validators if not isinstance(v, ProhibitNullCharactersValidator)
        ]


class HolderForm(_FieldsVaryForm):
    """A person's card details: theirs, or a member of staff's for their manager. The
    holder's own form also takes a mobile number for text reminders where the portal sends
    text messages (offer_text_reminders; decisions/0041)."""

    submit_label = "Save card details"

    uuid = forms.CharField(
        label="UUID",
        max_length=40,
        help_text="The 12-digit user identifier printed on the smartcard, for example "
        "5555 1234 5678",
        widget=forms.TextInput(
            attrs={
                "class": "nhsuk-input--width-10",
                "inputmode": "numeric",
                "autocomplete": "off",
                "spellcheck": "false",
            }
        ),
    )
    certificate_expires_on = NHSDateField(
        label="When do the card's certificates expire?",
        help_text="Care Identity Management shows the date. For example, 27 3 2027",
        error_messages={"required": "Enter the date the certificates expire"},
    )
    has_cim_email = forms.BooleanField(
        label="My Care Identity profile has a valid email address",
        required=False,
        help_text="With one, you can unlock your own card with self-service unlock",
    )
    reminder_mobile = MobileNumberField(
        label="Mobile phone number for text reminders (optional)",
        required=False,
        help_text="We text you when your certificates can be renewed, and again shortly "
        "before they expire. Leave it empty for no texts. For example, 07700 900 982",
        widget=forms.TextInput(
            attrs={
                "class": "nhsuk-input--width-20",
                "type": "tel",
                "autocomplete": "tel",
                "spellcheck": "false",
            }
        ),
    )

    def __init__(self, *args, holder=None, for_self=True, offer_text_reminders=False, **kwargs):
        self.holder = holder
        super().__init__(*args, **kwargs)
        # Only the holder gives their own number, and only where texts can be sent.
        if not (for_self and offer_text_reminders):
            del self.fields["reminder_mobile"]
            self.refresh_layout()
        if not for_self:
            self.fields[
                "has_cim_email"
            ].label = "Their Care Identity profile has a valid email address"
            self.fields[
                "has_cim_email"
            ].help_text = "With one, they can unlock their own card with self-service unlock"

    def clean_uuid(self):
        uuid = normalise_uuid(self.cleaned_data["uuid"])
        validate_uuid(uuid)
        return uuid

    def clean_reminder_mobile(self):
        mobile = self.cleaned_data["reminder_mobile"]
        return normalise_uk_mobile(mobile) if mobile else ""

    def clean_certificate_expires_on(self):
        expires_on = self.cleaned_data["certificate_expires_on"]
        unchanged = self.holder is not None and self.holder.certificate_expires_on == expires_on
        if not unchanged and expires_on < timezone.localdate():
            raise forms.ValidationError(
                "The certificate expiry date must be today or in the future. If the "
                "certificates have expired, only the Registration Authority can repair the card."
            )
        return expires_on


def holder_choice_label(holder):
    """A member of staff in the holder list, marked when their certificates have expired."""
    state = holder.certificate()
    if state.is_expired:
        return f"{holder.user.full_name} (certificates expired on {state.expires_on:%-d %B %Y})"
    return holder.user.full_name


class RaiseRequestForm(_FieldsVaryForm):
    """Ask an unlocker for help with a card: the holder's own, or a member of staff's."""

    submit_label = "Send request"

    holder = forms.ModelChoiceField(
        queryset=None,
        label="Who is the request for?",
        empty_label="Choose a member of staff",
        error_messages={"invalid_choice": "Choose a member of staff with card details recorded"},
    )
    kind = forms.ChoiceField(
        label="What is needed?",
        choices=[
            (SmartcardRequest.Kind.UNLOCK, "Unlock the card"),
            (SmartcardRequest.Kind.RENEW, "Renew the card's certificates"),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Select unlock or renew"},
    )
    premises = forms.ModelChoiceField(
        queryset=None,
        label="Where are you working?",
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={"required": "Select the premises you are working at"},
    )
    urgent = forms.BooleanField(
        label="I cannot dispense until this is resolved",
        required=False,
        help_text="Urgent requests go to the top of the unlockers' queue",
    )
    note = _note_field("Anything the unlocker should know (optional)")
    tried_self_service = forms.BooleanField(
        label="I have tried self-service unlock, or cannot use it now", required=False
    )
    expired_understood = forms.BooleanField(
        label="I understand only the Registration Authority can repair the card. "
        "Send the unlock request anyway.",
        required=False,
    )

    def __init__(
        self,
        *args,
        holder=None,
        holders=None,
        premises_choices=None,
        ask_expired=False,
        **kwargs,
    ):
        self.holder = holder
        super().__init__(*args, **kwargs)
        if not ask_expired:
            del self.fields["expired_understood"]
        elif holders is not None:
            self.fields["expired_understood"].label = (
                "If their certificates have expired: I understand only the Registration "
                "Authority can repair the card. Send the unlock request anyway."
            )
        if holders is None:
            del self.fields["holder"]
        else:
            self.fields["holder"].queryset = holders
            self.fields["holder"].label_from_instance = holder_choice_label
            self.fields["urgent"].label = "They cannot dispense until this is resolved"
            self.fields["note"].help_text = (
                "For example when they are at the pharmacy. " + NOTE_HINT
            )
        if premises_choices is None:
            del self.fields["premises"]
        else:
            self.fields["premises"].queryset = premises_choices
            self.fields["premises"].label_from_instance = lambda p: f"{p.name} ({p.ods_code})"
        if holders is not None or holder is None or not holder.has_cim_email:
            del self.fields["tried_self_service"]
        self.refresh_layout()

    def _holder(self):
        return self.cleaned_data.get("holder") or self.holder

    def clean(self):
        cleaned = super().clean()
        holder = self._holder()
        note = cleaned.get("note") or ""
        try:
            validate_no_passcode(note, holder.uuid if holder else "")
        except forms.ValidationError as error:
            self.add_error("note", error)
        if (
            "tried_self_service" in self.fields
            and cleaned.get("kind") == SmartcardRequest.Kind.UNLOCK
            and not cleaned.get("tried_self_service")
        ):
            self.add_error(
                "tried_self_service",
                "Try self-service unlock first, or tick to say you cannot use it now",
            )
        return cleaned


class CancelForm(NHSForm):
    submit_label = "Cancel the request"

    reason = _note_field("Why are you cancelling? (optional)")

    def __init__(self, *args, uuid="", **kwargs):
        self.uuid = uuid
        super().__init__(*args, **kwargs)

    def clean_reason(self):
        reason = self.cleaned_data["reason"]
        validate_no_passcode(reason, self.uuid)
        return reason


class ResolveForm(_FieldsVaryForm):
    submit_label = "Record the outcome"

    outcome = forms.ChoiceField(
        label="What happened?",
        widget=forms.RadioSelect,
        error_messages={"required": "Select what happened"},
    )
    new_expires_on = NHSDateField(
        label="New certificate expiry date",
        required=False,
        help_text="As Care Identity Management shows it after the renewal. For example, 27 3 2028",
    )
    note = _note_field(
        "Note for the holder",
        required=True,
        help_text="What you did, or what they need to do next. " + NOTE_HINT,
    )
    identity_checked = forms.BooleanField(
        label="I checked the holder's identity as my Registration Authority's procedure requires",
        required=False,
    )

    def __init__(self, *args, smartcard_request, **kwargs):
        self.smartcard_request = smartcard_request
        super().__init__(*args, **kwargs)
        is_renewal = smartcard_request.kind == SmartcardRequest.Kind.RENEW
        self.fields["outcome"].choices = [
            (OUTCOME_DONE, "Renewed the certificates" if is_renewal else "Unlocked the card"),
            (OUTCOME_REFERRED, "Referred to the Registration Authority"),
        ]
        self.fields["note"].error_messages["required"] = "Enter a short note for the holder"
        if not is_renewal:
            del self.fields["new_expires_on"]
        self.refresh_layout()

    def clean_note(self):
        note = self.cleaned_data["note"]
        validate_no_passcode(note, self.smartcard_request.holder.uuid)
        return note

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("outcome") == OUTCOME_DONE:
            if not cleaned.get("identity_checked"):
                self.add_error(
                    "identity_checked",
                    "Confirm you checked the holder's identity as your Registration "
                    "Authority's procedure requires",
                )
            if (
                "new_expires_on" in self.fields
                and "new_expires_on" not in self.errors
                and cleaned.get("new_expires_on") is None
            ):
                self.add_error(
                    "new_expires_on",
                    "Enter the new certificate expiry date from Care Identity Management",
                )
        return cleaned


class DeclineForm(NHSForm):
    submit_label = "Decline the request"

    reason = _note_field(
        "Why are you declining it?",
        required=True,
        help_text="The holder reads this. " + NOTE_HINT,
    )

    def __init__(self, *args, smartcard_request, **kwargs):
        self.smartcard_request = smartcard_request
        super().__init__(*args, **kwargs)
        self.fields["reason"].error_messages["required"] = "Enter why you are declining the request"

    def clean_reason(self):
        reason = self.cleaned_data["reason"]
        validate_no_passcode(reason, self.smartcard_request.holder.uuid)
        return reason


class HolderSearchForm(NHSForm):
    submit_label = "Search"

    q = forms.CharField(
        label="Name, email address or UUID",
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "spellcheck": "false"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper.form_method = "get"
        self.helper.disable_csrf = True

    def clean_q(self):
        query = " ".join(self.cleaned_data["q"].split())
        validate_no_passcode(query)
        compact = query.replace(" ", "").replace("-", "")
        if compact.isdigit() and len(compact) != 12:
            raise forms.ValidationError("Enter the full 12-digit UUID, or part of a name")
        return compact if compact.isdigit() else query


class RegistrationAuthorityForm(NHSModelForm):
    submit_label = "Save contact details"

    class Meta:
        model = RegistrationAuthority
        fields = ["name", "main_phone", "local_phone", "email", "notes"]
        labels = {"name": "Name of the Registration Authority"}
        help_texts = {
            "local_phone": "Optional",
            "email": "Optional",
            "notes": "Optional: opening hours, what to have ready when calling",
        }
        widgets = {
            "main_phone": forms.TextInput(
                attrs={"class": "nhsuk-input--width-20", "autocomplete": "off", "type": "tel"}
            ),
            "local_phone": forms.TextInput(
                attrs={"class": "nhsuk-input--width-20", "autocomplete": "off", "type": "tel"}
            ),
            "notes": forms.Textarea(attrs={"rows": 4}),
        }

    def clean_main_phone(self):
        phone = self.cleaned_data["main_phone"].strip()
        validate_phone(phone)
        return phone

    def clean_local_phone(self):
        phone = self.cleaned_data["local_phone"].strip()
        if phone:
            validate_phone(phone)
        return phone

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        validate_no_passcode(name)
        return name

    def clean_notes(self):
        notes = self.cleaned_data["notes"]
        validate_no_passcode(notes)
        return notes
