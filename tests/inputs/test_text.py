"""Text both databases store alike."""

from __future__ import annotations

import pytest

from tessera.inputs.text import UnstorableText, unstorable_character, validate_text


def test_ordinary_text_passes() -> None:
    assert validate_text("Ünïcödé \U0001F600 \t\n", field="summary") == "Ünïcödé \U0001F600 \t\n"
    assert unstorable_character("") is None


@pytest.mark.parametrize(("text", "problem"), [("a\x00b", "a NUL character"), ("\ud800", "an unpaired UTF-16 surrogate"),
                                               ("x\udfffy", "an unpaired UTF-16 surrogate")])
def test_unstorable_text_is_refused_naming_the_field(text: str, problem: str) -> None:
    assert unstorable_character(text) == problem
    with pytest.raises(UnstorableText) as refused:
        validate_text(text, field="email")
    assert refused.value.field == "email"
    assert refused.value.code == "invalid_text"
    assert problem in refused.value.message
