"""Templates: one sandboxed jinja2 environment, compiled once per template text.

`text`, `negative_prompt` and `callback` render per sweep point in
`ImmutableSandboxedEnvironment` with `StrictUndefined` and no autoescape.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from promptspec.model import record

if TYPE_CHECKING:
    import jinja2
    from jinja2 import nodes
    from jinja2.sandbox import ImmutableSandboxedEnvironment

__all__ = ["TemplateInfo", "compile_template", "env", "template_info"]


@lru_cache(maxsize=1)
def env() -> ImmutableSandboxedEnvironment:
    """The one environment, made on first use: jinja2 is imported only by a spec that has
    templates (a plain string never needs it)."""
    import jinja2
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    return ImmutableSandboxedEnvironment(undefined=jinja2.StrictUndefined, autoescape=False)


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


@lru_cache(maxsize=4096)
def template_info(source: str) -> TemplateInfo:
    """Parse once: the undeclared names, whether it is plain text, or its syntax error."""
    if "{" not in source:
        return TemplateInfo(source, frozenset(), True)
    import jinja2
    from jinja2 import meta, nodes

    try:
        ast = env().parse(source)
    except jinja2.TemplateSyntaxError as err:
        return TemplateInfo(source, frozenset(), False, err.message or str(err), err.lineno or 1)
    outputs = [n for n in ast.body if isinstance(n, nodes.Output)]
    children = [c for n in outputs for c in n.nodes]
    if len(outputs) == len(ast.body) and all(
            isinstance(c, nodes.TemplateData | nodes.Name) for c in children):
        # text and bare names only, the common case: the names are those it loads (jinja's
        # find_undeclared_variables runs its code generator, half a millisecond a template)
        known = env().globals
        names = frozenset(c.name for c in children
                          if isinstance(c, nodes.Name) and c.name not in known
                          and c.name != "self")
    else:
        names = frozenset(meta.find_undeclared_variables(ast))
    constant = all(isinstance(n, nodes.Output) and all(
        isinstance(c, nodes.TemplateData) for c in n.nodes) for n in ast.body)
    return TemplateInfo(source, names, constant, private=_private_access(ast))


@lru_cache(maxsize=4096)
def compile_template(source: str) -> jinja2.Template:
    return env().from_string(source)
