"""The registry of operations under contract: complete for the vendor's doc, and strict about what it holds."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from jsonschema import Draft7Validator

from message_api_kit import contracts, schemas
from message_api_kit.contracts.config import RunConfig, UsageError
from message_api_kit.contracts.registry import Registry, default_registry, parameter_values, sent_parameters
from tests.contracts.list_messages import CONTRACT as LIST_CONTRACT
from tests.contracts.list_messages import LIST_MESSAGES, REGISTRY


def test_every_vendor_operation_has_a_contract() -> None:
    registered = default_registry().ids
    missing = [op.id for op in schemas.vendor_operations() if op.id not in registered]
    assert not missing, f"vendor operations with no contract in contracts/operations/: {missing}"
    # ...and nothing else is under contract: the fake's own API is not the vendor's.
    assert sorted(registered) == sorted(op.id for op in schemas.vendor_operations())


def test_each_unit_holds_its_own_operations_declaration() -> None:
    for unit in default_registry():
        assert unit.operation is schemas.operation(unit.id)
        assert unit.checks, f"{unit.id} has no checks"


def test_the_public_checks_are_the_registrys() -> None:
    assert default_registry().checks == contracts.CHECKS
    names = [check.name for check in default_registry().checks]
    assert len(names) == len(set(names))


def test_an_operation_registered_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="listMessages is registered twice"):
        Registry((LIST_CONTRACT, LIST_CONTRACT))


def test_a_check_name_taken_by_another_operation_is_refused() -> None:
    creation = default_registry().get(schemas.CREATE_MESSAGE.id)
    assert creation is not None
    stolen = replace(LIST_CONTRACT, checks=(*LIST_CONTRACT.checks, creation.checks[0]))
    with pytest.raises(ValueError, match=rf"check '{creation.checks[0].name}' of listMessages is also createMessage's"):
        Registry((creation, stolen))


def test_select_keeps_the_order_and_names_the_unknown() -> None:
    assert REGISTRY.select(()) is REGISTRY
    assert REGISTRY.select(["listMessages"]).ids == ("listMessages",)
    assert REGISTRY.select(list(reversed(REGISTRY.ids))).ids == REGISTRY.ids
    with pytest.raises(ValueError, match=r"unknown operation\(s\): nope; known: createMessage, listMessages"):
        REGISTRY.select(["nope", "listMessages"])


def test_operation_of_names_each_checks_operation() -> None:
    for unit in REGISTRY:
        assert {REGISTRY.operation_of(check) for check in unit.checks} == {unit.id}


def test_a_run_of_an_unknown_operation_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="unknown operation"):
        RunConfig(base_url="http://127.0.0.1:1", conversation=1, operations=("nope",))
    chosen = RunConfig(base_url="http://127.0.0.1:1", conversation=1, operations=("listMessages",), registry=REGISTRY)
    assert [check.name for check in chosen.selected()] == [check.name for check in LIST_CONTRACT.checks]


def test_sent_parameters_reads_the_path_and_the_declared_query_only() -> None:
    assert sent_parameters(LIST_MESSAGES, "GET", "/conversations/7/messages?limit=3&page=2") == {
        "conversation": "7",
        "limit": "3",
    }
    assert sent_parameters(LIST_MESSAGES, "GET", "/conversations/7/messages?limit=") == {
        "conversation": "7",
        "limit": "",
    }
    assert sent_parameters(LIST_MESSAGES, "POST", "/conversations/7/messages") is None
    assert sent_parameters(LIST_MESSAGES, "GET", "/conversations/7") is None


@settings(max_examples=50, deadline=None)
@given(parameter_values(LIST_MESSAGES, "limit"))
def test_parameter_values_keep_the_declared_schema(limit: object) -> None:
    Draft7Validator(LIST_MESSAGES.parameter("limit").schema).validate(limit)  # type: ignore[arg-type]


@settings(max_examples=25, deadline=None)
@given(parameter_values(schemas.CREATE_MESSAGE, "conversation"))
def test_parameter_values_follow_a_named_schema(conversation: object) -> None:
    assert schemas.is_valid("conversation-id", conversation)
