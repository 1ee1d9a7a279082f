"""Strict JSON reading: repeated properties, NaN/Infinity and broken encodings are refused."""

from __future__ import annotations

import pytest

from xapi.validation import StatementValidationError, parse_json


@pytest.mark.parametrize(
    "body, expected",
    [
        (b'{"actor": {"mbox": "mailto:a@b.nl"}}', {"actor": {"mbox": "mailto:a@b.nl"}}),
        ('[{"id": 1}, {"id": 1}]', [{"id": 1}, {"id": 1}]),
        ('{"verb": {"display": {"nl-NL": "voltooid – één"}}}'.encode(), {"verb": {"display": {"nl-NL": "voltooid – één"}}}),
        (b'{"score": {"raw": 1e3, "scaled": -0.5}}', {"score": {"raw": 1000.0, "scaled": -0.5}}),
    ],
)
def test_valid_json_is_parsed(body, expected):
    assert parse_json(body) == expected


@pytest.mark.parametrize(
    "body, fragment",
    [
        (b'{"actor": {}, "actor": {}}', "repeats the property 'actor'"),
        (b'{"actor": {"mbox": "mailto:a@b.nl", "mbox": "mailto:c@d.nl"}}', "repeats the property 'mbox'"),
        (b'[{"id": 1, "verb": 1, "id": 2}]', "repeats the property 'id'"),
        (b'{"score": {"raw": NaN}}', "not valid JSON"),
        (b'{"score": {"raw": Infinity}}', "not valid JSON"),
        (b'{"score": {"raw": -Infinity}}', "not valid JSON"),
        (b'{"actor": ', "not valid JSON"),
        (b"", "not valid JSON"),
        (b"{'single': 'quotes'}", "not valid JSON"),
        (b'{"name": "\xff"}', "UTF-8"),
    ],
)
def test_invalid_json_is_refused(body, fragment):
    with pytest.raises(StatementValidationError) as caught:
        parse_json(body, path="statements")
    assert caught.value.path == "statements"
    assert fragment in caught.value.rule


def test_same_key_in_different_objects_is_fine():
    assert parse_json('{"a": {"id": 1}, "b": {"id": 2}}') == {"a": {"id": 1}, "b": {"id": 2}}
