"""Hover, completion and go to definition, from the lint engine's model and tables.

Parameter facts come from `api.parameters` (the profile's table), rule summaries from
`api.rules`, names (presets, vars) from the lint's resolution of the file.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.uris import from_fs_path

from promptspec import api
from promptspec.errors import PromptspecError
from promptspec.lsp.cursor import Place, place_at, word_at
from promptspec.lsp.positions import protocol_lines, span_to_range
from promptspec.model import Field, Span
from promptspec.paths import syntax_of

if TYPE_CHECKING:
    from promptspec.lsp.server import SpecServer
    from promptspec.params import Param
    from promptspec.params.flags import Flag
    from promptspec.resolve import Resolution

__all__ = ["register"]

SPEC_KEYS = ("text", "tune", "vars", "sweep", "zip", "family")
"""The spec's own keys offered in a preset or prompt body (and `extends` in YAML)."""
TOP_KEYS = {"dsl": ("import", "tune", "vars", "preset", "prompt", "family"),
            "yaml": ("version", "imports", "tune", "vars", "presets", "prompts", "family")}
_SUPPRESSION = re.compile(r"#\s*promptspec:\s*ignore\[([^\]]*)\]")


def parameter_table(path: str) -> Mapping[str, Param]:
    """The parameter table that the spec at `path` is checked against: the profile that
    its `[tool.promptspec]` names (an invalid table: the default profile, as lint reports)."""
    try:
        return api.parameters(api.profile(None, path))
    except PromptspecError:
        return api.parameters()


def describe(p: Param) -> str:
    """A parameter's type, range or choices, and description, as Markdown."""
    from promptspec.params import kind_text

    facts = [kind_text(p)]
    if p.choices is not None:
        facts = ["one of " + ", ".join(f"`{c}`" for c in p.choices)]
    elif p.numeric and (p.minimum is not None or p.maximum is not None):
        facts.append(f"range {p.range_text()}" if p.maximum is not None
                     else f"at least {p.range_text().split('-')[0]}")
    if p.multiple_of:
        facts.append(f"a multiple of {p.multiple_of}")
    if not p.allowed:
        facts.append("not accepted by this endpoint")
    return f"**{p.name}**: {', '.join(facts)}\n\n{p.doc}"


def describe_flag(flag: Flag) -> str:
    """A text flag's value and description, as Markdown."""
    value = flag.value_text()
    head = f"**--{flag.name}**" + (f" *{value}*" if value else "")
    choices = f"\n\nOne of {', '.join(f'`{c}`' for c in flag.choices)}." if flag.choices else ""
    return f"{head}\n\n{flag.doc}{choices}"


class _Cursor:
    """A request's place: the file's present text and the position in code points."""

    def __init__(self, ls: SpecServer, uri: str, path: str, text: str,
                 position: types.Position) -> None:
        self.uri, self.path, self.text = uri, path, text
        self.at = ls.lines(path, text)
        self.offset = self.at.offset(position)
        self.line = min(position.line, len(self.at.starts) - 1)  # a protocol line
        self.char = self.offset - self.at.starts[self.line]  # in code points
        self.lines = [line.rstrip("\r\n") for line in protocol_lines(text)]
        self.syntax = syntax_of(path)

    @property
    def line_text(self) -> str:
        return self.lines[self.line] if self.line < len(self.lines) else ""


def _cursor(ls: SpecServer, uri: str, position: types.Position) -> _Cursor | None:
    """The place of a request, without waiting for a lint (hover and completion read the
    text as typed, and names from the last lint that parsed)."""
    found = ls.specs.present(uri)
    return _Cursor(ls, uri, *found, position) if found is not None else None


def hover(ls: SpecServer, params: types.HoverParams) -> types.Hover | None:
    c = _cursor(ls, params.text_document.uri, params.position)
    if c is None:
        return None
    text = c.line_text
    word = word_at(text, c.char)
    if word is None:
        return None
    name, start, end = word
    directive = _SUPPRESSION.search(text)
    flag = api.flags().get(name[2:]) if name.startswith("--") else None
    if flag is not None:
        body = describe_flag(flag)
    elif directive and directive.start(1) <= start and end <= directive.end(1):
        rule = ls.rules.get(name.upper())
        if rule is None:
            return None
        body = f"**{rule.code}** {rule.name} ({rule.severity})\n\n{rule.summary}"
    else:
        p = parameter_table(c.path).get(name)
        is_key = re.match(r"^\s*(?:-\s+)?$", text[:start]) and re.match(r"\s*[=:]", text[end:])
        if p is None or not is_key:
            return None
        body = describe(p)
    line_start = c.at.starts[c.line]
    rng = types.Range(start=c.at.at_offset(line_start + start),
                      end=c.at.at_offset(line_start + end))
    return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown,
                                                    value=body), range=rng)


# -- completion -----------------------------------------------------------------------------


def _item(label: str, kind: types.CompletionItemKind, detail: str | None = None,
          doc: str | None = None, insert: str | None = None) -> types.CompletionItem:
    return types.CompletionItem(
        label=label, kind=kind, detail=detail, insert_text=insert,
        documentation=types.MarkupContent(kind=types.MarkupKind.Markdown, value=doc)
        if doc else None)


def preset_names(res: Resolution | None) -> dict[str, Span]:
    """Every preset visible in the file (its own and imported ones) -> where it is defined."""
    out: dict[str, Span] = {}
    if res is None:
        return out
    for p in res.imported_presets:
        out.setdefault(p.name, p.name_span)
    if res.spec is not None:
        for p in res.spec.presets:
            out[p.name] = p.name_span
    return out


