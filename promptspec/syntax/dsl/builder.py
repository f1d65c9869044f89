"""The DSL front end: parse `*.pspec` text into the model, with PS001, PS002 and PS007.

`parse_dsl(text, path)` never raises on any input: a file that does not parse yields
`spec=None` and one PS001. `parse_tree(text)` (for the formatter) gives lark's tree and the
comment tokens; the tree shape is documented in `grammar/promptspec.lark`.

Duplicates (PS002) are reported at the later occurrence and the FIRST one is kept in the
model: the first is what a reader meets first, and keeping it makes the message's "first
set on line N" point at the value that is actually used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lark.exceptions import LarkError

from promptspec.diagnostics import Code, Diagnostic
from promptspec.model import Field, Import, Preset, Prompt, Ref, Span, SpecFile, Sweep
from promptspec.syntax import Parsed
from promptspec.syntax.dsl.grammar import Node, Tok, parse_statements, parse_tree, tree_nodes
from promptspec.syntax.dsl.literals import SyntaxProblem, ValueBuilder

if TYPE_CHECKING:
    import lark
from promptspec.syntax.dsl.syntax_errors import syntax_error

__all__ = ["parse_dsl", "parse_dsl_tree", "parse_tree"]

_BLOCK_WORDS = ("vars", "sweep", "zip")


class _Body:
    """What one `{ ... }` holds once judged: fields, vars and the sweep/zip blocks."""

    def __init__(self) -> None:
        self.fields: list[Field] = []
        self.vars: list[Field] = []
        self.sweep: Sweep | None = None
        self.zip: Sweep | None = None


class _Builder:
    """Walks the parse tree of one file and builds the model, collecting diagnostics."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.values = ValueBuilder(path)
        self.diagnostics: list[Diagnostic] = []

    # -- helpers -------------------------------------------------------------------------
    def span(self, first: Tok, last: Tok | None = None) -> Span:
        """From `first`'s start to `last`'s end (`first`'s own when not given)."""
        end = first if last is None else last
        return Span(self.path, first[2], first[3], end[4], end[5])

    def report(self, code: Code, message: str, span: Span) -> None:
        self.diagnostics.append(Diagnostic(code, message, span))

    def field(self, node: Node) -> Field:
        _, name, value, last = node
        return Field(name[1], self.span(name), self.values.value(value), self.span(name, last))

    def add_unique(self, into: list[Field], item: Field, what: str) -> None:
        """Append `item` unless its name is taken (PS002 at the later one; the first stays)."""
        for first in into:
            if first.name == item.name:
                self.report(
                    Code.DUPLICATE_KEY,
                    f"duplicate {what} '{item.name}' (first set on line {first.name_span.line})",
                    item.name_span,
                )
                return
        into.append(item)

    # -- file ----------------------------------------------------------------------------
    def spec_file(self, statements: list[Node]) -> SpecFile:
        imports: list[Import] = []
        tune: Field | None = None
        family: Field | None = None
        file_vars: list[Field] = []
        presets: list[Preset] = []
        prompts: list[Prompt] = []
        for node in statements:
            kind = node[0]
            if kind == "import":
                tok = node[1]
                path = self.values.path_string(tok, "import")
                imports.append(Import(path, self.span(tok)))
            elif kind in ("tune", "family"):
                _, keyword, value, last = node
                new = Field(
                    kind, self.span(keyword), self.values.value(value), self.span(keyword, last)
                )
                first = tune if kind == "tune" else family
                if first is not None:
                    self.report(
                        Code.DUPLICATE_KEY,
                        f"duplicate {kind} statement (first on line {first.span.line})",
                        new.name_span,
                    )
                elif kind == "tune":
                    tune = new
                else:
                    family = new
            elif kind == "block":
                self.body(node[2], "vars", _Body(), file_vars)
            elif kind == "named":
                built = self.named(node)
                if isinstance(built, Prompt):
                    prompts.append(built)
                else:
                    presets.append(built)
            else:  # a `name = value` outside any block
                f = self.field(node)
                hint = ""
                if f.name in ("tune", "family"):
                    hint = (f" (the file's {f.name} is written '{f.name} "
                            f"{'N' if f.name == 'tune' else 'NAME'}', without '=')")
                self.report(
                    Code.INVALID_STRUCTURE,
                    f"'{f.name} = ...' outside any preset or prompt{hint}; fields belong "
                    "in a preset, prompt or vars block",
                    f.name_span,
                )
        return SpecFile(
            self.path,
            "dsl",
            None,
            tuple(imports),
            tune,
            tuple(file_vars),
            tuple(presets),
            tuple(prompts),
            family,
        )

    def named(self, node: Node) -> Preset | Prompt:
        _, keyword, name_tok, names, members, last = node
        extends = tuple(Ref(t[1], self.span(t)) for t in names)
        kind = keyword[1]
        body = _Body()
        self.body(members, kind, body, body.vars)
        span = self.span(keyword, last)
        if kind == "preset":
            return Preset(
                name_tok[1],
                self.span(name_tok),
                extends,
                tuple(body.fields),
                tuple(body.vars),
                span,
            )
        self.check_axes_once(body)
        return Prompt(
            name_tok[1],
            self.span(name_tok),
            extends,
            tuple(body.fields),
            tuple(body.vars),
            body.sweep,
            body.zip,
            span,
        )

    # -- bodies --------------------------------------------------------------------------
    def body(self, members: list[Node], kind: str, out: _Body, vars_out: list[Field]) -> None:
        """Judge the members of one block. `kind`: preset, prompt, vars, sweep or zip."""
        for member in members:
            if member[0] == "field":
                f = self.field(member)
                if kind == "vars":
                    self.add_unique(vars_out, f, "var")
                elif kind in ("sweep", "zip"):
                    self.add_unique(out.fields, f, "axis")
                elif f.name in _BLOCK_WORDS:
                    self.report(
                        Code.INVALID_STRUCTURE,
                        f"'{f.name}' is a block, not a field: write {f.name} {{ ... }}",
                        f.name_span,
                    )
                else:
                    self.add_unique(out.fields, f, "field")
                continue
            keyword = member[1][1]
            if kind in ("vars", "sweep", "zip"):
                self.report(
                    Code.INVALID_STRUCTURE, f"a {keyword} block cannot be nested inside {kind}",
                    self.span(member[1]),
                )
            elif keyword == "vars":
                # Several vars blocks in one body merge; a repeated var name is PS002.
                self.body(member[2], "vars", out, vars_out)
            elif kind == "preset":
                self.report(
                    Code.INVALID_STRUCTURE,
                    f"a preset cannot hold a {keyword} block: sweeps belong in prompts",
                    self.span(member[1]),
                )
            else:
                self.sweep_block(member, out)

    def sweep_block(self, node: Node, out: _Body) -> None:
        _, keyword, members, last = node
        kind = keyword[1]
        first = out.sweep if kind == "sweep" else out.zip
        if first is not None:
            self.report(
                Code.DUPLICATE_KEY,
                f"duplicate {kind} block (first on line {first.span.line})",
                self.span(keyword),
            )
            return
        inner = _Body()
        self.body(members, kind, inner, inner.vars)
        block = Sweep(tuple(inner.fields), self.span(keyword, last))
        if kind == "sweep":
            out.sweep = block
        else:
            out.zip = block

    def check_axes_once(self, body: _Body) -> None:
        """An axis named in both `sweep` and `zip`: PS002 at the later, dropped from its block."""
        if body.sweep is None or body.zip is None:
            return
        entries = [(a, "sweep") for a in body.sweep.axes] + [(a, "zip") for a in body.zip.axes]
        entries.sort(key=lambda e: (e[0].name_span.line, e[0].name_span.column))
        seen: dict[str, Field] = {}
        dropped: set[int] = set()
        for axis, _ in entries:
            first = seen.get(axis.name)
            if first is None:
                seen[axis.name] = axis
                continue
            self.report(
                Code.DUPLICATE_KEY,
                f"duplicate axis '{axis.name}' (first set on line {first.name_span.line})",
                axis.name_span,
            )
            dropped.add(id(axis))
        if dropped:
            s, z = body.sweep, body.zip
            body.sweep = Sweep(tuple(a for a in s.axes if id(a) not in dropped), s.span)
            body.zip = Sweep(tuple(a for a in z.axes if id(a) not in dropped), z.span)


