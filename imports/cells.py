"""Plain checks of one cell of an import file: functions on the text the file held.

Each takes a cell's text and returns its cleaned value, or raises ValidationError whose
messages are what the person sees, naming what to put right. They do what a Django form
field and its clean_<field> method did for a row, with the same rules in the same order
and the same words, without building a form per row (which was most of checking a big
file): the text is stripped; a cell too long or holding a NUL character is refused with
Django's own validators' messages; then the field's own rule runs.
"""

import datetime
import re

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import (
    MaxLengthValidator,
    ProhibitNullCharactersValidator,
    validate_email,
)

from accounts.validators import (
    normalise_ods_code,
    normalise_postcode,
    validate_ods_code,
    validate_postcode,
)
from accounts.widgets import NHSDateField
from nhsmail.validators import (
    normalise_nhsmail,
    validate_nhsmail_address,
    validate_personal_nhsmail_address,
)

# The longest email address (RFC 3696), as Django's EmailField allows.
EMAIL_MAX_LENGTH = 320
EMAIL_MESSAGE = "Enter an email address, like name@example.com"
DATE_MESSAGE = (
    "Enter a real date as day/month/year, like 03/04/2026 for 3 April 2026, or as "
    "2026-04-03. The portal reads dates in UK order, day first."
)
YES = {"yes", "y", "true", "1", "manager"}
NO = {"", "no", "n", "false", "0"}

_no_nul = ProhibitNullCharactersValidator()


def header_key(text: str | None) -> str:
    """A heading or choice as a key: lower case, runs of anything but letters and digits
    as one underscore ("Job role", "job-role " and "JOB_ROLE" are all "job_role")."""
    return re.sub(r"[^a-z0-9]+", "_", (text or "").strip().lower()).strip("_")


def _collect(value, checks):
    """Run every check on value and raise one ValidationError holding all their
    messages, as a form field runs its validators."""
    errors = []
    for check in checks:
        try:
            check(value)
        except ValidationError as error:
            errors.extend(error.error_list)
    if errors:
        raise ValidationError(errors)


def text(value: str | None, *, max_length: int | None = None) -> str:
    """The cell stripped of surrounding spaces ("" for none). Raises ValidationError when
    it is longer than max_length characters or holds a NUL character."""
    value = "" if value is None else str(value).strip()
    if value and ((max_length is not None and len(value) > max_length) or "\x00" in value):
        checks = [MaxLengthValidator(max_length)] if max_length is not None else []
        _collect(value, [*checks, _no_nul])
    return value


def words(value: str | None, *, max_length: int | None = None, missing: str | None = None) -> str:
    """The cell's words with single spaces between them. Blank is "" unless missing is
    given, when blank raises ValidationError("Enter the <missing>")."""
    value = " ".join(text(value, max_length=max_length).split())
    if not value and missing:
        raise ValidationError(f"Enter the {missing}")
    return value


def email(value: str | None, *, missing: str) -> str:
    """An email address in lower case. Raises ValidationError with `missing` when blank,
    or saying what an email address looks like."""
    value = "" if value is None else str(value).strip()
    if value:
        checks = []
        try:
            validate_email(value)
        except ValidationError:
            checks.append(_refuse(EMAIL_MESSAGE))
        if len(value) > EMAIL_MAX_LENGTH or "\x00" in value or checks:
            _collect(value, [*checks, MaxLengthValidator(EMAIL_MAX_LENGTH), _no_nul])
    value = value.lower()
    if not value:
        raise ValidationError(missing)
    return value


def _refuse(message):
    def check(_value):
        raise ValidationError(message)

    return check


def ods_code(value: str | None, *, missing: str) -> str:
    """A pharmacy ODS code in upper case (FA123). Raises ValidationError with `missing`
    when blank, or as accounts.validators.validate_ods_code does."""
    code = normalise_ods_code(text(value))
    if not code:
        raise ValidationError(missing)
    validate_ods_code(code)
    return code


def postcode(value: str | None) -> str:
    """A UK postcode with its space (LS1 4AP). Raises ValidationError when blank or not
    a real postcode's shape."""
    code = normalise_postcode(text(value))
    if not code:
        raise ValidationError("Enter the postcode, like LS1 4AP")
    validate_postcode(code)
    return code


def choices_lookup(choices: list[tuple[str, str]]) -> dict[str, str]:
    """{key of a stored value or label: stored value} for choice(), built once per kind."""
    found = {}
    for stored, label in choices:
        found.setdefault(header_key(stored), stored)
        found.setdefault(header_key(label), stored)
    return found


def choice(
    value: str | None, choices: list[tuple[str, str]], lookup: dict[str, str], what: str
) -> str:
    """The stored value of the choice the cell names, by its stored value or its label in
    any case and spacing. Raises ValidationError listing the labels to use."""
    value = text(value)
    stored = lookup.get(header_key(value))
    if stored is None:
        allowed = ", ".join(label for _, label in choices)
        raise ValidationError(f"'{value}' is not a {what}. Use one of: {allowed}")
    return stored


def yes_no(value: str | None) -> bool:
    """True for yes (y, true, 1, manager), False for no or blank, in any case; else
    ValidationError."""
    value = text(value).lower()
    if value in YES:
        return True
    if value in NO:
        return False
    raise ValidationError(f"'{value}' is not yes or no. Enter yes for a premises manager.")


_DATES = NHSDateField(
    required=False,
    widget=forms.TextInput,
    error_messages={
        "invalid": DATE_MESSAGE,
        "incomplete": DATE_MESSAGE,
        "year_length": DATE_MESSAGE,
    },
)


def date(value: str | None) -> datetime.date | None:
    """A date in UK order (03/04/2026 is 3 April 2026) or ISO (2026-04-03), read as the
    portal's date boxes read one; None when blank. Raises ValidationError(DATE_MESSAGE)."""
    return _DATES.clean(value)


def nhsmail_address(value: str | None, *, personal: bool) -> str:
    """An NHSmail address in lower case, "" when blank. A personal account's address
    (personal=True) is required and must not be a shared mailbox's. Raises
    ValidationError as nhsmail.validators do."""
    address = normalise_nhsmail(text(value))
    if not address:
        if personal:
            raise ValidationError("Enter their NHSmail address, like sam.jones@nhs.net")
        return address
    validate_nhsmail_address(address)
    if personal:
        validate_personal_nhsmail_address(address)
    return address
