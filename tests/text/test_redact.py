"""Personal data is replaced before anything is stored or logged; figures of the documents are not."""

from __future__ import annotations

import pytest

from kraftbot.text.redact import redact

pytestmark = pytest.mark.reliability


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("Mitt personnummer är 19850312-1234.", "[personnummer borttaget]"),
        ("pnr 850312+1234 tack", "[personnummer borttaget]"),
        ("Ring mig på 070-123 45 67!", "[telefonnummer borttaget]"),
        ("eller +46 70 123 45 67", "[telefonnummer borttaget]"),
        ("växeln 08-123 456 78", "[telefonnummer borttaget]"),
        ("mejla anna.svensson@kommun.se", "[e-post borttagen]"),
    ],
)
def test_personal_data_is_replaced_by_a_placeholder(text: str, kept: str) -> None:
    cleaned = redact(text)
    assert kept in cleaned
    assert not any(digits in cleaned for digits in ("1234", "45 67", "456 78", "svensson"))


@pytest.mark.parametrize(
    "text",
    [
        "Högst 600 000 kronor per projekt i 2022-00880.",
        "Beslutet kom den 28 november 2022; 33 projekt, 10 miljoner kronor, 80 procent.",
        "Gemensamma AI-förmågor (2023-01699) öppnade 2023-03-14.",
    ],
)
def test_amounts_dates_and_case_numbers_are_left_alone(text: str) -> None:
    assert redact(text) == text
