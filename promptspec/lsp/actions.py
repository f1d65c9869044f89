"""Code actions (each fixable finding's edit, `source.fixAll`, "ignore CODE on this line"),
formatting (`fmt`'s layout, DSL only), document symbols and the inlay hints that count
each prompt's requests and images.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from lsprotocol import types

from promptspec import api
from promptspec.lsp.positions import edit_to_text_edit, span_to_range, text_edits
from promptspec.model import Literal, SpecFile

if TYPE_CHECKING:
    from promptspec.diagnostics import Diagnostic
    from promptspec.lsp.server import SpecServer

__all__ = ["ignore_comment", "register"]

_DIRECTIVE = re.compile(r"#\s*promptspec:\s*ignore(\[([^\]]*)\])?")


def _multiline_lines(spec: SpecFile | None) -> set[int]:
    """Lines inside multi-line strings (after their first line): a comment there is text."""
    out: set[int] = set()
    if spec is None:
        return out
    fields = [*spec.vars, *(f for p in spec.presets for f in (*p.fields, *p.vars))]
    for pr in spec.prompts:
        fields += [*pr.fields, *pr.vars]
        for sw in (pr.sweep, pr.zip):
            fields += list(sw.axes) if sw is not None else []
    for f in fields:
        v = f.value
        if isinstance(v, Literal) and v.multiline:
            out.update(range(v.span.line + 1, v.span.end_line + 1))
    return out


def ignore_comment(text: str, path: str, line: int, code: str) -> tuple[int, int, str] | None:
    """(start, end, new text) on 1-based `line` that makes lint ignore `code` there, or None
    when no comment can (the line ends inside a string)."""
    starts = api.line_starts(text, path)
    if not 1 <= line <= len(starts):
        return None
    begin = starts[line - 1]
    end_of_line = starts[line] if line < len(starts) else len(text)
    current = text[begin:end_of_line].rstrip("\r\n\x85\u2028\u2029")
    m = _DIRECTIVE.search(current)
    if m is not None and m.group(1) is not None:
        codes = [c.strip() for c in m.group(2).split(",") if c.strip()]
        start, end = m.start(2), m.end(2)
        new = ", ".join([*codes, code])
    else:
        start = end = len(current)
        new = f"{'  ' if current.strip() else ''}# promptspec: ignore[{code}]"
    at = begin + len(current)
    changed = text[:begin] + current[:start] + new + current[end:] + text[at:]
    ignored = api.suppressions(changed, path).get(line, frozenset())
    if ignored is not None and code not in ignored:
        return None
    return start, end, new


def _fix_title(ls: SpecServer, d: Diagnostic) -> str:
    """`Fix PS105 (not-multiple-of-8): 504`: the rule, and the text the fix writes when short."""
    rule = ls.rules.get(d.code)
    title = f"Fix {d.code}" + (f" ({rule.name})" if rule is not None else "")
    written = [e.text.strip() for e in d.fix or () if e.text.strip()]
    if len(written) == 1 and "\n" not in written[0] and len(written[0]) <= 40:
        title += f": {written[0]}"
    return title


def _in_range(d: Diagnostic, rng: types.Range) -> bool:
    line = d.span.line - 1
    return rng.start.line <= line <= rng.end.line or (
        rng.start.line <= d.span.end_line - 1 and line <= rng.end.line)


def _wanted(kind: str, only: list[str] | None) -> bool:
    return only is None or any(kind == k or kind.startswith(k + ".") for k in only)


def code_actions(ls: SpecServer, params: types.CodeActionParams) -> list[types.CodeAction]:
    uri = params.text_document.uri
    linted = ls.specs.current(uri)
    if linted is None:
        return []
    only = [str(k) for k in params.context.only] if params.context.only else None
    lines = ls.lines(linted.path, linted.text)
    protocol = dict(zip(map(id, linted.diagnostics), ls.to_protocol(linted), strict=False))
    out: list[types.CodeAction] = []
    quick, fix_all = types.CodeActionKind.QuickFix, types.CodeActionKind.SourceFixAll
    inside = _multiline_lines(linted.resolution.spec if linted.resolution else None)
    for d in linted.diagnostics:
        if not _in_range(d, params.range) or not _wanted(quick, only):
            continue
        shown = [protocol[id(d)]]
        if d.fix:
            out.append(types.CodeAction(
                title=_fix_title(ls, d), kind=quick, diagnostics=shown,
                is_preferred=True, edit=types.WorkspaceEdit(
                    changes={uri: [edit_to_text_edit(e, lines) for e in d.fix]})))
        where = None if d.span.line in inside else ignore_comment(
            linted.text, linted.path, d.span.line, d.code)
        if where is not None:
            start, end, new = where
            rng = types.Range(start=lines.position(d.span.line, start + 1),
                              end=lines.position(d.span.line, end + 1))
            out.append(types.CodeAction(
                title=f"Ignore {d.code} on this line", kind=quick, diagnostics=shown,
                edit=types.WorkspaceEdit(changes={uri: [types.TextEdit(range=rng,
                                                                       new_text=new)]})))
    if any(d.fix for d in linted.diagnostics) and _wanted(fix_all, only):
        fixed = api.fix_text(linted.path, ls.specs.overlay)
        if fixed != linted.text:
            out.append(types.CodeAction(
                title="Fix all fixable promptspec findings", kind=fix_all,
                edit=types.WorkspaceEdit(changes={uri: text_edits(
                    linted.text, fixed, ls.workspace.position_codec)})))
    return out


def formatting(ls: SpecServer, params: types.DocumentFormattingParams
               ) -> list[types.TextEdit]:
    linted = ls.specs.current(params.text_document.uri)
    if linted is None:
        return []
    formatted = api.format_text(linted.text, linted.path)  # None for YAML, and for PS001
    if formatted is None or formatted == linted.text:
        return []
    return text_edits(linted.text, formatted, ls.workspace.position_codec)


def symbols(ls: SpecServer, params: types.DocumentSymbolParams) -> list[types.DocumentSymbol]:
    linted = ls.specs.current(params.text_document.uri)
    res = linted.resolution if linted is not None else None
    if linted is None or res is None or res.spec is None:
        return []
    lines = ls.lines(linted.path, linted.text)
    out = []
    for kind, items, sk in (("preset", res.spec.presets, types.SymbolKind.Class),
                            ("prompt", res.spec.prompts, types.SymbolKind.Function)):
        for item in items:
            out.append(types.DocumentSymbol(
                name=item.name, detail=kind, kind=sk, range=span_to_range(item.span, lines),
                selection_range=span_to_range(item.name_span, lines)))
    return sorted(out, key=lambda s: (s.range.start.line, s.range.start.character))


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def inlay_hints(ls: SpecServer, params: types.InlayHintParams) -> list[types.InlayHint]:
    linted = ls.specs.current(params.text_document.uri)
    res = linted.resolution if linted is not None else None
    if linted is None or res is None or res.spec is None:
        return []  # a file that fails PS001: no count can be known
    lines = ls.lines(linted.path, linted.text)
    counts = api.prompt_counts(res)
    out = []
    for rp in res.prompts:
        found = counts.get(rp.name)
        span = rp.prompt.name_span
        if found is None or span.path != linted.path or not (
                params.range.start.line <= span.line - 1 <= params.range.end.line):
            continue
        requests, images = found
        out.append(types.InlayHint(
            position=lines.position(span.end_line, span.end_column),
            label=f"{_plural(requests, 'request')} · {_plural(images, 'image')}",
            padding_left=True))
    return out


def register(server: SpecServer) -> None:
    server.feature(types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(
        code_action_kinds=[types.CodeActionKind.QuickFix, types.CodeActionKind.SourceFixAll],
    ))(code_actions)
    server.feature(types.TEXT_DOCUMENT_FORMATTING)(formatting)
    server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)(symbols)
    server.feature(types.TEXT_DOCUMENT_INLAY_HINT)(inlay_hints)
