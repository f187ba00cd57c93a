"""The one parser for the numbers clients send (tessera/db/refs.py): what it takes, what it
refuses, and the property every caller relies on: what it accepts is exactly str(n), in range."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tessera.db.refs import (
    MAX_ID,
    MIN_INT,
    parse_decimal,
    parse_etag_version,
    parse_id,
    parse_int,
    parse_issue_key,
    parse_natural,
    parse_positive_int,
    parse_signed_int,
    parse_version,
    require_id,
)
from tessera.errors import NotFound
from tests.factories.bad_numbers import BAD_NUMBERS

# Text Python's own tools take for a number, which a client never means as one.
UNICODE_DIGITS = "³²¹١٢٣٠۱۲۳१२३০১১๑๒１２３０𝟏𝟐"
WHITESPACE = " \t\n\r\x0b\x0c\u00a0\u2003\u3000"
NUMBERISH = st.text(alphabet=st.sampled_from("0123456789-+._eE" + UNICODE_DIGITS + WHITESPACE), max_size=25)


@pytest.mark.parametrize(("text", "expected"), [
    ("0", 0), ("7", 7), ("10", 10), (str(MAX_ID), MAX_ID), ("1234567890123456789", 1234567890123456789),
])
def test_parse_int_takes_canonical_ascii_decimals(text: str, expected: int) -> None:
    assert parse_int(text) == expected


@pytest.mark.parametrize("text", [
    *BAD_NUMBERS.values(), "", "00", "007", "-0", "1 ", "\t1", "1\n", "1_000", "1.0", "1e3", "0x1", "½",
    "٣", "𝟏", "⑦", str(MAX_ID + 1), "9" * 19, "9" * 20,
])
def test_parse_int_refuses_everything_else(text: str) -> None:
    assert parse_int(text) is None


@pytest.mark.parametrize("value", [None, 1, 1.0, True, b"1", ["1"], {"1": 1}])
def test_parse_int_reads_text_only(value: object) -> None:
    assert parse_int(value) is None


def test_ranges_are_the_callers() -> None:
    assert parse_int("0", minimum=1) is None
    assert parse_int("100", maximum=99) is None and parse_int("99", maximum=99) == 99
    assert parse_positive_int("0") is None and parse_positive_int("5", maximum=5) == 5
    assert parse_positive_int("6", maximum=5) is None


@given(NUMBERISH)
def test_what_parse_int_accepts_is_exactly_str_of_a_number_in_range(text: str) -> None:
    number = parse_int(text)
    if number is not None:
        assert str(number) == text
        assert 0 <= number <= MAX_ID


@given(st.integers(min_value=-(2**70), max_value=2**70))
def test_every_int_in_range_round_trips(number: int) -> None:
    assert parse_int(str(number)) == (number if 0 <= number <= MAX_ID else None)
    assert parse_signed_int(str(number)) == (number if MIN_INT <= number <= MAX_ID else None)
    assert parse_id(str(number)) == (number if 1 <= number <= MAX_ID else None)


@given(NUMBERISH)
def test_what_parse_signed_int_accepts_round_trips(text: str) -> None:
    number = parse_signed_int(text)
    if number is not None:
        assert str(number) == text
        assert MIN_INT <= number <= MAX_ID


def test_parse_signed_int() -> None:
    assert parse_signed_int("-5") == -5 and parse_signed_int(str(MIN_INT)) == MIN_INT
    assert parse_signed_int("-0") is None and parse_signed_int("--5") is None and parse_signed_int("+5") is None
    assert parse_signed_int(str(MIN_INT - 1)) is None


@pytest.mark.parametrize(("value", "expected"), [
    (1, 1), (MAX_ID, MAX_ID), ("42", 42), ("proj_42", 42), ("Board_7", 7),
    (0, None), (-1, None), (MAX_ID + 1, None), (True, None), (False, None), (1.0, None), (None, None),
    ("0", None), ("proj_0", None), ("proj_042", None), ("proj_١", None), ("proj_42 ", None), ("PROJ-42", None),
    ("proj_" + "9" * 30, None), ("_42", None), ("proj42", None),
])
def test_parse_id(value: object, expected: int | None) -> None:
    assert parse_id(value) == expected


@pytest.mark.parametrize("name", BAD_NUMBERS)
def test_parse_id_refuses_the_bad_numbers(name: str) -> None:
    assert parse_id(BAD_NUMBERS[name]) is None


def test_require_id_is_not_found_for_anything_but_an_id() -> None:
    assert require_id("12", not_found="No board.") == 12
    with pytest.raises(NotFound, match="No board."):
        require_id("１２", not_found="No board.")


@pytest.mark.parametrize(("value", "expected"), [
    (0, 0), (3, 3), ("3", 3), ("0", 0), (MAX_ID, MAX_ID),
    (-1, None), (True, None), ("03", None), (" 3", None), ("٣", None), (MAX_ID + 1, None), (3.0, None),
])
def test_versions_and_event_ids_are_natural_numbers(value: object, expected: int | None) -> None:
    assert parse_version(value) == expected
    assert parse_natural(value) == expected


def test_parse_natural_honours_its_maximum() -> None:
    assert parse_natural(10, maximum=10) == 10 and parse_natural(11, maximum=10) is None
    assert parse_natural("11", maximum=10) is None


@pytest.mark.parametrize(("header", "expected"), [
    ("3", 3), ('"3"', 3), ('W/"3"', 3), ('W/"42-3"', 3), ('W/"c42-3"', 3), ("42-3", 3), (' "3" ', 3), ('"0"', 0),
    ('"03"', None), ('W/"٣"', None), ('W/"42-٣"', None), ('W/"１"', None), ('"3', None), ('3"', None), ("*", None),
    ('"1", "2"', None), ("", None), ('W/""', None), (f'"{MAX_ID + 1}"', None), ('"' + "9" * 4400 + '"', None),
    ('W/"42-3-4"', None), ("W/ \"3\"", None),
])
def test_if_match_versions(header: str, expected: int | None) -> None:
    assert parse_etag_version(header) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("PROJ-1", "PROJ-1"), ("proj-12", "PROJ-12"), ("A_B2-9", "A_B2-9"), (f"P-{MAX_ID}", f"P-{MAX_ID}"),
    ("PROJ-0", None), ("PROJ-01", None), ("PROJ-١", None), ("PROJ-１", None), (" PROJ-1", None), ("PROJ-1 ", None),
    ("PROJ-", None), ("-1", None), ("1-1", None), (f"P-{MAX_ID + 1}", None), ("P-" + "1" * 30, None),
    ("ﬁ-1", None), ("PRÖJ-1", None), ("PROJ-1-2", None), (12, None), (None, None),
])
def test_parse_issue_key(text: object, expected: str | None) -> None:
    assert parse_issue_key(text) == expected


@given(st.text(max_size=20))
def test_an_accepted_issue_key_is_ascii_and_its_number_an_id(text: str) -> None:
    key = parse_issue_key(text)
    if key is not None:
        assert key.isascii() and key == text.upper()
        assert parse_id(key.rsplit("-", 1)[1]) is not None


@pytest.mark.parametrize(("value", "expected"), [
    (2, 2.0), (-3, -3.0), (1.5, 1.5), ("2", 2.0), ("-0.5", -0.5), (".5", 0.5), ("5.", 5.0), ("1e3", 1000.0),
    ("1E-2", 0.01), ("007", 7.0),
    (True, None), (None, None), (10**400, None), (float("nan"), None), (float("inf"), None), ("nan", None),
    ("inf", None), ("1e999", None), ("١", None), (" 1", None), ("1_0", None), ("+1", None), ("", None), (".", None),
    ("-", None), ("e5", None), ("0x1", None),
])
def test_parse_decimal(value: object, expected: float | None) -> None:
    assert parse_decimal(value) == expected


@given(NUMBERISH)
def test_parse_decimal_never_raises_and_is_finite(text: str) -> None:
    number = parse_decimal(text)
    assert number is None or (number == number and abs(number) != float("inf"))
