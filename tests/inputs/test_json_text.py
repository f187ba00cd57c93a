"""The one JSON reader: nesting measured before decoding, unstorable text named by its path."""

from __future__ import annotations

import json

import pytest

from tessera.inputs.json_text import (
    MAX_DEPTH,
    JsonTooDeep,
    MalformedJson,
    decode_json,
    validate_json_text,
    validate_strings,
)
from tessera.inputs.text import UnstorableText


def nested(depth: int, opener: str = "[", closer: str = "]") -> str:
    return opener * depth + closer * depth


def test_nesting_at_the_limit_decodes() -> None:
    assert decode_json(nested(MAX_DEPTH)) == json.loads(nested(MAX_DEPTH))


@pytest.mark.parametrize("text", [nested(MAX_DEPTH + 1), nested(200_000), '{"a":' * 100_000 + "1" + "}" * 100_000,
                                  "[" * 300_000])
def test_deeper_nesting_is_refused_before_decoding(text: str) -> None:
    with pytest.raises(JsonTooDeep) as refused:
        decode_json(text.encode())
    assert refused.value.message == f"The request body nests deeper than {MAX_DEPTH} levels."
    assert refused.value.status == 400


def test_brackets_inside_strings_do_not_count() -> None:
    text = json.dumps({"summary": "[" * 5000, "labels": ["{" * 100, "\\\"[["]})
    assert decode_json(text)["summary"] == "[" * 5000


def test_many_shallow_containers_pass() -> None:
    text = json.dumps([{"a": [1, {"b": []}]} for _ in range(2000)])
    assert len(decode_json(text)) == 2000


def test_malformed_json_says_where() -> None:
    with pytest.raises(MalformedJson) as refused:
        decode_json(b'{"a": 1,\n "b": }')
    assert "line 2, column 7" in refused.value.message
    with pytest.raises(MalformedJson):
        decode_json(b"\xff\xfe")


@pytest.mark.parametrize(("text", "field"), [
    ('{"fields": {"summary": "a\\u0000b"}}', "fields.summary"),
    ('{"labels": ["ok", "\\ud800"]}', "labels.1"),
    ('{"x": {"\\u0000key": 1}}', "x"),
    ('"\\udfff"', "body"),
])
def test_unstorable_text_is_refused_naming_the_field(text: str, field: str) -> None:
    with pytest.raises(UnstorableText) as refused:
        decode_json(text)
    assert refused.value.field == field
    assert refused.value.errors == {field: refused.value.message}
    with pytest.raises(UnstorableText):
        validate_json_text(text)


def test_paired_surrogates_and_escaped_backslashes_pass() -> None:
    assert decode_json('["\\ud83d\\ude00", "\\\\u0000"]') == ["\U0001F600", "\\u0000"]


def test_check_json_text_leaves_malformed_text_to_the_decoder() -> None:
    validate_json_text('{"a": "\\u0000"')  # not JSON: the edge's own decoder reports it


def test_check_strings_survives_a_value_that_contains_itself() -> None:
    loop: list = ["fine"]
    loop.append(loop)
    assert validate_strings(loop) is loop
    with pytest.raises(UnstorableText):
        validate_strings({1: ["\x00"]})
