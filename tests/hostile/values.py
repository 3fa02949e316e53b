"""Generated hostile values for form fields."""

from hypothesis import strategies as st

NASTY_STRINGS = [
    "",
    " ",
    "\x00",
    "abc\x00def",
    "\r\n\t\x0b\x0c\x1b[31m",
    "' OR '1'='1' --",
    "Robert'); DROP TABLE accounts_user;--",
    "1; SELECT pg_sleep(5)",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "{{ 7*7 }}{% debug %}",
    "../../../../etc/passwd",
    "%00%0d%0a",
    "\u202egnp.exe",
    "\ufeff\u200b\u200d",
    "Zoë Ødegård-Łukasz 李小龍",
    "🙂" * 60,
    "A" * 5000,
    "x@" + "a" * 300 + ".nhs.net",
    "pharmacy.FA123@nhs.net",
    "١٢٣٤٥٦",
    "０１２３",
    "NaN",
    "Infinity",
    "-0",
    "1e309",
    "0x7fffffff",
    "2147483647",
    "2147483648",
    "-2147483649",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775809",
    "99999999999999999999999999999999",
    "31/02/2024",
    "0000-00-00",
    "99999-12-31",
    "29/02/2023",
    "true",
    "None",
    "[]",
    '{"$gt": ""}',
]

DATE_PARTS = ["", "0", "00", "-1", "1", "02", "13", "29", "31", "32", "99", "0000", "99999"]

hostile_text = st.one_of(
    st.sampled_from(NASTY_STRINGS),
    st.text(max_size=400),
    st.text(alphabet=st.characters(max_codepoint=0x1F), max_size=20),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
)


def strategy_for(field):
    """Mostly hostile, sometimes what the page offered, so validation gets past the first
    field and reaches the deeper ones."""
    name = field.name
    if name == "csrfmiddlewaretoken":
        return st.just(field.value)
    if name.endswith(("_day", "_month", "_year")):
        return st.one_of(st.sampled_from(DATE_PARTS), hostile_text)
    offered = [option for option in field.options if option] or (
        [field.value] if field.value else []
    )
    if field.kind in {"select", "radio", "checkbox", "hidden", "submit"} and offered:
        return st.one_of(st.sampled_from(offered), hostile_text)
    return hostile_text
