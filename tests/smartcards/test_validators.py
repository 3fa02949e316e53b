import pytest
from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError

from smartcards.validators import (
    MOBILE_MESSAGE,
    NOT_MOBILE_MESSAGE,
    PASSCODE_GUARD_EXAMPLES,
    PASSCODE_MESSAGE,
    normalise_uk_mobile,
    normalise_uuid,
    passcode_like_runs,
    uk_mobile_for_display,
    validate_no_passcode,
    validate_phone,
    validate_uuid,
)
from tests.smartcards.factories import SmartcardHolderFactory

UUID = "555500009999"


@pytest.mark.parametrize(
    "text",
    [
        "123456",
        "my passcode is 1234567",
        "12345678 please",
        "12 34 56",
        "1234-5678",
        "１２３４５６",  # full-width digits
        "٣٤٥٦٧٨",  # Arabic-Indic digits
        "pin:654321.",
        "87654321 is not part of the UUID",
    ],
)
def test_passcode_like_text_is_refused(text):
    with pytest.raises(ValidationError) as caught:
        validate_no_passcode(text, UUID)
    assert caught.value.messages == [PASSCODE_MESSAGE]
    assert "Never share your passcode" in PASSCODE_MESSAGE


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Locked after lunch",
        "12345",  # 5 digits: too short for a passcode
        "123456789",  # 9 digits: too long
        "My UUID is 555500009999",
        "UUID 5555 0000 9999",
        "the last digits are 00009999",  # part of the holder's own UUID
        "Call the RA on 01484 355220 or 0845 127 2600",
        "Expires 27/03/2026",
        "In from 9 to 5, room 12",
    ],
)
def test_ordinary_text_is_allowed(text):
    validate_no_passcode(text, UUID)


def test_uuid_parts_only_count_for_that_holder():
    assert passcode_like_runs("00009999", uuid="") == ["00009999"]
    assert passcode_like_runs("00009999", uuid=UUID) == []


@pytest.mark.parametrize("value", ["5555 0000 9999", "5555-0000-9999", " 555500009999 "])
def test_uuid_is_normalised(value):
    assert normalise_uuid(value) == UUID
    validate_uuid(value)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "12345678901",
        "1234567890123",
        "abcdefghijkl",
        "５５５５１２３４５６７８",
        "5555 1234 567x",
    ],
)
def test_bad_uuid(value):
    with pytest.raises(ValidationError, match="12-digit UUID"):
        validate_uuid(value)


@pytest.mark.parametrize(
    "value", ["0845 127 2600", "01484 355220", "+44 1484 355220", "(01484) 355-220"]
)
def test_good_phone(value):
    validate_phone(value)


@pytest.mark.parametrize("value", ["", "12345", "call me", "0845 127 2600 ext", "0" * 20])
def test_bad_phone(value):
    with pytest.raises(ValidationError, match="UK phone number"):
        validate_phone(value)


def test_bad_uuid_says_which_rule_it_broke():
    with pytest.raises(ValidationError) as refused:
        validate_uuid("12345")
    assert refused.value.code == "invalid_uuid"
    assert normalise_uuid("") == normalise_uuid(None) == ""


@pytest.mark.parametrize(
    ("value", "good"),
    [
        # From 10 to 13 digits, spaces and brackets aside.
        ("084 512 726", False),
        ("0845 127 260", True),
        ("+44 (0) 845 127 2600", True),
        ("+44 (0) 845 127 26001", False),
    ],
)
def test_phone_numbers_have_10_to_13_digits(value, good):
    if good:
        validate_phone(value)
        return
    with pytest.raises(ValidationError) as refused:
        validate_phone(value)
    assert refused.value.code == "invalid_phone"
    assert refused.value.messages == ["Enter a UK phone number, like 0845 127 2600 or 01484 355220"]


@pytest.mark.django_db
def test_database_refuses_a_uuid_that_is_not_12_digits():
    with pytest.raises(IntegrityError):
        SmartcardHolderFactory(uuid="12345")


@pytest.mark.parametrize(
    ("text", "refused", "why"),
    PASSCODE_GUARD_EXAMPLES,
    ids=[example[0] for example in PASSCODE_GUARD_EXAMPLES],
)
def test_passcode_guard_examples(text, refused, why):
    """The guard's rule, example by example, as smartcards/validators.py states it."""
    if refused:
        with pytest.raises(ValidationError, match="smartcard passcode"):
            validate_no_passcode(text, UUID)
    else:
        validate_no_passcode(text, UUID)


