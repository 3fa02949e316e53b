"""Validation of what people type in the smartcards area.

The passcode guard: the portal never asks for, receives or stores a smartcard passcode
(6 to 8 numbers). Every free-text field of the area runs `validate_no_passcode`. The
rule, and the examples that pin it down (`PASSCODE_GUARD_EXAMPLES`, run as a table by
tests/smartcards/test_validators.py), live here and nowhere else:

- A run is digits possibly grouped by single spaces or hyphens ("12 34 56",
  "1234-5678"), after Unicode normalisation, so any script's digits count.
- A run of 6 to 8 digits stands as a code and is refused, unless
  - it is part of the holder's own 12-digit UUID; or
  - it is a real calendar date written in a common UK form with separators
    (27-06-2027, 27 06 2027, 27-6-27, 2027-06-27); slashes and dots never join a run,
    so 27/06/2027 and 27.06.2027 are always apart; or
  - a phone word comes just before it ("ext 355220", "extension 355 220", "tel:
    355220", "call me on 355220", "bleep 123456").
- Whatever the shape, a run of 6 to 8 digits near a passcode word ("passcode", "PIN",
  "code", "password") is refused: "my PIN is 27-06-2027" is a passcode however it looks.
- Runs shorter than 6 or longer than 8 digits (phone numbers of 10 or 11) are let through.
"""

import re
import unicodedata
from datetime import date

import phonenumbers
from django.core.exceptions import ValidationError

PASSCODE_MESSAGE = (
    "This looks like a smartcard passcode (6 to 8 numbers). Never share your passcode "
    "with anyone, including unlockers. Remove the numbers and try again. Dates (27-06-2027) "
    "and phone extensions (ext 355220) are fine."
)

# Digits, possibly grouped by single spaces or hyphens ("1234 5678"), count as one run:
# a passcode typed in pairs is still a passcode.
_DIGIT_RUN = re.compile(r"\d+(?:[ \u00a0\-]\d+)*")
_NOT_DIGIT = re.compile(r"\D")
_GROUPS = re.compile(r"\d+")

# Words that make a number a passcode whatever its shape, searched this close to the run.
_PASSCODE_WORDS = re.compile(r"\b(?:pass\s*codes?|pins?|codes?|passwords?|passwd)\b", re.I)
_PASSCODE_WORD_REACH = 30
# A phone word immediately before the run (allowing "me on", a colon or a full stop).
_PHONE_BEFORE = re.compile(
    r"(?:\b(?:ext|extn|extension|tel|telephone|phone|mobile|bleep|direct\s+line|call|ring)"
    r"\b\.?|\bx)\s*(?:(?:me|us|them|him|her)\s+)?(?:on\s+)?[:#]?\s*$",
    re.I,
)

PASSCODE_GUARD_EXAMPLES = [
    # (text, refused?, why)
    ("123456", True, "six digits standing alone"),
    ("12345678 please", True, "eight digits"),
    ("my passcode is 1234567", True, "a passcode word"),
    ("pin:654321.", True, "a passcode word"),
    ("code 9876543", True, "a passcode word"),
    ("12 34 56", True, "grouped in pairs, not a date"),
    ("1234-5678", True, "grouped, not a date"),
    ("\uff11\uff12\uff13\uff14\uff15\uff16", True, "full-width digits"),
    ("\u0663\u0664\u0665\u0666\u0667\u0668", True, "Arabic-Indic digits"),
    ("27062027", True, "a date without separators reads as a code"),
    ("my PIN is 27-06-2027", True, "date-shaped, but a passcode word is beside it"),
    ("ext 355220 - new PIN 123456", True, "the second number is a PIN"),
    ("31-02-2027", True, "not a real date"),
    ("Certificates expire 27-06-2027", False, "a date with hyphens"),
    ("Certificates expire 27 06 2027", False, "a date with spaces"),
    ("Expires 27-6-27", False, "a short date"),
    ("Renewed on 2027-06-27", False, "an ISO date"),
    ("Expires 27/03/2026", False, "slashes never join a run"),
    ("Expires 27.03.2026", False, "dots never join a run"),
    ("Ring me on ext 355220", False, "a phone extension"),
    ("extension 355 220", False, "a grouped extension"),
    ("Tel: 355220", False, "a phone word"),
    ("call me on 355220", False, "call me on"),
    ("Bleep 123456 when you arrive", False, "a bleep number"),
    ("Call the RA on 01484 355220 or 0845 127 2600", False, "phone numbers are 10+ digits"),
    ("12345", False, "five digits: too short for a passcode"),
    ("123456789", False, "nine digits: too long"),
    ("In from 9 to 5, room 12", False, "short numbers"),
]

UUID_MESSAGE = "Enter the 12-digit UUID shown on the smartcard, for example 5555 1234 5678"


def _digits(text):
    return _NOT_DIGIT.sub("", text)


def _ascii_digits(text):
    # Any script's digits read as 0-9, so full-width or Arabic-Indic digits count too.
    return "".join(str(unicodedata.digit(c)) if c.isdigit() else c for c in text)