def parse_dsl(text: str, path: str) -> Parsed:
    """Parse DSL source text into a `Parsed` (model + front-end diagnostics). Never raises."""
    try:
        statements = parse_statements(text)
    except (LarkError, RecursionError) as err:
        return Parsed(path, text, None, (syntax_error(text, path, err),))
    return _build(statements, text, path)


def parse_dsl_tree(text: str, path: str
                   ) -> tuple[Parsed, lark.Tree[Any] | None, list[lark.Token]]:
    """`parse_dsl`, keeping lark's tree and the comment tokens for the formatter: one parse
    (with positions) serves both. The tree is None when the text does not parse."""
    try:
        tree, tokens = parse_tree(text)
    except (LarkError, RecursionError) as err:
        return Parsed(path, text, None, (syntax_error(text, path, err),)), None, []
    return _build(tree_nodes(tree), text, path), tree, tokens


def _build(statements: list[Node], text: str, path: str) -> Parsed:
    builder = _Builder(path)
    try:
        spec = builder.spec_file(statements)
    except SyntaxProblem as bad:
        return Parsed(path, text, None, (Diagnostic(Code.SYNTAX_ERROR, bad.message, bad.span),))
    diagnostics = builder.diagnostics + [
        Diagnostic(Code.INVALID_STRUCTURE,
                   message, span) for message, span in builder.values.problems
    ]
    return Parsed(path, text, spec, tuple(diagnostics))
