"""The JSON Schema (draft-07) of the YAML syntax, built from the parameter table.

Editors read it to complete and check `*.pspec.yaml` files
(`# yaml-language-server: $schema=...`). It checks what one field alone can get wrong
(types, ranges, choices, multiples of 8, unknown keys); the rules that join fields,
templates and imports are the linter's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from promptspec import __version__, model
from promptspec.params import DEFAULT_PROFILE, FAMILY, TUNE, Param, table_for
from promptspec.params.flags import FAMILIES

__all__ = ["NAME_PATTERN", "RANDOM_PATTERN", "RANGE_PATTERN", "SCHEMA_ID", "build_schema"]

SCHEMA_ID = "urn:promptspec:schema:pspec-yaml:1"
NAME_PATTERN = f"^{model.NAME_PATTERN}$"
_NUM = r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?"
RANGE_PATTERN = (rf"^\s*{_NUM}\s*\.\.\s*{_NUM}(?:\s+(?:step|count)\s+{_NUM})?\s*$")
RANDOM_PATTERN = r"^\s*random\(\s*[0-9]+\s*(?:,\s*-?[0-9]+\s*)?\)\s*$"

Schema = dict[str, Any]


def _file_ref() -> Schema:
    return {
        "type": "object",
        "description": "A local file uploaded as multipart, relative to the spec file.",
        "properties": {"file": {"type": "string", "minLength": 1}},
        "required": ["file"],
        "additionalProperties": False,
    }


def _value(p: Param) -> Schema:
    """One value of parameter `p` (null always allowed: it means unset)."""
    if p.array:
        return {"anyOf": [{"type": "array", "items": _item(p)}, {"type": "null"}]}
    return _item(p)


def _item(p: Param) -> Schema:
    """One value of `p`'s kind (an item, for an array parameter)."""
    s: Schema
    if p.kind == "data_url":
        return {"type": ["string", "null"], "pattern": r"^data:image/[^,;]+;base64,"}
    if p.kind == "file":
        return {"anyOf": [{"$ref": "#/definitions/file"}, {"type": "null"}]}
    if p.kind == "enum":
        return {"enum": [*(p.choices or ()), None]}
    if p.kind == "bool":
        s = {"type": ["boolean", "null"]}
    elif p.kind in ("int", "float"):
        s = {"type": ["integer" if p.kind == "int" else "number", "null"]}
        if p.minimum is not None:
            s["minimum"] = p.minimum
        if p.maximum is not None:
            s["maximum"] = p.maximum
        if p.multiple_of is not None:
            s["multipleOf"] = p.multiple_of
    elif p.kind == "url":
        # a template may build the URL; PS107 judges the rendered value
        s = {"type": ["string", "null"], "pattern": r"^(?:https?://|[\s\S]*\{\{)"}
    else:
        s = {"type": ["string", "null"]}
    return s


def _param(p: Param) -> Schema:
    if not p.allowed:
        return {"description": f"{p.doc} (Refused by this endpoint.)", "not": {}}
    return {"description": p.doc, **_value(p)}


def _axis(item: Schema | None) -> Schema:
    """A sweep or zip axis: a list of values, a range string, or `random(...)`."""
    items = item if item is not None else {"$ref": "#/definitions/scalar"}
    return {
        "anyOf": [
            {"type": "array", "minItems": 1, "items": items},
            {"type": "string", "pattern": RANGE_PATTERN,
             "description": "A range: 1..4, 5..9 step 0.5, 0.2..0.8 count 4."},
            {"type": "string", "pattern": RANDOM_PATTERN,
             "description": "random(n) or random(n, seed): n distinct ints in range."},
        ],
    }


_FAMILY: Schema = {"enum": [*FAMILIES, None],
                   "description": "The model family (never sent; picks the family rules)."}


def _sweep(zip_: bool, table: Mapping[str, Param]) -> Schema:
    props: dict[str, Schema] = {TUNE: _axis({"type": "integer", "minimum": 1}),
                                FAMILY: _axis(_FAMILY)}
    for p in table.values():
        if p.allowed:
            props[p.name] = {"description": p.doc, **_axis(_value(p))}
    what = ("Axes walked in lock-step (one combined axis)." if zip_
            else "Axes combined as a cartesian product, the last varying fastest.")
    return {
        "type": ["object", "null"],
        "description": what,
        "properties": props,
        "propertyNames": {"pattern": NAME_PATTERN},
        "additionalProperties": _axis(None),
    }


def _body(prompt: bool, table: Mapping[str, Param]) -> Schema:
    props: dict[str, Schema] = {
        "extends": {"$ref": "#/definitions/extends"},
        "vars": {"$ref": "#/definitions/vars"},
        TUNE: {"$ref": "#/definitions/tune"},
        FAMILY: {"$ref": "#/definitions/family"},
    }
    props.update({p.name: _param(p) for p in table.values()})
    if prompt:
        props["sweep"] = _sweep(False, table)
        props["zip"] = _sweep(True, table)
    return {
        "type": ["object", "null"],
        "description": "A prompt." if prompt else "A preset: a named, partial set of parameters.",
        "properties": props,
        "additionalProperties": False,
    }


def build_schema(profile: str = DEFAULT_PROFILE) -> Schema:
    """The whole schema of an API profile's parameters, as a JSON-ready dict."""
    table = table_for(profile)
    named = {"type": "string", "pattern": NAME_PATTERN}
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": SCHEMA_ID,
        "title": f"promptspec YAML spec (promptspec {__version__})",
        "description": "Prompt specs for the Astria prompts API (*.pspec.yaml).",
        "type": "object",
        "definitions": {
            "scalar": {"type": ["string", "number", "boolean", "null"]},
            "file": _file_ref(),
            "tune": {"type": "integer", "minimum": 1, "description": "A tune id."},
            "family": _FAMILY,
            "extends": {
                "description": "A preset name or a list of names.",
                "anyOf": [named, {"type": "array", "items": named}],
            },
            "vars": {
                "type": ["object", "null"],
                "description": "Template variables.",
                "propertyNames": {"pattern": NAME_PATTERN},
                "additionalProperties": {"$ref": "#/definitions/scalar"},
            },
            "preset": _body(False, table),
            "prompt": _body(True, table),
        },
        "properties": {
            "version": {"const": 1, "description": "The spec format version."},
            "imports": {
                "description": "Spec files (relative paths) whose presets and vars to use.",
                "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}],
            },
            "tune": {"$ref": "#/definitions/tune"},
            "family": {"$ref": "#/definitions/family"},
            "vars": {"$ref": "#/definitions/vars"},
            "presets": {
                "type": ["object", "null"],
                "propertyNames": {"pattern": NAME_PATTERN},
                "additionalProperties": {"$ref": "#/definitions/preset"},
            },
            "prompts": {
                "type": ["object", "null"],
                "propertyNames": {"pattern": NAME_PATTERN},
                "additionalProperties": {"$ref": "#/definitions/prompt"},
            },
        },
        "additionalProperties": False,
    }
