"""Validation of what staff type about tokens and PCSE orders."""

import re

from django.core.exceptions import ValidationError

# No premises uses anything like this many tokens in one go: a number above it is a typo
# (an extra nought, a barcode scanned into the box), so it is refused, not stored.
MAX_TOKENS = 100_000

# PCSE Online's own reference format is not published and has changed over the years, so
# the check is tolerant: letters, numbers and hyphens, 6 to 20 characters, at least one
# number (docs/decisions/0009-eps-pcse-reference.md).
PCSE_REFERENCE_PATTERN = re.compile(r"^[A-Z0-9](?:[A-Z0-9-]{4,18})[A-Z0-9]$")


def normalise_pcse_reference(value):
    return re.sub(r"\s+", "", value or "").upper()


def validate_pcse_reference(value):
    reference = normalise_pcse_reference(value)
    if (
        not PCSE_REFERENCE_PATTERN.match(reference)
        or "--" in reference
        or not any(c.isdigit() for c in reference)
    ):
        raise ValidationError(
            "Enter the order reference shown on PCSE Online: 6 to 20 letters and numbers, "
            "which may include hyphens",
            code="invalid_pcse_reference",
        )
