"""Validation of what people type in the smartcards area.

The passcode guard: the portal never asks for, receives or stores a smartcard passcode
(6 to 8 numbers). Every free-text field of the area runs `validate_no_passcode`, which
refuses a run of 6 to 8 digits unless it is part of the holder's own 12-digit UUID.
"""

import re
import unicodedata

from django.core.exceptions import ValidationError

PASSCODE_MESSAGE = (
    "This looks like a smartcard passcode (6 to 8 numbers). Never share your passcode "
    "with anyone, including unlockers. Remove the numbers and try again."
)

# Digits, possibly grouped by single spaces or hyphens ("1234 5678"), count as one run:
# a passcode typed in pairs is still a passcode. Dates with slashes or dots and phone
# numbers (10 or 11 digits however grouped) stay outside the 6 to 8 range.
_DIGIT_RUN = re.compile(r"\d+(?:[ \u00a0\-]\d+)*")
_NOT_DIGIT = re.compile(r"\D")

UUID_MESSAGE = "Enter the 12-digit UUID shown on the smartcard, for example 5555 1234 5678"


def _digits(text):
    return _NOT_DIGIT.sub("", text)


def passcode_like_runs(text, uuid=""):
    """The runs of 6 to 8 digits in text that are not part of the holder's UUID."""
    normal = unicodedata.normalize("NFKC", text or "")
    found = []
    for match in _DIGIT_RUN.finditer(normal):
        # Any script's digits read as 0-9, so full-width or Arabic-Indic digits count too.
        digits = "".join(str(unicodedata.digit(c)) for c in _digits(match.group()))
        if 6 <= len(digits) <= 8 and not (uuid and digits in uuid):
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