def test_a_note_with_a_date_or_extension_is_accepted_by_the_request_form(client_for, holder):
    from django.urls import reverse

    from smartcards.models import SmartcardRequest

    response = client_for("staff").post(
        reverse("smartcard_request_create"),
        {
            "kind": "unlock",
            "note": "Certificates expire 27-06-2027. I am on ext 355220 until 5.",
        },
    )
    assert response.status_code == 302
    assert SmartcardRequest.objects.get().note.startswith("Certificates expire 27-06-2027")


# Mobile numbers for text reminders: what people type, and what is stored (E.164).
GOOD_MOBILES = [
    ("07700 900123", "+447700900123"),
    ("07700900123", "+447700900123"),
    ("+44 7700 900123", "+447700900123"),
    ("+447700900123", "+447700900123"),
    ("447700900123", "+447700900123"),
    ("0044 7700 900123", "+447700900123"),
    ("+44 (0)7700 900123", "+447700900123"),
    ("07700-900-123", "+447700900123"),
    ("(07700) 900 123", "+447700900123"),
    (" 07700 900 982 ", "+447700900982"),
    ("07700\u00a0900123", "+447700900123"),  # a non-breaking space, pasted
    ("\uff10\uff17\uff17\uff10\uff10\uff19\uff10\uff10\uff11\uff12\uff13", "+447700900123"),
    ("07400 123456", "+447400123456"),  # an allocated mobile range
    ("07624 123456", "+447624123456"),  # Isle of Man: a UK number to Notify
    ("07797 123456", "+447797123456"),  # Jersey
]

BAD_MOBILES = [
    ("", MOBILE_MESSAGE, "empty"),
    ("   ", MOBILE_MESSAGE, "spaces only"),
    ("01484 355220", NOT_MOBILE_MESSAGE, "a landline"),
    ("020 7946 0000", NOT_MOBILE_MESSAGE, "a London landline"),
    ("0845 127 2600", NOT_MOBILE_MESSAGE, "a non-geographic number"),
    ("0800 123 4567", NOT_MOBILE_MESSAGE, "freephone"),
    ("070 1234 5678", NOT_MOBILE_MESSAGE, "a personal number, not a mobile"),
    ("076 2345 6789", NOT_MOBILE_MESSAGE, "a pager"),
    ("+33 6 12 34 56 78", MOBILE_MESSAGE, "a French mobile"),
    ("+1 202 555 0123", MOBILE_MESSAGE, "an American number"),
    ("+353 85 123 4567", MOBILE_MESSAGE, "an Irish mobile"),
    ("07700 9OO123", MOBILE_MESSAGE, "letters for zeros"),
    ("call me", MOBILE_MESSAGE, "words"),
    ("07700 900123 ext 1", MOBILE_MESSAGE, "an extension"),
    ("07700\x00900123", MOBILE_MESSAGE, "a NUL byte"),
    ("0770090012", MOBILE_MESSAGE, "a digit short"),
    ("077009001234", MOBILE_MESSAGE, "a digit too many"),
    ("07" + "1" * 40, MOBILE_MESSAGE, "far too long"),
    ("++447700900123", MOBILE_MESSAGE, "two plus signs"),
    ("+44 7700 900123; DROP TABLE", MOBILE_MESSAGE, "a tail of SQL"),
    ("<script>07700900123</script>", MOBILE_MESSAGE, "markup"),
    ("7", MOBILE_MESSAGE, "one digit"),
]


@pytest.mark.parametrize(("typed", "stored"), GOOD_MOBILES)
def test_uk_mobile_numbers_are_stored_as_e164(typed, stored):
    assert normalise_uk_mobile(typed) == stored


@pytest.mark.parametrize(("typed", "message", "why"), BAD_MOBILES)
def test_anything_but_a_uk_mobile_is_refused(typed, message, why):
    with pytest.raises(ValidationError) as caught:
        normalise_uk_mobile(typed)
    assert caught.value.messages == [message], why
    assert "like 07700 900 982" in message


def test_a_stored_mobile_reads_as_people_write_it():
    assert uk_mobile_for_display("+447700900982") == "07700 900982"
    assert uk_mobile_for_display("") == ""


@pytest.mark.django_db
@pytest.mark.parametrize("stored", ["07700900123", "+4477009001234", "+33612345678", "+44 7700"])
def test_database_refuses_a_mobile_that_is_not_e164(stored):
    # PostgreSQL refuses one too long for the column before its check (DataError).
    with pytest.raises((IntegrityError, DataError)):
        SmartcardHolderFactory(reminder_mobile=stored)
