"""Loading schema files shipped as package data, bundling their references, caching validators."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterator
from functools import cache
from importlib.resources import files
from typing import Any

import jsonschema_rs
from jsonschema import Draft7Validator, validators
from jsonschema.exceptions import ValidationError

from message_api_kit.schemas._operations import vendor_operations

Schema = dict[str, Any]

_SUFFIX = ".json"


class UnknownSchemaError(LookupError):
    """Raised when a schema name has no file."""


def _fault_route() -> Schema:
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "Fault route",
        "description": "The vendor operation a fault rule applies to; '*' (the default) for all of them.",
        "type": "string",
        "enum": ["*", *(op.id for op in vendor_operations())],
    }


#: Schemas made from the operation declarations rather than written in a file.
_DERIVED: dict[str, Callable[[], Schema]] = {"fault-route": _fault_route}


@cache
def names() -> tuple[str, ...]:
    """Return the name of every schema (the files, and those derived from the operations), sorted."""
    found = {entry.name.removesuffix(_SUFFIX) for entry in files(__package__).iterdir() if entry.name.endswith(_SUFFIX)}
    return tuple(sorted(found | set(_DERIVED)))


@cache
def _raw(name: str) -> Schema:
    if name not in names():
        raise UnknownSchemaError(f"no schema named {name!r}; known: {', '.join(names())}")
    if name in _DERIVED:
        schema = _DERIVED[name]()
    else:
        schema = json.loads((files(__package__) / f"{name}{_SUFFIX}").read_text(encoding="utf-8"))
    # A broken file must fail at load time, not as a puzzling validation result later.
    Draft7Validator.check_schema(schema)
    return schema


def rewrite_refs(node: Any, target: Callable[[str], str]) -> Any:
    """Return a copy of ``node`` with each cross-file ``$ref`` (``"x.json"``) replaced by ``target("x")``."""
    if isinstance(node, dict):
        return {
            key: target(value.removesuffix(_SUFFIX))
            if key == "$ref" and isinstance(value, str) and value.endswith(_SUFFIX)
            else rewrite_refs(value, target)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [rewrite_refs(item, target) for item in node]
    return node


def referenced(name: str) -> tuple[str, ...]:
    """Return the names of the files that ``name`` refers to, directly or not, in first-seen order."""
    seen: list[str] = []

    def visit(current: str) -> str:
        if current not in seen:
            seen.append(current)
            rewrite_refs(_raw(current), visit)
        return current

    rewrite_refs(_raw(name), visit)
    return tuple(seen)


@cache
def _bundled(name: str) -> Schema:
    # hypothesis-jsonschema resolves local references only, so every file a schema
    # refers to is copied under `definitions` and the reference pointed there.
    def local(ref: str) -> str:
        return f"#/definitions/{ref}"

    root: Schema = rewrite_refs(_raw(name), local)
    deps = referenced(name)
    if deps:
        root["definitions"] = {dep: rewrite_refs(_without_meta(_raw(dep)), local) for dep in deps}
    return root


def _without_meta(schema: Schema) -> Schema:
    return {key: value for key, value in schema.items() if key != "$schema"}


def load(name: str) -> Schema:
    """Return a self-contained copy of the schema ``name``; the caller may modify it."""
    return copy.deepcopy(_bundled(name))


def _ecma_dollar(pattern: str) -> str:
    """``pattern`` with each ``$`` anchor made ``\\Z``: in ECMA 262 (JSON Schema's regex dialect, and
    jsonschema-rs's) ``$`` is the end of the text, where Python's ``$`` also matches before a
    final newline, and would let ``"base\\n"`` through a ``^...$`` pattern."""
    out, escaped, in_class = [], False, False
    for char in pattern:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "[":
            in_class = True
        elif char == "]":
            in_class = False
        elif char == "$" and not in_class:
            out.append("\\Z")
            continue
        out.append(char)
    return "".join(out)


def _pattern(validator: Any, pattern: str, instance: Any, schema: Schema) -> Iterator[ValidationError]:
    if validator.is_type(instance, "string") and not re.search(_ecma_dollar(pattern), instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


#: Draft 7, its ``pattern`` anchored as ECMA 262 anchors it, so both validators agree.
_Draft7 = validators.extend(Draft7Validator, {"pattern": _pattern})  # type: ignore[no-untyped-call]


@cache
def validator(name: str) -> Draft7Validator:
    """Return the cached Draft 7 validator for the schema ``name``."""
    built: Draft7Validator = _Draft7(_bundled(name))
    return built


@cache
def _fast(name: str) -> jsonschema_rs.Draft7Validator:
    return jsonschema_rs.Draft7Validator(_bundled(name))


def is_valid(name: str, instance: Any) -> bool:
    """Whether ``instance`` is valid against ``name``: a fast yes/no for hot paths.

    Backed by jsonschema-rs (about 40 times faster than jsonschema here); use
    :func:`validator` for the errors. ``tests/schemas/test_fast_validation.py`` holds the
    two to the same answers.
    """
    return bool(_fast(name).is_valid(instance))


def raw(name: str) -> Schema:
    """Return a copy of the file ``name`` as written, references unresolved."""
    return copy.deepcopy(_raw(name))


#: The largest conversation or message id: a positive signed 64-bit integer (conversation-id.json, P2).
MAX_ID: int = _raw("conversation-id")["maximum"]
