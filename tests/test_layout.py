"""The package's layout holds to its rules: the pipeline's folders, no import cycle, a
small top level, and a command line that reaches the stages only through `api`."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "promptspec"
CLI_MAY_IMPORT = ("promptspec.api", "promptspec.errors", "promptspec.config",
                  "promptspec.output", "promptspec.cli", "promptspec",
                  # the language server: like the command line, a face of `api` (it calls
                  # api; api cannot start it without an import cycle)
                  "promptspec.lsp")


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def _imports(path: Path, known: dict[str, Path]) -> set[str]:
    """Every promptspec module `path` imports, at any depth, outside `if TYPE_CHECKING:`."""
    found: set[str] = set()
    nodes: list[ast.AST] = [ast.parse(path.read_text(encoding="utf-8"))]
    while nodes:  # one walk, not entering `if TYPE_CHECKING:` (nor its else)
        node = nodes.pop()
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        if isinstance(node, (ast.expr, ast.expr_context)):
            continue  # an import is a statement: no need to look inside expressions
        nodes.extend(ast.iter_child_nodes(node))
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                if full in known:
                    found.add(full)
                elif node.module in known:
                    found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name in known)
    return found


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (iterative Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in edges:
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    top = stack.pop()
                    on_stack.discard(top)
                    component.append(top)
                    if top == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_import_cycle() -> None:
    known = _modules()
    edges = {name: _imports(path, known) - {name} for name, path in known.items()}
    assert _cycles(edges) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_top_level_is_small_and_has_no_disguised_packages() -> None:
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(top) <= 15, top
    assert not [n for n in top if n.startswith(("_dsl", "_yaml", "_fmt", "_cli"))]


def test_no_two_modules_share_a_name() -> None:
    names = [p.stem for p in PACKAGE.rglob("*.py") if p.stem != "__init__"]
    packages = {p.parent.name for p in PACKAGE.rglob("__init__.py")}
    clashes = sorted({n for n in names if names.count(n) > 1} | (set(names) & packages))
    assert clashes == []


def test_cli_reaches_stages_only_through_api() -> None:
    known = _modules()
    for name, path in known.items():
        if not name.startswith("promptspec.cli"):
            continue
        bad = [m for m in _imports(path, known)
               if not (m in CLI_MAY_IMPORT or m.startswith(CLI_MAY_IMPORT[3:5]))]
        assert bad == [], f"{name} imports {bad}"


LSP_MAY_IMPORT = ("promptspec.api", "promptspec.model", "promptspec.diagnostics",
                  "promptspec.paths", "promptspec.errors", "promptspec.params", "promptspec.lsp",
                  "promptspec")


def test_language_server_reaches_the_engine_only_through_api() -> None:
    """No second parser, resolver or rule engine: the server asks `api` (data types aside)."""
    known = _modules()
    for name, path in known.items():
        if name.startswith("promptspec.lsp"):
            bad = [m for m in _imports(path, known)
                   if not (m in LSP_MAY_IMPORT or m.startswith("promptspec.lsp."))]
            assert bad == [], f"{name} imports {bad}"
