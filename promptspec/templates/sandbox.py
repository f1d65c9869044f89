"""The template sandbox: a jinja2 environment whose output depends on its inputs alone, bounded.

No source of randomness or process state (`random`, `lipsum`, `cycler`, `joiner` are gone;
`range` yields at most 10,000 items), and every render is bounded: the rendered value at
most 1 MB, at most 100 levels of nesting or recursion, ints of at most 4,300 digits, and at
most 100,000 loop steps and calls per render (so nested loops cannot run for hours). A
template that reaches past a bound raises `TemplateBoundError`, which lint and expand both
report as PS301 at the template.
"""

from __future__ import annotations

import functools
import math
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.runtime import LoopContext, Macro
from jinja2.sandbox import ImmutableSandboxedEnvironment

from promptspec.templates.bounds import MAX_DEPTH, MAX_OUTPUT, TemplateBoundError

__all__ = [
    "MAX_DEPTH",
    "MAX_DIGITS",
    "MAX_OUTPUT",
    "MAX_RANGE",
    "MAX_STEPS",
    "BoundedEnvironment",
    "TemplateBoundError",
    "render_bounded",
]

MAX_RANGE = 10_000
MAX_DIGITS = 4_300
MAX_STEPS = 100_000
_MAX_BITS = int(MAX_DIGITS * math.log2(10))
_REMOVED = ("range", "lipsum", "cycler", "joiner")


class _Budget:
    __slots__ = ("depth", "steps")

    def __init__(self) -> None:
        self.steps = 0
        self.depth = 0


class _PerThread(threading.local):
    """The budget of the render running in this thread (renders never nest)."""

    def __init__(self) -> None:
        self.budget = _Budget()


_HERE = _PerThread()


def _step() -> _Budget:
    budget = _HERE.budget
    budget.steps += 1
    if budget.steps > MAX_STEPS:
        raise TemplateBoundError(f"the template takes more than {MAX_STEPS:,} loop steps")
    return budget


def _too_long(value: Any) -> bool:
    return isinstance(value, str | list | tuple | bytes) and len(value) > MAX_OUTPUT


