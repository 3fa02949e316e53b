"""The API's JSON shapes. Input serializers refuse fields they do not know."""

from rest_framework import serializers

from accounts.models import Membership
from nhsmail.models import PersonalAccount
from nhsmail.validators import validate_personal_nhsmail_address

MAX_ID = 2**53  # larger ids cannot exist, and some clients cannot hold them exactly


class StrictSerializer(serializers.Serializer):
    """Unknown fields are an error, not silently ignored: a typo must not pass unnoticed."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {name: ["This field is not one the API knows"] for name in unknown}
                )
        return super().to_internal_value(data)


# The JSON type each kind of field takes, as the schema states it. DRF is lenient (5 for
# "5", 0 for false, "3" for 3); a request body the schema calls invalid must be refused.
_JSON_TYPES = [
    (serializers.BooleanField, (bool,), "true or false"),
    (serializers.IntegerField, (int,), "a whole number"),
    (serializers.CharField, (str,), "text"),
    (serializers.ChoiceField, (str,), "text"),
    (serializers.DateField, (str,), "a date as text"),
]


class StrictBodySerializer(StrictSerializer):
    """A JSON request body: unknown fields refused, and each field's JSON type checked."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            wrong = {}
            for name, value in data.items():
                field = self.fields.get(name)
                if field is None or value is None:
                    continue
                for kind, types, words in _JSON_TYPES:
                    if isinstance(field, kind):
                        if not isinstance(value, types) or (
                            isinstance(value, bool) and bool not in types
                        ):
                            wrong[name] = [f"Send {words}"]
                        break
            if wrong:
                raise serializers.ValidationError(wrong)
        return super().to_internal_value(data)


class UpdatedSinceSerializer(StrictSerializer):
    updated_since = serializers.DateTimeField(
        required=False,
        help_text="Only what changed at or after this time (ISO 8601), for a nightly sync",
    )
    page = serializers.IntegerField(required=False, min_value=1)
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=500)


class MembershipFilterSerializer(UpdatedSinceSerializer):
    premises = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    # Exactly "true" or "false", as the schema says (DRF's BooleanField also takes
    # "yes", "1", "null" ...).
    current = serializers.ChoiceField(choices=["true", "false"], required=False)

    def validate_current(self, value):
        return value == "true"


class StandingSerializer(serializers.Serializer):
    """What every area's standing says: the same three levels across the portal."""

    status = serializers.ChoiceField(
        choices=["red", "amber", "green"],
        help_text="red: needs action; amber: watch; green: in order",
    )
    label = serializers.CharField(help_text="The level in the portal's words")
    reason = serializers.CharField(help_text="Why, for anything short of green")
    worked_out_at = serializers.DateTimeField()
    stale = serializers.BooleanField(help_text="true while being worked out again")


class NhsmailComplianceSerializer(StandingSerializer):
    qualifying_people = serializers.IntegerField()


class TokenStockComplianceSerializer(StandingSerializer):
    stock = serializers.IntegerField()
    days_of_cover = serializers.IntegerField(allow_null=True)
    open_orders = serializers.IntegerField()


class SmartcardComplianceSerializer(StandingSerializer):
    open_requests = serializers.IntegerField()
    urgent_requests = serializers.IntegerField()
    certificates_expired = serializers.IntegerField()
    certificates_expiring_90_days = serializers.IntegerField()


class ReadinessComplianceSerializer(StandingSerializer):
    ready_staff = serializers.IntegerField()
    eligible_staff = serializers.IntegerField()
    has_ready_pharmacist = serializers.BooleanField()


class ComplianceSerializer(serializers.Serializer):
    """Each area's standing; an area not yet worked out for a premises (for a moment after
    it is added) is left out rather than guessed."""

    nhsmail = NhsmailComplianceSerializer(required=False)
    eps_tokens = TokenStockComplianceSerializer(required=False)
    smartcards = SmartcardComplianceSerializer(required=False)
    scr_ncrs = ReadinessComplianceSerializer(required=False)


class PremisesSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    ods_code = serializers.CharField()
    name = serializers.CharField()
    address_line_1 = serializers.CharField()
    address_line_2 = serializers.CharField()
    town = serializers.CharField()
    postcode = serializers.CharField()
    region = serializers.CharField(source="region.name")
    compliance = ComplianceSerializer()


class MembershipSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField(source="user.email")
    full_name = serializers.CharField(source="user.full_name")
    premises = serializers.IntegerField(source="premises_id")
    premises_ods_code = serializers.CharField(source="premises.ods_code")
    job_role = serializers.ChoiceField(choices=Membership.JobRole.choices)
    is_manager = serializers.BooleanField()
    start_date = serializers.DateField()
    end_date = serializers.DateField(allow_null=True)


class MembershipCreateSerializer(StrictBodySerializer):
    email = serializers.EmailField(max_length=254)
    full_name = serializers.CharField(max_length=150)
    premises = serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text="Premises id")
    job_role = serializers.ChoiceField(choices=Membership.JobRole.choices)
    is_manager = serializers.BooleanField(default=False)


class MembershipCreatedSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(
        choices=["added", "invited"],
        help_text="added: the person already had an account; invited: they were emailed a link",
    )
    invitation = serializers.IntegerField()
    membership = MembershipSerializer(allow_null=True)


class MembershipEndSerializer(StrictBodySerializer):
    end_date = serializers.DateField(help_text="The first day no longer worked")


class AccountSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField(source="user.email")
    address = serializers.EmailField()
    status = serializers.ChoiceField(choices=PersonalAccount.Status.choices)
    last_confirmed_on = serializers.DateField(allow_null=True)
    updated_at = serializers.DateTimeField()


class AccountRecordSerializer(StrictBodySerializer):
    email = serializers.EmailField(max_length=254, help_text="The person's email on the portal")
    address = serializers.CharField(
        max_length=254,
        validators=[validate_personal_nhsmail_address],
        help_text="Their own NHSmail address, never a shared mailbox's",
    )
    status = serializers.ChoiceField(choices=PersonalAccount.Status.choices)


class LinkSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    account = serializers.IntegerField(source="account_id")
    account_address = serializers.EmailField(source="account.address")
    email = serializers.EmailField(source="account.user.email")
    mailbox = serializers.EmailField(source="mailbox.address")
    premises = serializers.IntegerField(source="mailbox.premises_id")
    linked_on = serializers.DateField()
    unlinked_on = serializers.DateField(allow_null=True)


class LinkCreateSerializer(StrictBodySerializer):
    account = serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text="Account id")
    premises = serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text="Premises id")


class EmptySerializer(StrictBodySerializer):
    pass


class SmartcardRequestSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    status = serializers.CharField()
    premises = serializers.IntegerField(source="premises_id")
    holder_email = serializers.EmailField(source="holder.user.email")
    urgent = serializers.BooleanField()
    raised_at = serializers.DateTimeField()
    claimed_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)


class TokenStockSerializer(serializers.Serializer):
    premises = serializers.IntegerField(source="premises.pk")
    ods_code = serializers.CharField(source="premises.ods_code")
    stock = serializers.IntegerField()
    days_of_cover = serializers.IntegerField(allow_null=True)
    reorder_level = serializers.IntegerField(allow_null=True)
    is_low = serializers.BooleanField()
    open_orders = serializers.IntegerField()
    placed_orders = serializers.IntegerField()


class TokenOrderSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    premises = serializers.IntegerField(source="premises_id")
    status = serializers.CharField()
    packs = serializers.IntegerField()
    pack_size = serializers.IntegerField()
    pcse_reference = serializers.CharField()
    created_at = serializers.DateTimeField()
    placed_on = serializers.DateField(allow_null=True)
    expected_delivery_on = serializers.DateField(allow_null=True)
    received_on = serializers.DateField(allow_null=True)
    cancelled_at = serializers.DateTimeField(allow_null=True)


class ErrorSerializer(serializers.Serializer):
    """The one error shape (api.errors)."""

    detail = serializers.CharField()
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))
