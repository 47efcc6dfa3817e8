"""Transform operations, with the reference's own examples (engine.md §3.4)."""

from __future__ import annotations

import uuid

import pytest

from core.transforms import TransformError, apply_operations, validate_operations


def run(ops, document):
    validate_operations(ops)
    return apply_operations(ops, document)


def test_shift_keeps_only_the_mapped_targets():
    doc = {"workflow": {"customer": {"id": "123", "name": "João Silva"}}}
    ops = [{"operation": "shift", "spec": {"provider.accountId": "workflow.customer.id", "provider.fullName": "workflow.customer.name"}}]
    assert run(ops, doc) == {"provider": {"accountId": "123", "fullName": "João Silva"}}


def test_shift_with_require_fails_naming_the_missing_path():
    with pytest.raises(TransformError, match="workflow.nope"):
        run([{"operation": "shift", "spec": {"x": "workflow.nope"}, "require": True}], {"workflow": {}})


@pytest.mark.parametrize(
    "op, document, expected",
    [
        ({"operation": "remove_characters", "spec": {"path": "document", "characters": ".-"}}, {"document": "123.456.789-00"}, {"document": "12345678900"}),
        ({"operation": "add_prefix", "spec": {"path": "id", "prefix": "BR-"}}, {"id": "12345"}, {"id": "BR-12345"}),
        ({"operation": "add_suffix", "spec": {"path": "id", "suffix": "-2025"}}, {"id": "12345"}, {"id": "12345-2025"}),
        ({"operation": "to_uppercase", "spec": {"path": "name"}}, {"name": "joão silva"}, {"name": "JOÃO SILVA"}),
        ({"operation": "to_lowercase", "spec": {"path": "email"}}, {"email": "JOAO@EXAMPLE.COM"}, {"email": "joao@example.com"}),
        ({"operation": "remove_characters", "spec": {"path": "nonexistent", "characters": "x"}}, {"other": "value"}, {"other": "value"}),
        ({"operation": "default", "spec": {"currency": "BRL", "amount": 0}}, {"amount": 5}, {"amount": 5, "currency": "BRL"}),
        ({"operation": "delete", "spec": {"paths": ["secret", "items[0]"]}}, {"secret": 1, "items": [1, 2], "keep": 3}, {"items": [2], "keep": 3}),
        ({"operation": "extract", "spec": {"path": "body.data"}}, {"body": {"data": {"a": 1}}}, {"a": 1}),
        ({"operation": "coalesce", "spec": {"email": ["work.email", "home.email"], "ignore": [""]}}, {"work": {"email": ""}, "home": {"email": "h@x"}}, {"work": {"email": ""}, "home": {"email": "h@x"}, "email": "h@x"}),
        ({"operation": "merge", "spec": {"target": "all", "sources": ["a", "b"]}}, {"a": {"x": 1}, "b": {"y": 2, "x": 3}}, {"a": {"x": 1}, "b": {"y": 2, "x": 3}, "all": {"x": 3, "y": 2}}),
        ({"operation": "timestamp", "spec": {"at": {"inputFormat": "%d/%m/%Y", "outputFormat": "%Y-%m-%d"}}}, {"at": "31/12/2025"}, {"at": "2025-12-31"}),
        ({"operation": "timestamp", "spec": {"at": {"inputFormat": "$unix", "outputFormat": "$rfc3339"}}}, {"at": 0}, {"at": "1970-01-01T00:00:00Z"}),
        ({"operation": "pass", "spec": {}}, {"a": 1}, {"a": 1}),
    ],
)
def test_each_operation(op, document, expected):
    assert run([op], document) == expected


def test_concat_joins_paths_and_values():
    ops = [{"operation": "concat", "spec": {"sources": [{"path": "first"}, {"value": " "}, {"path": "last"}], "targetPath": "fullName", "delim": ""}}]
    assert run(ops, {"first": "João", "last": "Silva"})["fullName"] == "João Silva"


def test_uuid_versions():
    v4 = run([{"operation": "uuid", "spec": {"id": {"version": 4}}}], {})["id"]
    assert uuid.UUID(v4).version == 4
    ops = [{"operation": "uuid", "spec": {"id": {"version": 5, "namespace": "URL", "names": [{"path": "ref"}]}}}]
    assert run(ops, {"ref": "a"})["id"] == run(ops, {"ref": "a"})["id"] == str(uuid.uuid5(uuid.NAMESPACE_URL, "a"))


def test_operations_chain_and_do_not_modify_their_input():
    document = {"in": {"value": "test"}}
    ops = [{"operation": "shift", "spec": {"out.value": "in.value"}}, {"operation": "to_uppercase", "spec": {"path": "out.value"}}]
    assert run(ops, document) == {"out": {"value": "TEST"}}
    assert document == {"in": {"value": "test"}}


@pytest.mark.parametrize(
    "ops",
    [
        "nope",
        [{"operation": "invalid_operation", "spec": {"a": 1}}],
        [{"operation": "shift", "spec": {}}],
        [{"operation": "shift", "spec": {"a": "b..c"}}],
        [{"operation": "concat", "spec": {"targetPath": "x"}}],
        [{"operation": "add_prefix", "spec": {"path": "x", "prefix": ""}}],
        [{"operation": "timestamp", "spec": {"x": {"inputFormat": "%Y"}}}],
        [{"operation": "uuid", "spec": {"x": {"version": 7}}}],
        [{"operation": "shift", "spec": {"a": "b"}, "require": "yes"}],
        [{"operation": "shift", "spec": {"a": "x", "a.b": "y"}}],
        [{"operation": "shift", "spec": {"a[99999999]": "x"}}],
        [{"operation": "uuid", "spec": {"id": {"version": 5, "namespace": "DNS", "names": "abc"}}}],
        [{"operation": "coalesce", "spec": {"a": ["b"], "ignore": 5}}],
        [{"operation": "default", "spec": {"a..b": 1}}],
        [{"operation": "merge", "spec": {"target": None, "sources": ["a"]}}],
    ],
)
def test_malformed_operations_are_refused(ops):
    with pytest.raises(TransformError):
        validate_operations(ops)