def template_names(res: Resolution | None, place: Place) -> dict[str, Field | None]:
    """Names a template at `place` may read -> where each var or axis is defined."""
    out: dict[str, Field | None] = {}
    if res is None or res.spec is None:
        return out
    for s in res.imported_vars:
        out[s.name] = s.field
    for f in res.spec.vars:
        out[f.name] = f
    rp = next((r for r in res.prompts if r.name == place.owner), None)
    if place.owner_kind == "prompt" and rp is not None:
        for n, s in rp.vars.items():
            out[n] = s.field
        for axis in rp.axes:
            for m in axis.members:
                out[m.name] = m
    else:
        for p in res.spec.presets:
            for f in p.vars:
                out.setdefault(f.name, f)
    return out


def completion(ls: SpecServer, params: types.CompletionParams) -> types.CompletionList:
    c = _cursor(ls, params.text_document.uri, params.position)
    items: list[types.CompletionItem] = []
    if c is None:
        return types.CompletionList(is_incomplete=False, items=items)
    place = place_at(c.lines, c.line, c.char, c.syntax)
    table = parameter_table(c.path)
    res = ls.specs.good.get(c.uri)
    prop, kw, val = (types.CompletionItemKind.Property, types.CompletionItemKind.Keyword,
                     types.CompletionItemKind.Value)
    if place.where in ("body", "axes"):
        items += [_item(p.name, prop, p.kind, describe(p)) for p in table.values() if p.allowed]
        if place.where == "body":
            keys = [*SPEC_KEYS, "extends"] if c.syntax == "yaml" else list(SPEC_KEYS)
            items += [_item(k, kw) for k in keys if k not in table]
        else:
            items += [_item(n, types.CompletionItemKind.Variable)
                      for n in template_names(res, place) if n not in table]
    elif place.where == "top":
        items += [_item(k, kw) for k in TOP_KEYS[c.syntax]]
    elif place.where == "extends":
        items += [_item(n, types.CompletionItemKind.Class) for n in preset_names(res)
                  if n != place.owner]
    elif place.where == "template":
        names = template_names(res, place)
        items += [_item(n, types.CompletionItemKind.Variable) for n in names]
        items += [_item(p.name, prop, p.kind, describe(p)) for p in table.values()
                  if p.allowed and p.name not in names]
        items.append(_item("prompt", types.CompletionItemKind.Variable, "the prompt's name"))
    elif place.where == "flag":
        items += [_item(f.name, types.CompletionItemKind.Keyword, f.value_text() or None,
                        describe_flag(f)) for f in api.flags().values()]
    elif place.where == "value" and place.key == "family":
        items += [_item(f, val, "family", insert=f if place.quoted or c.syntax == "yaml"
                        else f'"{f}"') for f in api.families()]
    elif place.where == "value" and place.key is not None:
        items += _values(table.get(place.key), place, c.syntax, val)
    return types.CompletionList(is_incomplete=False, items=items)


def _values(p: Param | None, place: Place, syntax: str,
            kind: types.CompletionItemKind) -> list[types.CompletionItem]:
    if p is None:
        return []
    choices: list[Any]
    if p.choices is not None:
        choices = list(p.choices)
    elif p.kind == "bool":
        choices = [True, False]
    else:
        return []
    out = []
    for c in choices:
        if isinstance(c, bool):
            label = "true" if c else "false"
            insert = label
        elif isinstance(c, str):
            label = c
            insert = c if place.quoted else f'"{c}"'
        else:
            label = insert = str(c)
        out.append(_item(label, kind, p.name, insert=insert))
    if p.choices is not None and not all(isinstance(c, str) for c in p.choices):
        out.append(_item("null", kind, p.name))
    return out


# -- go to definition ----------------------------------------------------------------------


def _location(ls: SpecServer, span: Span) -> types.Location:
    return types.Location(uri=from_fs_path(span.path) or span.path,
                          range=span_to_range(span, ls.lines_of_path(span.path)))


def definition(ls: SpecServer, params: types.DefinitionParams) -> list[types.Location] | None:
    linted = ls.specs.current(params.text_document.uri)  # the model of the present text
    if linted is None:
        return None
    c = _Cursor(ls, linted.uri, linted.path, linted.text, params.position)
    here = c.at.lint_place(c.offset)
    res = linted.resolution
    if res is not None and res.spec is not None:
        for imp in res.spec.imports:
            s = imp.span
            if (s.line, s.column) <= here <= (s.end_line, s.end_column):
                target = os.path.normpath(os.path.join(os.path.dirname(linted.path), imp.path))
                start = types.Position(line=0, character=0)
                return [types.Location(uri=from_fs_path(target) or target,
                                       range=types.Range(start=start, end=start))]
    word = word_at(c.line_text, c.char)
    if word is None:
        return None
    res = res if res is not None and res.spec is not None else ls.specs.good.get(linted.uri)
    place = place_at(c.lines, c.line, word[2], c.syntax)
    if place.where == "template":
        f = template_names(res, place).get(word[0])
        return [_location(ls, f.name_span)] if f is not None else None
    span = preset_names(res).get(word[0])
    return [_location(ls, span)] if span is not None else None


def register(server: SpecServer) -> None:
    server.feature(types.TEXT_DOCUMENT_HOVER)(hover)
    server.feature(types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions(
        trigger_characters=[":", "=", '"', "{", "-", " ", ","]))(completion)
    server.feature(types.TEXT_DOCUMENT_DEFINITION)(definition)
