"""Validation and normalisation of what people type into the records area."""

import re

from django.core.exceptions import ValidationError

# Plain ASCII on purpose: `\d` would let other scripts' digits through.
GPHC_NUMBER_REGEX = r"^[0-9]{7}$"
SLUG_REGEX = r"^[a-z0-9]+(-[a-z0-9]+)*$"

# Words the guidance URLs use after /guidance/, so no page can be given them as a slug.
RESERVED_SLUGS = frozenset({"new", "search", "edit", "history", "due-for-review"})


def normalise_gphc_number(value):
    """GPhC numbers are often written with spaces ("205 1234"): keep only what was typed
    between them."""
    return re.sub(r"[\s-]+", "", value or "")


def validate_gphc_number(value):
    if not re.match(GPHC_NUMBER_REGEX, value or ""):
        raise ValidationError(
            "Enter the 7-digit GPhC registration number, like 2051234", code="invalid_gphc"
        )


def normalise_slug(value):
    return (value or "").strip().lower()


def validate_guidance_slug(value):
    if not re.match(SLUG_REGEX, value or "") or len(value) > 60:
        raise ValidationError(
            "Enter a web address name of up to 60 lowercase letters, numbers and hyphens, "
            "like eps-tokens",
            code="invalid_slug",
        )
    if value in RESERVED_SLUGS:
        raise ValidationError(
            f"“{value}” is used by the guidance pages themselves. Choose another name.",
            code="reserved_slug",
        )
