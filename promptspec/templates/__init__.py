"""Templates: one bounded, sandboxed jinja2 environment, compiled once per template text.

`text`, `negative_prompt` and `callback` render per sweep point in the sandbox of
`promptspec.templates.sandbox` (`ImmutableSandboxedEnvironment`, `StrictUndefined`, no
autoescape, no randomness, bounded). A template that nests more than 100 levels is refused
before jinja's recursive parser sees it. jinja2 is imported only by a spec that has
templates (a plain string never needs it).
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from promptspec.model import record
from promptspec.templates.bounds import MAX_DEPTH, TemplateBoundError
from promptspec.templates.plain import SANDBOX_GLOBALS, plain_pieces, render_plain

if TYPE_CHECKING:
    import jinja2
    from jinja2 import nodes

    from promptspec.templates.sandbox import BoundedEnvironment

__all__ = ["MAX_DEPTH", "TemplateBoundError", "TemplateInfo", "compile_template", "env",
           "parse_template", "render_template", "template_info"]

@lru_cache(maxsize=1)
def env() -> BoundedEnvironment:
    """The one environment, made on first use."""
    from promptspec.templates.sandbox import BoundedEnvironment

    return BoundedEnvironment()


def __getattr__(name: str) -> Any:
    if name == "ENV":
        return env()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@record
class TemplateInfo:
    """What a template text needs: the names it reads, or why it does not compile.

    `error_line` is the template's own 1-based line of a syntax error; `private` lists
    (line, name) of attributes or items whose name begins with `_` (the sandbox refuses them).
    """

    source: str
    names: frozenset[str]
    constant: bool
    error: str | None = None
    error_line: int = 1
    private: tuple[tuple[int, str], ...] = ()


def _private_access(ast: nodes.Template) -> tuple[tuple[int, str], ...]:
    from jinja2 import nodes

    found: list[tuple[int, str]] = []
    for node in ast.find_all((nodes.Getattr, nodes.Getitem)):
        name: object
        if isinstance(node, nodes.Getattr):
            name = node.attr
        else:
            assert isinstance(node, nodes.Getitem)
            arg = node.arg
            name = arg.value if isinstance(arg, nodes.Const) else None
        if isinstance(name, str) and name.startswith("_"):
            found.append((node.lineno, name))
    return tuple(found)


class _Refused(Exception):
    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.message, self.line = message, line


_OPEN = frozenset({"lparen", "lbracket", "lbrace"})
_CLOSE = frozenset({"rparen", "rbracket", "rbrace"})
_DEEP = f"the template nests more than {MAX_DEPTH} levels"


def _too_deep_tokens(source: str) -> int | None:
    """The line where brackets inside tags nest past MAX_DEPTH (lexed, not parsed)."""
    if sum(map(source.count, "([{")) <= MAX_DEPTH:
        return None  # too few brackets to nest that deep: no need to lex
    depth = 0
    for lineno, kind, _ in env().lex(source):
        if kind in _OPEN:
            depth += 1
            if depth > MAX_DEPTH:
                return lineno
        elif kind in _CLOSE:
            depth = max(0, depth - 1)
    return None


def _too_deep_tree(ast: nodes.Node) -> int | None:
    """The line where the parsed template nests past MAX_DEPTH levels (walked without
    recursion, so that jinja's recursive compiler never meets such a tree)."""
    stack: list[tuple[nodes.Node, int]] = [(ast, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            return getattr(node, "lineno", 1) or 1
        stack.extend((child, depth + 1) for child in node.iter_child_nodes())
    return None


def _parse(source: str) -> nodes.Template:
    import jinja2

    try:
        line = _too_deep_tokens(source)
    except jinja2.TemplateSyntaxError:
        line = None  # the parse below reports it
    except ValueError as err:  # an int literal past Python's digit limit
        raise _Refused(f"the template holds a number too long to read: {err}", 1) from None
    if line is not None:
        raise _Refused(_DEEP, line)
    try:
        ast = env().parse(source)
    except RecursionError:
        raise _Refused(_DEEP, 1) from None
    except ValueError as err:
        raise _Refused(f"the template holds a number too long to read: {err}", 1) from None
    line = _too_deep_tree(ast)
    if line is not None:
        raise _Refused(_DEEP, line)
    return ast


def _plain(ast: nodes.Template) -> bool:
    from jinja2 import nodes

    return all(isinstance(n, nodes.Output) and all(
        isinstance(c, nodes.TemplateData | nodes.Name) for c in n.nodes) for n in ast.body)


@lru_cache(maxsize=4096)
def template_info(source: str) -> TemplateInfo:
    """Parse once: the undeclared names, whether it is plain text, or its syntax error."""
    if "{" not in source:
        return TemplateInfo(source, frozenset(), True)
    pieces = plain_pieces(source)
    if pieces is not None:  # text and bare names, the common case: no need of jinja
        names = frozenset(p for is_name, p, _ in pieces
                          if is_name and p not in SANDBOX_GLOBALS and p != "self")
        return TemplateInfo(source, names, not any(is_name for is_name, _, _ in pieces))
    import jinja2
    from jinja2 import meta, nodes

    try:
        ast = _parse(source)
        plain = _plain(ast)
        if not plain:  # text and bare names always compile; more may name an unknown filter
            _keep_compiled(source, env().from_string(ast))
    except jinja2.TemplateSyntaxError as err:
        return TemplateInfo(source, frozenset(), False, err.message or str(err), err.lineno or 1)
    except _Refused as err:
        return TemplateInfo(source, frozenset(), False, err.message, err.line)
    except RecursionError:
        return TemplateInfo(source, frozenset(), False, _DEEP, 1)
    if plain:
        # text and bare names only, the common case: the names are those it loads (jinja's
        # find_undeclared_variables runs its code generator, half a millisecond a template)
        known = env().globals
        names = frozenset(c.name for n in ast.body for c in n.nodes  # type: ignore[attr-defined]
                          if isinstance(c, nodes.Name) and c.name not in known
                          and c.name != "self")
    else:
        names = frozenset(meta.find_undeclared_variables(ast))
    constant = all(isinstance(n, nodes.Output) and all(
        isinstance(c, nodes.TemplateData) for c in n.nodes) for n in ast.body)
    return TemplateInfo(source, names, constant, private=_private_access(ast))


def parse_template(source: str) -> nodes.Template | None:
    """jinja's tree of a template that compiles, else None."""
    if template_info(source).error is not None:
        return None
    return _parsed(source)


@lru_cache(maxsize=4096)
def _parsed(source: str) -> nodes.Template:
    return env().parse(source)


_COMPILED: dict[str, jinja2.Template] = {}
"""Templates `template_info` compiled (to learn that they compile), until `compile_template`
takes them: each distinct source is compiled once per process."""


def _keep_compiled(source: str, template: jinja2.Template) -> None:
    if len(_COMPILED) >= 4096:
        _COMPILED.clear()
    _COMPILED[source] = template


@lru_cache(maxsize=4096)
def compile_template(source: str) -> jinja2.Template:
    """The compiled template; TemplateBoundError for one that `template_info` refuses."""
    from jinja2 import nodes

    info = template_info(source)
    if info.error is not None:
        raise TemplateBoundError(info.error)
    template = _COMPILED.pop(source, None) or env().from_string(source)
    # loops, macros and call blocks can output without end; other templates cannot
    looping = (nodes.For, nodes.Macro, nodes.CallBlock)
    template.ps_loops = any(True for _ in _parsed(source).find_all(looping))  # type: ignore[attr-defined]
    return template


def render_template(source: str, context: dict[str, Any]) -> str:
    """`source` rendered with `context` in the bounded sandbox; TemplateBoundError past a
    bound, jinja's own errors otherwise."""
    pieces = plain_pieces(source)
    if pieces is not None:  # text and names: joined as jinja joins them, without jinja
        rendered = render_plain(pieces, context)
        if rendered is not None:
            return rendered
    from promptspec.templates.sandbox import render_bounded

    return render_bounded(compile_template(source), context)