def _is_calendar_date(run):
    """A run written as a real date with separators: d-m-yy(yy), d m yyyy, yyyy-m-d."""
    groups = _GROUPS.findall(run)
    if len(groups) != 3 or len(set(re.findall(r"\D+", run))) != 1:
        return False
    first, middle, last = (int(g) for g in groups)
    if len(groups[0]) == 4:
        year, month, day = first, middle, last
    elif len(groups[2]) in (2, 4) and len(groups[0]) <= 2 and len(groups[1]) <= 2:
        day, month, year = first, middle, last
        if len(groups[2]) == 2:
            year += 2000
    else:
        return False
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def _near_passcode_word(text, start, end):
    window = text[max(0, start - _PASSCODE_WORD_REACH) : end + _PASSCODE_WORD_REACH]
    return bool(_PASSCODE_WORDS.search(window))


def passcode_like_runs(text, uuid=""):
    """The runs of 6 to 8 digits in text that the guard refuses (see the module's rule)."""
    normal = _ascii_digits(unicodedata.normalize("NFKC", text or ""))
    found = []
    for match in _DIGIT_RUN.finditer(normal):
        run = match.group()
        digits = _digits(run)
        if not 6 <= len(digits) <= 8 or (uuid and digits in uuid):
            continue
        if not _near_passcode_word(normal, match.start(), match.end()) and (
            _is_calendar_date(run) or _PHONE_BEFORE.search(normal[: match.start()])
        ):
            continue
        found.append(digits)
    return found


def validate_no_passcode(text, uuid=""):
    if passcode_like_runs(text, uuid):
        raise ValidationError(PASSCODE_MESSAGE, code="passcode")


def normalise_uuid(value):
    """The UUID as 12 digits, without the spaces or hyphens people type between groups."""
    return re.sub(r"[\s\-]+", "", value or "")


def validate_uuid(value):
    uuid = normalise_uuid(value)
    if not (uuid.isascii() and uuid.isdigit() and len(uuid) == 12):
        raise ValidationError(UUID_MESSAGE, code="invalid_uuid")


_PHONE_CHARACTERS = re.compile(r"^\+?[0-9 ()\-]+$")


def validate_phone(value):
    text = (value or "").strip()
    digits = _digits(text)
    if not _PHONE_CHARACTERS.match(text) or not 10 <= len(digits) <= 13:
        raise ValidationError(
            "Enter a UK phone number, like 0845 127 2600 or 01484 355220", code="invalid_phone"
        )


# A holder's mobile number for text reminders (decisions/0041): a UK mobile, stored as
# E.164 (+447...), which is how GOV.UK Notify takes it. The phonenumbers library (Google's
# libphonenumber metadata) knows which +44 numbers are mobiles, the Channel Islands' and
# the Isle of Man's included; Ofcom's range for drama and examples (07700 900000 to
# 07700 900999) is not allocated, so the library calls it invalid: it is accepted, since
# the portal's own example and its demo use it.
MOBILE_MESSAGE = "Enter a UK mobile phone number, like 07700 900 982"
NOT_MOBILE_MESSAGE = (
    "This is not a mobile phone number. Enter a UK mobile phone number, like 07700 900 982"
)
_MOBILE_CHARACTERS = re.compile(r"^\+?[0-9 ().\-]+$")
_MOBILE_MAX_LENGTH = 30
_EXAMPLE_RANGE = range(7700900000, 7700901000)


def normalise_uk_mobile(value):
    """The UK mobile number typed in `value` ("07700 900982", "+44 7700 900982",
    "0044 (0)7700-900-982") as E.164, "+447700900982". Raises ValidationError
    (MOBILE_MESSAGE, or NOT_MOBILE_MESSAGE for a UK landline or other non-mobile number)
    for anything else: other countries, letters, too few or too many digits."""
    text = unicodedata.normalize("NFKC", value or "").strip()
    if not text or len(text) > _MOBILE_MAX_LENGTH or not _MOBILE_CHARACTERS.match(text):
        raise ValidationError(MOBILE_MESSAGE, code="invalid_mobile")
    try:
        number = phonenumbers.parse(text, "GB")
    except phonenumbers.NumberParseException:
        raise ValidationError(MOBILE_MESSAGE, code="invalid_mobile") from None
    if number.country_code != 44:
        raise ValidationError(MOBILE_MESSAGE, code="invalid_mobile")
    if number.national_number not in _EXAMPLE_RANGE:
        if not phonenumbers.is_valid_number(number):
            raise ValidationError(MOBILE_MESSAGE, code="invalid_mobile")
        if phonenumbers.number_type(number) != phonenumbers.PhoneNumberType.MOBILE:
            raise ValidationError(NOT_MOBILE_MESSAGE, code="not_mobile")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def uk_mobile_for_display(e164):
    """A stored mobile number (+447700900982) as people write it: "07700 900982"."""
    if not e164:
        return ""
    national = e164.removeprefix("+44")
    return f"0{national[:4]} {national[4:]}"
