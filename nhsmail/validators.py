import re

from django.core.exceptions import ValidationError

NHSMAIL_DOMAIN = "nhs.net"
_LOCAL_PART = re.compile(r"^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$")


def normalise_nhsmail(value):
    return (value or "").strip().lower()


def validate_nhsmail_address(value):
    address = normalise_nhsmail(value)
    local, _, domain = address.partition("@")
    if domain != NHSMAIL_DOMAIN:
        raise ValidationError(
            "Enter an NHSmail address ending in @nhs.net, like firstname.lastname@nhs.net",
            code="not_nhsmail",
        )
    if not _LOCAL_PART.match(local) or ".." in local:
        raise ValidationError(
            "Enter an NHSmail address with only letters, numbers, dots and hyphens before @nhs.net",
            code="invalid_nhsmail",
        )


def suggested_shared_mailbox(ods_code):
    """The national convention for a pharmacy's shared mailbox."""
    return f"pharmacy.{ods_code.lower()}@{NHSMAIL_DOMAIN}"
