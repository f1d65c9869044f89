"""The YAML front end: compose a `*.pspec.yaml` file (libyaml's events) into the model.

`parse_yaml(text, path)` never raises: anything ruamel cannot parse is PS001, duplicate
keys PS002, a wrong shape PS007 (reported, and the rest of the file still read).
"""

from __future__ import annotations

import gc
from typing import Any

from promptspec.diagnostics import Code, sort_key
from promptspec.model import (
    NAME,
    NAME_PATTERN,
    Field,
    Import,
    Preset,
    Prompt,
    Ref,
    Span,
    SpecFile,
    Sweep,
    Value,
)
from promptspec.params import did_you_mean
from promptspec.syntax import Parsed
from promptspec.syntax.yaml.compose import compose_documents
from promptspec.syntax.yaml.events import MAP, SCALAR, SEQ, YNode
from promptspec.syntax.yaml.nodes import NodeReader, describe
from promptspec.syntax.yaml.records import (
    new_field,
    new_literal,
    new_literal_field,
    new_preset,
    new_prompt,
    new_ref,
    new_span,
    new_sweep,
)
from promptspec.syntax.yaml.scalars import INT, STR, scalar_value

__all__ = ["TOP_LEVEL_KEYS", "parse_yaml"]

TOP_LEVEL_KEYS = ("version", "imports", "tune", "family", "vars", "presets", "prompts")


def parse_yaml(text: str, path: str) -> Parsed:
    """Parse YAML spec source into a `SpecFile` (None only when PS001 is reported).

    The cyclic garbage collector is paused meanwhile: a file makes thousands of objects
    (libyaml's events, nodes, the model) and no garbage cycle worth a collection, and the
    collections they would set off mid-parse walk the live nodes and, now and then, every
    model loaded before. Refcounting frees the rest as ever; the collector resumes after
    (left off if it was off), and collects what it must on its next turn.
    """
    if not gc.isenabled():
        return _parse(text, path)
    gc.disable()
    try:
        return _parse(text, path)
    finally:
        gc.enable()


def _parse(text: str, path: str) -> Parsed:
    docs, bad = compose_documents(text, path)
    if bad is not None:
        return Parsed(path, text, None, (bad,))
    reader = NodeReader(text, path)
    spec = _Builder(reader).spec_file(docs)
    return Parsed(path, text, spec, tuple(sorted(reader.diagnostics, key=sort_key)))


