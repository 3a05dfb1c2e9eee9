"""Reading JSON records: the fast parser, its fallback, and input nested beyond any parser's reach."""

import json

import pytest

from peelnlp.records import parse_json


def test_parses_with_orjson_and_falls_back_for_nan():
    assert parse_json(b'{"id": "1", "recs": [1, 2]}') == {"id": "1", "recs": [1, 2]}
    assert parse_json('{"score": NaN}')["score"] != parse_json('{"score": NaN}')["score"]  # NaN is not NaN


@pytest.mark.parametrize("text", ["[" * 100_000, "{broken", ""])
def test_broken_or_too_deeply_nested_json_is_a_decode_error(text):
    with pytest.raises(json.JSONDecodeError):
        parse_json(text)
