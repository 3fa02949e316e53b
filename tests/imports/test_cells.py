"""The plain checks of one cell (imports/cells.py): each rule's value and message."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from imports import cells
from imports.kinds import KINDS

JOB_ROLES = [("pharmacist", "Pharmacist"), ("technician", "Pharmacy technician")]
JOB_ROLE_KEYS = cells.choices_lookup(JOB_ROLES)


def messages(check, value, **kwargs):
    with pytest.raises(ValidationError) as raised:
        check(value, **kwargs)
    return raised.value.messages


# --- text and words ----------------------------------------------------------------------


def test_text_is_stripped_and_blank_is_empty():
    assert cells.text("  Sam Jones \t") == "Sam Jones"
    assert cells.text(None) == ""
    assert cells.text("   ") == ""


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("x" * 11, ["Ensure this value has at most 10 characters (it has 11)."]),
        ("a\x00b", ["Null characters are not allowed."]),
        (
            "x" * 10 + "\x00",
            [
                "Ensure this value has at most 10 characters (it has 11).",
                "Null characters are not allowed.",
            ],
        ),
    ],
)
def test_text_refuses_too_long_and_nul(value, expected):
    assert messages(cells.text, value, max_length=10) == expected


def test_text_length_counts_after_stripping():
    assert cells.text("  " + "x" * 10 + "  ", max_length=10) == "x" * 10


def test_words_joins_runs_of_spaces_and_says_what_is_missing():
    assert cells.words("  Sam   Jones ", missing="person's full name") == "Sam Jones"
    assert cells.words("", max_length=5) == ""
    assert messages(cells.words, " ", missing="premises name") == ["Enter the premises name"]
    assert messages(cells.words, "x" * 6, max_length=5, missing="town or city") == [
        "Ensure this value has at most 5 characters (it has 6)."
    ]


# --- email -------------------------------------------------------------------------------


def test_email_is_lower_case():
    assert cells.email(" Sam.Jones@Example.TEST ", missing="Enter it") == "sam.jones@example.test"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", ["Enter the person's email address"]),
        ("   ", ["Enter the person's email address"]),
        ("bad-email", ["Enter an email address, like name@example.com"]),
        ("a@b", ["Enter an email address, like name@example.com"]),
        ("two@@example.test", ["Enter an email address, like name@example.com"]),
        (
            "a" * 320 + "@example.test",
            [
                "Enter an email address, like name@example.com",
                "Ensure this value has at most 320 characters (it has 333).",
            ],
        ),
        (
            "a\x00b@example.test",
            ["Enter an email address, like name@example.com", "Null characters are not allowed."],
        ),
    ],
)
def test_email_refusals(value, expected):
    assert messages(cells.email, value, missing="Enter the person's email address") == expected


# --- ODS codes and postcodes ---------------------------------------------------------------


def test_ods_code_is_upper_case():
    assert cells.ods_code(" fa123 ", missing="Enter it") == "FA123"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", "Enter the ODS code of the premises they work at"),
        ("F12", "Enter a pharmacy ODS code: 5 characters starting with F, like FA123"),
        ("GA123", "Enter a pharmacy ODS code: 5 characters starting with F, like FA123"),
        ("fffff", "FFFFF is the national locum code, not a premises. Enter the premises' own "
         "ODS code."),
        ("F\x00123", "Null characters are not allowed."),
    ],
)  # fmt: skip
def test_ods_code_refusals(value, expected):
    missing = "Enter the ODS code of the premises they work at"
    assert messages(cells.ods_code, value, missing=missing) == [expected]


def test_postcode_gets_its_space():
    assert cells.postcode(" ls14ap ") == "LS1 4AP"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", "Enter the postcode, like LS1 4AP"),
        ("NOT A CODE", "Enter a real UK postcode, like LS1 4AP"),
        ("LS1", "Enter a real UK postcode, like LS1 4AP"),
    ],
)
def test_postcode_refusals(value, expected):
    assert messages(cells.postcode, value) == [expected]


# --- choices, yes or no, dates -------------------------------------------------------------


@pytest.mark.parametrize("value", ["pharmacist", "PHARMACIST", " Pharmacist "])
def test_choice_by_stored_value_or_label_in_any_case(value):
    assert cells.choice(value, JOB_ROLES, JOB_ROLE_KEYS, "job role") == "pharmacist"


@pytest.mark.parametrize("value", ["Pharmacy technician", "pharmacy-technician", "TECHNICIAN"])
def test_choice_by_label_with_any_spacing(value):
    assert cells.choice(value, JOB_ROLES, JOB_ROLE_KEYS, "job role") == "technician"


def test_choice_refusal_lists_the_labels():
    assert messages(cells.choice, " Wizard ", choices=JOB_ROLES, lookup=JOB_ROLE_KEYS,
                    what="job role") == [
        "'Wizard' is not a job role. Use one of: Pharmacist, Pharmacy technician"
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("value", "expected"),
    [("yes", True), ("Y", True), ("TRUE", True), ("1", True), ("Manager", True),
     ("", False), ("no", False), ("N", False), ("false", False), ("0", False)],
)  # fmt: skip
def test_yes_no(value, expected):
    assert cells.yes_no(value) is expected


@pytest.mark.parametrize("value", ["maybe", " MAYBE ", "2"])
def test_yes_no_refusal(value):
    shown = value.strip().lower()
    assert messages(cells.yes_no, value) == [
        f"'{shown}' is not yes or no. Enter yes for a premises manager."
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("03/04/2026", datetime.date(2026, 4, 3)),
        ("2026-04-03", datetime.date(2026, 4, 3)),
        ("3 April 2026", datetime.date(2026, 4, 3)),
        ("", None),
        (None, None),
    ],
)
def test_dates_in_uk_order_or_iso(value, expected):
    assert cells.date(value) == expected


@pytest.mark.parametrize(
    "value", ["31/02/2026", "2026/13/01", "03/04/26", "03/2026", "3 Smarch 2026", "0000-01-01"]
)
def test_date_refusals(value):
    assert messages(cells.date, value) == [cells.DATE_MESSAGE]


# --- NHSmail addresses -----------------------------------------------------------------------


def test_nhsmail_address_is_lower_case_and_optional_when_not_personal():
    assert cells.nhsmail_address(" Sam.Jones@NHS.net ", personal=True) == "sam.jones@nhs.net"
    assert cells.nhsmail_address("", personal=False) == ""


@pytest.mark.parametrize(
    ("value", "personal", "expected"),
    [
        ("", True, "Enter their NHSmail address, like sam.jones@nhs.net"),
        ("sam@gmail.com", True,
         "Enter an NHSmail address ending in @nhs.net, like firstname.lastname@nhs.net"),
        ("sam..jones@nhs.net", False,
         "Enter an NHSmail address with only letters, numbers, dots and hyphens before "
         "@nhs.net"),
        ("pharmacy.fa123@nhs.net", True,
         "pharmacy.fa123@nhs.net is a shared mailbox address. Enter the person's own NHSmail "
         "address, like firstname.lastname@nhs.net"),
        ("sam\x00@nhs.net", False, "Null characters are not allowed."),
    ],
)  # fmt: skip
def test_nhsmail_address_refusals(value, personal, expected):
    assert messages(cells.nhsmail_address, value, personal=personal) == [expected]


def test_a_shared_mailbox_address_is_fine_as_the_shared_mailbox():
    assert cells.nhsmail_address("pharmacy.fa123@nhs.net", personal=False) == (
        "pharmacy.fa123@nhs.net"
    )


# --- a whole row, through the kind ---------------------------------------------------------


def test_a_staff_row_gets_every_cells_message_and_its_column():
    staff = KINDS["staff"]
    cleaned, errors = staff.check_cells(
        {
            "email": "bad-email",
            "full_name": "",
            "premises_ods_code": "F12",
            "job_role": "",
            "is_manager": "maybe",
            "start_date": "31/02/2026",
            "end_date": "",
        }
    )
    assert cleaned is None
    assert [(e["column"], e["message"][:30]) for e in errors] == [
        ("Email address", "Enter an email address, like n"),
        ("Full name", "Enter the person's full name"),
        ("Premises ODS code", "Enter a pharmacy ODS code: 5 c"),
        ("Job role", "Enter the job role, like Dispe"),
        ("Premises manager", "'maybe' is not yes or no. Ente"),
        ("Start date", "Enter a real date as day/month"),
    ]


def test_a_staff_row_ending_before_it_starts():
    staff = KINDS["staff"]
    row = {
        "email": "a@example.test",
        "full_name": "A B",
        "premises_ods_code": "FA123",
        "job_role": "Dispenser",
        "is_manager": "",
        "start_date": "10/03/2026",
        "end_date": "01/03/2026",
    }
    assert staff.check_cells(row) == (
        None,
        [{"column": "End date", "message": "The end date is before the start date, 10 March 2026"}],
    )
    row["end_date"] = "10/03/2026"
    cleaned, errors = staff.check_cells(row)
    assert errors == []
    assert cleaned == {
        "email": "a@example.test",
        "full_name": "A B",
        "premises_ods_code": "FA123",
        "job_role": "dispenser",
        "is_manager": False,
        "start_date": datetime.date(2026, 3, 10),
        "end_date": datetime.date(2026, 3, 10),
    }


def test_a_premises_row_gets_every_cells_message():
    cleaned, errors = KINDS["premises"].check_cells(
        {
            "ods_code": "",
            "name": "x" * 201,
            "address_line_1": "",
            "address_line_2": "y" * 201,
            "town": "",
            "postcode": "",
            "region": "",
        }
    )
    assert cleaned is None
    assert [(e["column"], e["message"]) for e in errors] == [
        ("ODS code", "Enter the premises' ODS code, like FA123"),
        ("Premises name", "Ensure this value has at most 200 characters (it has 201)."),
        ("Address line 1", "Enter the first line of the address"),
        ("Address line 2", "Ensure this value has at most 200 characters (it has 201)."),
        ("Town or city", "Enter the town or city"),
        ("Postcode", "Enter the postcode, like LS1 4AP"),
        ("ICB area", "Enter the ICB area, like West Yorkshire ICB or QWO"),
    ]


def test_an_nhsmail_row_gets_every_cells_message_and_blank_status_is_live():
    nhsmail = KINDS["nhsmail"]
    cleaned, errors = nhsmail.check_cells(
        {"email": "", "nhsmail_address": "", "status": "Asleep", "shared_mailbox": "x@y.com"}
    )
    assert cleaned is None
    assert [(e["column"], e["message"][:40]) for e in errors] == [
        ("Email address", "Enter the person's email address on the "),
        ("NHSmail address", "Enter their NHSmail address, like sam.jo"),
        ("Status", "'Asleep' is not a NHSmail account status"),
        ("Shared mailbox", "Enter an NHSmail address ending in @nhs."),
    ]
    cleaned, errors = nhsmail.check_cells(
        {"email": "A@Example.test", "nhsmail_address": "A@NHS.net", "status": " ",
         "shared_mailbox": ""}
    )  # fmt: skip
    assert (errors, cleaned) == (
        [],
        {"email": "a@example.test", "nhsmail_address": "a@nhs.net", "status": "live",
         "shared_mailbox": ""},
    )  # fmt: skip
