"""The public Python API: what the command line calls, and what a Python user may call too.

    expand(paths, prompt=None)   -> Iterator[Request]    (raises SpecError on errors)
    count(paths, prompt=None)    -> list[(spec, prompt, n)], without enumerating
    lint(paths, overlay=None)    -> list[Diagnostic]      (every finding, severities applied)
    check(paths, overlay=None)   -> LintResult            (findings, sources, resolutions)
    Overlay                      texts that stand in for files on disk (an editor's buffers)
    fix_text(path, overlay)      -> str                   (`lint --fix` on the overlay's text)
    format_text(text, path)      -> str | None            (`fmt`'s layout; None: no change)
    prompt_counts(resolution)    -> {prompt: (requests, images) | None}
    parameters(path=None)        -> {name: Param}         (the parameter table for a spec)
    rules()                      -> {code: Rule}
    suppressions(text, path)     -> {line: codes | None}  (`# promptspec: ignore[...]`)
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING

from promptspec.diagnostics import Diagnostic, sort_key
from promptspec.errors import SpecError, UsageError
from promptspec.expand import PreparedPrompt, expand_prompt, prepare
from promptspec.request import Request

if TYPE_CHECKING:
    from promptspec.counts import Counts
    from promptspec.frontend import Parsed
    from promptspec.lint import LintResult
    from promptspec.params import Param
    from promptspec.resolve import Resolution
    from promptspec.rules import Rule

__all__ = [
    "Overlay",
    "check",
    "count",
    "expand",
    "fix_text",
    "format_text",
    "lint",
    "parameters",
    "prepared",
    "prompt_counts",
    "rules",
    "suppressions",
]


class Overlay:
    """Texts that stand in for files on disk (an editor's unsaved buffers), by path.

    Each text is parsed once; a file read from disk (an import) is parsed again only when
    its size or modification time changes, so a lint after an edit re-parses what changed.
    """

    def __init__(self) -> None:
        self._texts: dict[str, tuple[str, str]] = {}  # realpath -> (path, text)
        self._kept: dict[str, tuple[object, Parsed]] = {}  # realpath -> (freshness, parsed)

    def set(self, path: str, text: str) -> None:
        self._texts[os.path.realpath(path)] = (path, text)

    def drop(self, path: str) -> None:
        real = os.path.realpath(path)
        self._texts.pop(real, None)
        self._kept.pop(real, None)

    def text(self, path: str) -> str | None:
        entry = self._texts.get(os.path.realpath(path))
        return entry[1] if entry is not None else None

    @staticmethod
    def _stat(real: str) -> object:
        try:
            st = os.stat(real)
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size)

    def parses(self) -> dict[str, Parsed]:
        """realpath -> Parsed for every text and every unchanged file parsed before."""
        from promptspec.frontend import parse_source

        out: dict[str, Parsed] = {}
        for real, (key, parsed) in list(self._kept.items()):
            entry = self._texts.get(real)
            fresh = entry is None and key == ("disk", self._stat(real))
            if fresh or (entry is not None and key == ("text", entry)):
                out[real] = parsed
            else:
                del self._kept[real]
        for real, entry in self._texts.items():
            if real not in out:
                path, text = entry
                out[real] = parse_source(text.removeprefix("\ufeff"), path)
                self._kept[real] = (("text", entry), out[real])
        return out

    def keep(self, parses: Mapping[str, Parsed]) -> None:
        """Remember the files a lint read from disk, for the next lint."""
        for real, parsed in parses.items():
            if real not in self._kept and real not in self._texts:
                self._kept[real] = (("disk", self._stat(real)), parsed)


def check(paths: Sequence[str], overlay: Overlay | None = None) -> LintResult:
    """Lint the spec files, the overlay's texts standing in for files on disk: the
    findings (severities and configuration applied), each file's source and resolution."""
    from promptspec.lint import lint_paths

    if overlay is None:
        return lint_paths(paths)
    parses = overlay.parses()
    result = lint_paths(paths, parses=parses)
    overlay.keep(parses)
    return result


def lint(paths: Sequence[str], overlay: Overlay | None = None) -> list[Diagnostic]:
    """Every finding for the given spec files, severities applied, sorted."""
    return check(paths, overlay).diagnostics


def fix_text(path: str, overlay: Overlay) -> str:
    """The overlay's text of `path` with every fixable finding fixed, as `lint --fix` would."""
    from promptspec.fix import fix_source

    original = text = overlay.text(path) or ""
    try:
        for _ in range(10):  # as many passes as `lint --fix` makes
            found = [d for d in check([path], overlay).diagnostics
                     if d.fixable and d.span.path == path]
            new, fixed = fix_source(text, found)
            if not fixed or new == text:
                break
            text = new
            overlay.set(path, text)
    finally:
        overlay.set(path, original)
    return text


def format_text(text: str, path: str) -> str | None:
    """`fmt`'s layout of a DSL text; None when the text does not parse or is YAML."""
    from promptspec.fmt import format_text as layout
    from promptspec.fmt import is_yaml

    if is_yaml(path):
        return None
    formatted, _ = layout(text, path)
    return formatted


def prompt_counts(resolution: Resolution) -> dict[str, Counts | None]:
    """(requests, images) of each prompt of a resolved file, without enumerating."""
    from promptspec.counts import prompt_counts as counts_of

    return {rp.name: counts_of(rp) for rp in resolution.prompts}


def parameters(path: str | None = None) -> Mapping[str, Param]:
    """The table of API parameters that the specs at `path` are checked against."""
    from promptspec.params import PARAMS

    return PARAMS


def rules() -> Mapping[str, Rule]:
    """The rule catalogue, by code."""
    from promptspec.rules import RULES

    return RULES


def suppressions(text: str, path: str) -> Mapping[int, frozenset[str] | None]:
    """The `# promptspec: ignore[...]` comments of a text, by line (None: every code)."""
    from promptspec.frontend import syntax_of
    from promptspec.lint import suppressions as found

    return found(text, syntax_of(path))


def prepared(paths: Sequence[str], prompt: str | None = None) -> Iterator[PreparedPrompt]:
    """Each prompt of each spec, prepared for expansion, after checking the specs lint clean."""
    from promptspec.lint import lint_paths

    result = lint_paths(paths)
    errors = [d for d in result.diagnostics if d.severity == "error"]
    if errors:
        raise SpecError("\n".join(str(d) for d in sorted(errors, key=sort_key)))
    found = False
    for res in result.resolutions:  # resolved once, by the lint that vetted them
        for rp in res.prompts:
            if prompt is not None and rp.prompt.name != prompt:
                continue
            found = True
            yield prepare(rp, res.path, res.root)
    if prompt is not None and not found:
        raise UsageError(f"no prompt named {prompt!r} in {', '.join(paths)}")


def expand(paths: Sequence[str], prompt: str | None = None) -> Iterator[Request]:
    """Stream every request of the specs, in order. Raises SpecError when a spec has errors."""
    for pp in prepared(paths, prompt):
        yield from expand_prompt(pp)


def count(paths: Sequence[str], prompt: str | None = None) -> list[tuple[str, str, int]]:
    """(spec, prompt, number of requests) for each prompt: a product of axis sizes."""
    return [(pp.spec_label, pp.rp.prompt.name, pp.count()) for pp in prepared(paths, prompt)]