class _Builder:
    """Walks the spec's shape; values and places come from the `NodeReader`."""

    def __init__(self, reader: NodeReader) -> None:
        self.r = reader
        self.path = reader.path
        self.literal = reader.literal

    def _mapping(self, node: YNode, what: str) -> YNode | None:
        """`node` as a mapping; an empty value counts as an empty mapping."""
        if node.kind == MAP:
            return node
        if not node.empty:
            msg = f"{what} must be a mapping, not {describe(node)}"
            self.r.error(Code.INVALID_STRUCTURE, msg, self.r.span(node))
        return None

    def _check_name(self, name: str, key: YNode, what: str) -> None:
        if not NAME.fullmatch(name):
            self.r.error(
                Code.INVALID_STRUCTURE,
                f"invalid {what} name {name!r}: names match {NAME_PATTERN}",
                self.r.span(key),
            )

    def _field(self, name: str, key: YNode, node: YNode, axis: bool = False) -> Field | None:
        path = self.path
        line, col = key.line + 1, key.column + 1
        if node.empty:
            # `key:` with nothing after it is null; place it right after the key.
            name_span = new_span(path, line, col, key.last_line + 1, key.last_column + 1)
            end_line, end_col = key.end_line + 1, key.end_column + 1
            null = new_literal(None, new_span(path, end_line, end_col, end_line, end_col + 1))
            return new_field(name, name_span, null,
                             new_span(path, line, col, end_line, end_col + 1))
        if node.kind == SCALAR and not axis:
            tag = node.tag
            value_line = node.line + 1
            if tag == STR:  # most scalars: no typing to do (`NodeReader.literal`, written out)
                style = node.style
                block = style == "|" or style == ">"
                return new_literal_field(
                    name, path, line, col, key.last_line + 1, key.last_column + 1, node.text,
                    value_line, node.column + 1, node.last_line + 1, node.last_column + 1, None,
                    value_line + 1 if block else value_line, block)
            value = scalar_value(node)
            if not isinstance(value, str):
                return new_literal_field(
                    name, path, line, col, key.last_line + 1, key.last_column + 1, value,
                    value_line, node.column + 1, node.last_line + 1, node.last_column + 1,
                    node.text if type(value) in (int, float) else None, 0, False)
        name_span = new_span(path, line, col, key.last_line + 1, key.last_column + 1)
        scalar = node.kind == SCALAR and not axis
        made: Value | None = self.literal(node) if scalar else self.r.value(node, axis)
        if made is None:
            return None
        return new_field(name, name_span, made,
                         new_span(path, line, col, node.last_line + 1, node.last_column + 1))

    # -- top level ----------------------------------------------------------------------

    def spec_file(self, docs: list[YNode | None]) -> SpecFile:
        if len(docs) > 1:
            extra = docs[1]
            span = self.r.span(extra) if extra is not None else self.r.point(0, 0)
            self.r.error(
                Code.INVALID_STRUCTURE, "a spec file holds one YAML document; remove the others",
                span,
            )
        root = docs[0] if docs else None
        empty = SpecFile(self.path, "yaml")
        if root is None:
            return empty
        top = self._mapping(root, "the document")
        if top is None:
            return empty
        parts: dict[str, Any] = {}
        for name, key, node in self.r.entries(top):
            if name not in TOP_LEVEL_KEYS:
                hint = did_you_mean(name, list(TOP_LEVEL_KEYS))
                self.r.error(Code.INVALID_STRUCTURE,
                             f"unknown top-level key {name!r}{hint}", self.r.span(key))
            elif name == "version":
                parts["version"] = self._version(key, node)
            elif name == "imports":
                parts["imports"] = self._imports(node)
            elif name in ("tune", "family"):
                parts[name] = self._field(name, key, node)
            elif name == "vars":
                parts["vars"] = self._vars(node)
            elif name == "presets":
                parts["presets"] = self._named(node, key, "preset")
            else:
                parts["prompts"] = self._named(node, key, "prompt")
        return SpecFile(self.path, "yaml", **parts)

    def _version(self, key: YNode, node: YNode) -> Field | None:
        field = self._field("version", key, node)
        if not (node.kind == SCALAR and node.tag == INT and node.text == "1"):
            shown = node.text if node.kind == SCALAR else describe(node)
            msg = f"unsupported version {shown}; only version 1 is supported"
            self.r.error(Code.INVALID_STRUCTURE, msg, self.r.span(node))
        return field

    def _strings(self, node: YNode, wrong: str) -> list[tuple[str, Span]]:
        """One string or a list of strings (imports, extends), with their places; anything
        else is PS007 `wrong` + what it is."""
        items = node.items if node.kind == SEQ else [node]
        out: list[tuple[str, Span]] = []
        for item in items:
            if item is node and item.empty:
                continue
            if item.kind == SCALAR and item.tag == STR:
                out.append((item.text, self.r.span(item)))
            else:
                self.r.error(Code.INVALID_STRUCTURE,
                             f"{wrong}, not {describe(item)}", self.r.span(item))
        return out

    def _imports(self, node: YNode) -> tuple[Import, ...]:
        return tuple(Import(text, span)
                     for text, span in self._strings(node, "an import must be a path string"))

    def _vars(self, node: YNode) -> tuple[Field, ...]:
        mapping = self._mapping(node, "'vars'")
        if mapping is None:
            return ()
        out: list[Field] = []
        for name, key, value in self.r.entries(mapping):
            self._check_name(name, key, "var")
            field = self._field(name, key, value)
            if field is not None:
                out.append(field)
        return tuple(out)

    def _named(self, node: YNode, section: YNode, kind: str) -> tuple[Any, ...]:
        mapping = self._mapping(node, f"'{section.text}'")
        if mapping is None:
            return ()
        out: list[Preset | Prompt] = []
        for name, key, body in self.r.entries(mapping):
            self._check_name(name, key, kind)
            out.append(self._body(name, key, body, kind))
        return tuple(out)

    # -- bodies -------------------------------------------------------------------------

    def _body(self, name: str, key: YNode, node: YNode, kind: str) -> Preset | Prompt:
        extends: tuple[Ref, ...] = ()
        fields: list[Field] = []
        vars_: tuple[Field, ...] = ()
        sweep: Sweep | None = None
        zip_: Sweep | None = None
        mapping = node if node.kind == MAP else self._mapping(node, f"the body of {kind} {name!r}")
        for field_name, fkey, value in self.r.entries(mapping) if mapping is not None else []:
            if field_name == "extends":
                extends = self._extends(value)
            elif field_name == "vars":
                vars_ = self._vars(value)
            elif field_name == "sweep" or field_name == "zip":
                if kind == "preset":
                    self.r.error(
                        Code.INVALID_STRUCTURE,
                        f"'{field_name}' belongs in a prompt, not in a preset",
                        self.r.span(fkey),
                    )
                elif field_name == "sweep":
                    sweep = self._sweep(fkey, value)
                else:
                    zip_ = self._sweep(fkey, value)
            else:
                field = self._field(field_name, fkey, value)
                if field is not None:
                    fields.append(field)
        name_span = self.r.span(key)
        span = self.r.span(node, start=key) if not node.empty else name_span
        if kind == "preset":
            return new_preset(name, name_span, extends, tuple(fields), vars_, span)
        return new_prompt(name, name_span, extends, tuple(fields), vars_,
                          sweep, zip_, span)

    def _extends(self, node: YNode) -> tuple[Ref, ...]:
        wrong = "'extends' takes a preset name or a list of names"
        return tuple([new_ref(text, span) for text, span in self._strings(node, wrong)])

    def _sweep(self, key: YNode, node: YNode) -> Sweep | None:
        mapping = node if node.kind == MAP else self._mapping(node, f"'{key.text}'")
        if mapping is None and not node.empty:
            return None
        axes: list[Field] = []
        for name, akey, value in self.r.entries(mapping) if mapping is not None else []:
            field = self._field(name, akey, value, axis=True)
            if field is not None:
                axes.append(field)
        span = self.r.span(node, start=key) if mapping is not None else self.r.span(key)
        return new_sweep(tuple(axes), span)
