import re

from django.core.exceptions import ValidationError
from django.db.models import Q

from accounts.validators import ODS_CODE_PATTERN

NHSMAIL_DOMAIN = "nhs.net"
_LOCAL_PART = re.compile(r"^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$")

# Shared mailbox addresses, which are never a person's own account. The one truth for
# both Python (is_shared_mailbox_address) and database queries (shared_mailbox_address_q):
# each pattern uses only anchors, literal text, escaped dots and bracket classes with a
# count, so Python's re, PostgreSQL's ~* and SQLite's REGEXP (through Django) agree.
# Matched ignoring case.
_ODS_CODE = ODS_CODE_PATTERN.pattern.removeprefix("^").removesuffix("$")  # F[A-Z0-9]{4}
_DOMAIN = re.escape(NHSMAIL_DOMAIN)
SHARED_MAILBOX_ADDRESS_PATTERNS = (
    # The national convention: pharmacy.<ODS code>@nhs.net, like pharmacy.fah23@nhs.net.
    rf"^pharmacy\.{_ODS_CODE}@{_DOMAIN}$",
    # The legacy alias: nhspharmacy.<place>.<name><ODS code>@nhs.net, like
    # nhspharmacy.leeds.boots.fa123@nhs.net. No person's own address starts nhspharmacy.,
    # so the whole prefix is refused, whatever follows it.
    rf"^nhspharmacy\.[^@]+@{_DOMAIN}$",
)
_SHARED_MAILBOX_ADDRESS = tuple(
    re.compile(pattern, re.IGNORECASE) for pattern in SHARED_MAILBOX_ADDRESS_PATTERNS
)


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


def is_shared_mailbox_address(address):
    """Whether an address has the shape of a pharmacy shared mailbox.

    Shape only: an address stored as a premises' SharedMailbox is a shared mailbox too,
    whatever its shape, and only the database knows those (see shared_mailbox_address_q).
    """
    address = normalise_nhsmail(address)
    return any(pattern.fullmatch(address) for pattern in _SHARED_MAILBOX_ADDRESS)


def shared_mailbox_address_q(field="address"):
    """A Q matching rows whose `field` has the shape of a shared mailbox address."""
    matches = Q()
    for pattern in SHARED_MAILBOX_ADDRESS_PATTERNS:
        matches |= Q(**{f"{field}__iregex": pattern})
    return matches


def shared_mailbox_message(address):
    return (
        f"{normalise_nhsmail(address)} is a shared mailbox address. Enter the person's own "
        "NHSmail address, like firstname.lastname@nhs.net"
    )


def validate_personal_nhsmail_address(value):
    """A personal account's address must not be a shared mailbox's (by its shape)."""
    if is_shared_mailbox_address(value):
        raise ValidationError(shared_mailbox_message(value), code="shared_mailbox")


def suggested_shared_mailbox(ods_code):
    """The national convention for a pharmacy's shared mailbox."""
    return f"pharmacy.{ods_code.lower()}@{NHSMAIL_DOMAIN}"
