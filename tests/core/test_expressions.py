"""CEL conditions: compiled once, reference syntax accepted, missing fields named."""

from __future__ import annotations

import pytest

from core.expressions import ExpressionError, compile_condition

CTX1 = {"workflow": {"score": 85, "age": 25}}
CTX2 = {"workflow": {"status": "approved", "risk": "low"}}


@pytest.mark.parametrize(
    "text, context, expected",
    [
        ("workflow.score > 70", CTX1, True),
        ("workflow.score >= 90", CTX1, False),
        ("workflow.score != 85", CTX1, False),
        ('workflow.status == "approved"', CTX2, True),
        ("workflow.status == 'approved'", CTX2, True),
        ("workflow.score > 70 AND workflow.age > 30", CTX1, False),
        ("workflow.score > 90 OR workflow.age > 20", CTX1, True),
        ("workflow.score > 70 && (workflow.age < 18 || workflow.age > 21)", CTX1, True),
        ('workflow.status in ["approved", "pending"]', CTX2, True),
        ("!has(workflow.missing)", CTX2, True),
        ("true", {"workflow": {}}, True),
    ],
)
def test_conditions_evaluate_like_the_reference_and_more(text, context, expected):
    assert compile_condition(text, ()).evaluate(context) is expected


def test_hyphenated_node_ids_are_read_from_node_outputs():
    condition = compile_condition('node-kyc.score > 80 AND node-aml.risk == "low"', ("node-kyc", "node-aml"))
    assert condition.roots == {"node-kyc", "node-aml"}
    assert condition.evaluate({"workflow": {}, "node-kyc": {"score": 95}, "node-aml": {"risk": "low"}})


def test_and_inside_a_string_literal_is_left_alone():
    condition = compile_condition('workflow.note == "R AND D"', ())
    assert condition.evaluate({"workflow": {"note": "R AND D"}})


def test_a_missing_field_is_an_error_naming_the_path():
    with pytest.raises(ExpressionError, match="workflow.customer.score"):
        compile_condition("workflow.customer.score > 1", ()).evaluate({"workflow": {"customer": {}}})


def test_a_non_boolean_result_is_an_error():
    with pytest.raises(ExpressionError, match="boolean"):
        compile_condition("workflow.score", ()).evaluate(CTX1)


@pytest.mark.parametrize("text", ["", "   ", "workflow.score >", "unknown.x == 1"])
def test_bad_conditions_do_not_compile(text):
    with pytest.raises(ExpressionError):
        compile_condition(text, ())


def test_timestamps_and_durations_come_back_as_text():
    condition = compile_condition('timestamp("2024-01-01T00:00:00Z")', ())
    assert condition.value({"workflow": {}}) == "2024-01-01T00:00:00Z"
    assert compile_condition('duration("90s")', ()).value({"workflow": {}}) == "90s"
