import pytest
from django.core.exceptions import ValidationError

from accounts.validators import normalise_postcode, validate_ods_code, validate_postcode


@pytest.mark.parametrize("code", ["FA123", "fa123", " FXX12 ", "F1234"])
def test_good_ods_codes(code):
    validate_ods_code(code)


@pytest.mark.parametrize(
    "code",
    ["", "A1234", "FA12", "FA1234", "FA-12", "FFFFF", "F A12", "ＦA123", "FA12\x00", "' OR 1=1"],
)
def test_bad_ods_codes(code):
    with pytest.raises(ValidationError):
        validate_ods_code(code)


@pytest.mark.parametrize(
    "postcode", ["LS1 4AP", "ls14ap", "HX7 8AD", "BD18 3QN", "WF13 1QB", "EC1A 1BB", "M1 1AE"]
)
def test_good_postcodes(postcode):
    validate_postcode(postcode)


@pytest.mark.parametrize(
    "postcode", ["", "LS1", "12345", "LS1 4A", "QQ1 1AA", "LS1 4APX", "<script>", "Ｌ S1 4AP"]
)
def test_bad_postcodes(postcode):
    with pytest.raises(ValidationError):
        validate_postcode(postcode)


def test_postcode_normalised_to_royal_mail_spacing():
    assert normalise_postcode(" ls14ap ") == "LS1 4AP"
    assert normalise_postcode("wf131qb") == "WF13 1QB"
