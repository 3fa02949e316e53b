"""Validation and normalisation of the identifiers pharmacy staff type in."""

import re

from django.core.exceptions import ValidationError

# Community pharmacy ODS codes are five characters beginning with F (FA123, FXX12).
# FFFFF is the national locum code, used on smartcards, never a premises.
ODS_CODE_PATTERN = re.compile(r"^F[A-Z0-9]{4}$")
NATIONAL_LOCUM_ODS_CODE = "FFFFF"

# The Royal Mail postcode shapes: outward code (area, district) and inward code.
POSTCODE_PATTERN = re.compile(
    r"^(GIR ?0AA|[A-PR-UWYZ]([0-9]{1,2}|[A-HK-Y][0-9]([0-9ABEHMNPRV-Y])?|[0-9][A-HJKPS-UW]) ?"
    r"[0-9][ABD-HJLNP-UW-Z]{2})$"
)


def normalise_ods_code(value):
    return (value or "").strip().upper()


def validate_ods_code(value):
    code = normalise_ods_code(value)
    if code == NATIONAL_LOCUM_ODS_CODE:
        raise ValidationError(
            "FFFFF is the national locum code, not a premises. Enter the premises' own ODS code.",
            code="locum_code",
        )
    if not ODS_CODE_PATTERN.match(code):
        raise ValidationError(
            "Enter a pharmacy ODS code: 5 characters starting with F, like FA123",
            code="invalid_ods_code",
        )


def normalise_postcode(value):
    compact = re.sub(r"\s+", "", (value or "")).upper()
    if len(compact) < 5:
        return compact
    return f"{compact[:-3]} {compact[-3:]}"


def validate_postcode(value):
    if not POSTCODE_PATTERN.match(normalise_postcode(value)):
        raise ValidationError("Enter a real UK postcode, like LS1 4AP", code="invalid_postcode")
