"""Field mappings: dotted paths with array indexes, required fields, transformations."""

from __future__ import annotations

import pytest

from core.mapping import MappingError, apply_mappings, parse_path, validate_mappings

CONTEXT = {"workflow": {"items": [{"amount": 5}, {"amount": 7}], "customer": {"name": "joão silva", "cpf": "123.456.789-00"}}}


def test_paths_with_indexes_are_read_and_written():
    result = apply_mappings(
        [
            {"source": "workflow.items[1].amount", "target": "payment.amount"},
            {"source": "workflow.customer.name", "target": "lines[1].name"},
        ],
        CONTEXT,
    )
    assert result == {"payment": {"amount": 7}, "lines": [None, {"name": "joão silva"}]}


def test_missing_optional_sources_are_left_out_and_required_ones_fail():
    assert apply_mappings([{"source": "workflow.nope", "target": "x"}], CONTEXT) == {}
    with pytest.raises(MappingError, match="workflow.nope"):
        apply_mappings([{"source": "workflow.nope", "target": "x", "required": True}], CONTEXT)


def test_transformations_apply_after_reading():
    result = apply_mappings(
        [
            {"source": "workflow.customer.cpf", "target": "document",
             "transformation": {"type": "remove_characters", "config": {"characters": ".-"}}},
            {"source": "workflow.customer.name", "target": "name", "transformation": {"type": "to_uppercase"}},
            {"source": "workflow.customer.cpf", "target": "tag", "transformation": {"type": "add_prefix", "config": {"prefix": "BR-"}}},
        ],
        CONTEXT,
    )
    assert result == {"document": "12345678900", "name": "JOÃO SILVA", "tag": "BR-123.456.789-00"}


@pytest.mark.parametrize(
    "mappings",
    [
        "nope",
        [{"source": "a..b", "target": "x"}],
        [{"source": "a", "target": ""}],
        [{"source": "a", "target": "b", "required": "yes"}],
        [{"source": "a", "target": "b", "transformation": {"type": "explode"}}],
        [{"source": "a", "target": "b", "transformation": {"type": "add_prefix", "config": {}}}],
    ],
)
def test_malformed_mappings_are_refused(mappings):
    with pytest.raises(MappingError):
        validate_mappings(mappings)


def test_parse_path_splits_keys_and_indexes():
    assert parse_path("a.b[0][2].c") == ["a", "b", 0, 2, "c"]
