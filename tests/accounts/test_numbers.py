"""``strict_int``: the one reading of numbers from outside (Zoho's answers, request values)."""

from __future__ import annotations

import pytest

from zoho_tokens.accounts.numbers import MAX_ROW_ID, strict_int


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("7", 7),
        ("0", 0),
        (" 42\t", 42),  # the blanks HTTP allows around a header's value
        (b"42", 42),
        (42, 42),
        (3600.0, 3600),  # JSON's float without a fraction
        (str(MAX_ROW_ID), MAX_ROW_ID),
    ],
)
def test_plain_numbers_are_read(value: object, expected: int) -> None:
    assert strict_int(value, maximum=MAX_ROW_ID) == expected


@pytest.mark.parametrize(
    "value",
    [
        "9" * 400,
        str(MAX_ROW_ID + 1),
        "\u00b2",  # "²": str.isdigit() says yes
        "\u0663",  # Arabic-Indic digit three: int() reads it
        "\uff11",  # full-width one
        "1_000",
        "+5",
        "-5",
        "0x10",
        "1e3",
        "3600.5",
        "inf",
        "nan",
        "",
        " ",
        "4\n2",
        "\x00",
        float("inf"),
        float("nan"),
        3600.5,
        -1,
        True,
        None,
        [1],
        b"\xb2",
    ],
)
def test_anything_else_is_not_a_number(value: object) -> None:
    assert strict_int(value, maximum=MAX_ROW_ID) is None


def test_the_bounds_are_kept() -> None:
    assert [strict_int(text, minimum=1, maximum=10) for text in ("0", "1", "10", "11")] == [
        None,
        1,
        10,
        None,
    ]