def _check_result(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > _MAX_BITS:
        raise TemplateBoundError(f"an int in the template has more than {MAX_DIGITS:,} digits")
    if _too_long(value):
        raise TemplateBoundError(f"a value in the template is longer than {MAX_OUTPUT:,}")
    return value


def _size(value: Any) -> int:
    if isinstance(value, str | list | tuple | bytes):
        return len(value)
    return 0


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_binop(operator: str, left: Any, right: Any) -> None:
    if operator == "**" and _int(left) and _int(right) and right > 0 and abs(left) > 1:
        if right * math.log10(abs(left)) > MAX_DIGITS:
            raise TemplateBoundError(f"{left} ** {right} has more than {MAX_DIGITS:,} digits")
    elif operator == "*":
        if _int(left) and _int(right):
            if left.bit_length() + right.bit_length() > _MAX_BITS + 1:
                raise TemplateBoundError(f"a product has more than {MAX_DIGITS:,} digits")
        elif (_int(right) and right * _size(left) > MAX_OUTPUT) or \
                (_int(left) and left * _size(right) > MAX_OUTPUT):
            raise TemplateBoundError(f"a repeated value is longer than {MAX_OUTPUT:,}")
    elif operator == "+" and _size(left) + _size(right) > MAX_OUTPUT:
        raise TemplateBoundError(f"a joined value is longer than {MAX_OUTPUT:,}")


def bounded_range(*args: int) -> range:
    """`range`, refusing more than MAX_RANGE items."""
    rng = range(*args)
    if len(rng) > MAX_RANGE:
        raise TemplateBoundError(f"range() of {len(rng):,} items; at most {MAX_RANGE:,}")
    return rng


def _loop(iterable: Iterable[Any]) -> Iterator[Any]:
    """What a `{% for %}` walks: every step counted against the render's budget."""
    for item in iterable:
        _step()
        yield item


def _bounded_filter(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    limit = MAX_RANGE if name in ("batch", "slice") else MAX_OUTPUT

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        for a in (*args[1:], *kwargs.values()):
            if _int(a) and abs(a) > limit:
                raise TemplateBoundError(f"{name}({a}) reaches past {limit:,}")
        return _check_result(fn(*args, **kwargs))

    return wrapper


class _Generator(CodeGenerator):
    """jinja's code generator with every loop counted and every `~` join measured."""

    def visit_For(self, node: nodes.For, frame: Frame) -> None:
        counted = nodes.Call(nodes.EnvironmentAttribute("ps_loop", lineno=node.lineno),
                             [node.iter], [], None, None, lineno=node.lineno)
        node = nodes.For(node.target, counted, node.body, node.else_, node.test,
                         node.recursive, lineno=node.lineno)
        super().visit_For(node, frame)

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.ps_join((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


class BoundedEnvironment(ImmutableSandboxedEnvironment):
    """The sandbox with the bounds of this module."""

    code_generator_class = _Generator
    intercepted_binops = frozenset({"*", "**", "+"})

    def __init__(self) -> None:
        super().__init__(undefined=jinja2.StrictUndefined, autoescape=False)
        for name in _REMOVED:
            self.globals.pop(name, None)
        self.globals["range"] = bounded_range
        self.filters.pop("random", None)
        self.filters = {n: _bounded_filter(n, f) for n, f in self.filters.items()}
        self.ps_loop = _loop

    def call_binop(self, context: jinja2.runtime.Context, operator: str, left: Any,
                   right: Any) -> Any:
        _check_binop(operator, left, right)
        return _check_result(super().call_binop(context, operator, left, right))

    def ps_join(self, parts: Iterable[Any]) -> str:
        out = "".join(map(str, parts))
        if len(out) > MAX_OUTPUT:
            raise TemplateBoundError(f"a joined value is longer than {MAX_OUTPUT:,}")
        return out

    def call(__self, __context: jinja2.runtime.Context, __obj: Any,
             *args: Any, **kwargs: Any) -> Any:
        budget = _step()
        if isinstance(getattr(__obj, "__self__", None), str):
            for a in (*args, *kwargs.values()):
                if _int(a) and abs(a) > MAX_OUTPUT:
                    raise TemplateBoundError(f"a string method called with {a}")
        nested = isinstance(__obj, Macro | LoopContext)
        if nested:
            budget.depth += 1
            if budget.depth > MAX_DEPTH:
                raise TemplateBoundError(f"the template recurses more than {MAX_DEPTH} levels")
        try:
            return _check_result(super().call(__context, __obj, *args, **kwargs))
        finally:
            if nested:
                budget.depth -= 1


def render_bounded(template: jinja2.Template, context: dict[str, Any]) -> str:
    """`template` rendered with `context`, within the bounds (else TemplateBoundError)."""
    budget = _HERE.budget
    budget.steps = budget.depth = 0
    try:
        # jinja's own render loop (`render` less its traceback rewrite); a template that can
        # loop is measured piece by piece, any other has few pieces and is measured whole
        pieces = template.root_render_func(template.new_context(context))
        out = _measured(pieces) if getattr(template, "ps_loops", True) else "".join(pieces)
        if len(out) > MAX_OUTPUT:
            raise TemplateBoundError(f"the template renders more than {MAX_OUTPUT:,} characters")
        return out
    except RecursionError:
        raise TemplateBoundError(f"the template nests more than {MAX_DEPTH} levels") from None
    except MemoryError:
        raise TemplateBoundError("the template needs more memory than it may use") from None
    except ValueError as err:
        if "digits" in str(err):  # int <-> str conversion past Python's own limit
            raise TemplateBoundError(f"an int in the template has more than {MAX_DIGITS:,} "
                                     "digits") from None
        raise


def _measured(pieces: Iterable[str]) -> str:
    parts: list[str] = []
    size = 0
    for piece in pieces:
        size += len(piece)
        if size > MAX_OUTPUT:
            raise TemplateBoundError(f"the template renders more than {MAX_OUTPUT:,} "
                                     "characters")
        parts.append(piece)
    return "".join(parts)
